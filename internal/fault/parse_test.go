package fault

import "testing"

func TestParseFind(t *testing.T) {
	for _, tc := range []struct {
		list  string
		point string
		hit   int
		want  string // the fault that fires, "" for none
	}{
		{"", "cgroup-mkdir", 1, ""},
		{"cgroup-mkdir:5", "cgroup-mkdir", 4, ""},
		{"cgroup-mkdir:5", "cgroup-mkdir", 5, "cgroup-mkdir:5"},
		{"cgroup-mkdir:5", "cgroup-mkdir", 6, ""},
		{"ipam-exhausted", "ipam-exhausted", 3, "ipam-exhausted"},
		{"cgroup-mkdir:5, init:pivot_root", "init:pivot_root", 1, "init:pivot_root"},
		{"init:pivot_root", "init:pivot", 1, ""},
		{"init:seal:2", "init:seal", 2, "init:seal:2"},
		{"init:seal:0", "init:seal:0", 1, "init:seal:0"}, // no count: a name
		{",,ipam-exhausted,", "ipam-exhausted", 1, "ipam-exhausted"},
	} {
		r, ok := parse(tc.list).find(tc.point, tc.hit)
		got := ""
		if ok {
			got = r.String()
		}
		if got != tc.want {
			t.Errorf("parse(%q).find(%q, %d) = %q, want %q", tc.list, tc.point, tc.hit, got, tc.want)
		}
	}
}
