package fault

// The fault list's syntax, parsed purely (so it is tested without the
// faultinject tag): "name" or "name:N", comma-separated. A name may hold
// colons itself (init:pivot_root); only a number after the last one is a
// count.

import (
	"strconv"
	"strings"
)

// rule is one fault: fail at point, the nth time it is reached (0: every time).
type rule struct {
	point string
	nth   int
}

func (r rule) String() string {
	if r.nth == 0 {
		return r.point
	}
	return r.point + ":" + strconv.Itoa(r.nth)
}

type rules []rule

// parse reads a fault list; empty items are skipped.
func parse(list string) rules {
	var out rules
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		r := rule{point: item}
		if i := strings.LastIndexByte(item, ':'); i > 0 {
			if n, err := strconv.Atoi(item[i+1:]); err == nil && n > 0 {
				r = rule{point: item[:i], nth: n}
			}
		}
		out = append(out, r)
	}
	return out
}

// find is the rule that makes point fail when reached for the hit-th time.
func (rs rules) find(point string, hit int) (rule, bool) {
	for _, r := range rs {
		if r.point == point && (r.nth == 0 || r.nth == hit) {
			return r, true
		}
	}
	return rule{}, false
}
