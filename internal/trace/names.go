package trace

// Abbreviations: the article writes $ROOTFS where kobako has
// /var/lib/kobako/containers/<64 hex digits>/rootfs, and so does the trace.
// The layer that knows a long string registers it under a short name —
// the container layer its id and directories, the runtime the root it was
// handed — and every line shows the name instead. Each name is introduced
// the first time a line uses it, as a shell assignment would:
//
//	kobako: trace:             ID=269a1cc31bcc…          (64 hex digits, shortened)
//	kobako: trace:             CONTAINER=/var/lib/kobako/containers/$ID
//	kobako: trace:             ROOTFS=$CONTAINER/rootfs
//
// each in the column where the steps' names start.

import (
	"slices"
	"strings"
)

// abbrev is one name and the long string it stands for.
type abbrev struct {
	name  string // "ID", shown as $ID
	value string
	told  bool // introduced already
}

// Abbreviate makes $name stand for value, and for each of also: other
// spellings of the same thing, like the 12-digit short form of an id.
// Naming a new value reuses the name — as `rm a b` goes from one container
// to the next — and introduces it again; naming the same one again changes
// nothing.
func (t *Tracer) Abbreviate(name, value string, also ...string) {
	if t == nil || value == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if slices.ContainsFunc(t.names, func(a abbrev) bool { return a.name == name && a.value == value }) {
		return
	}
	t.names = slices.DeleteFunc(t.names, func(a abbrev) bool { return a.name == name })
	for _, v := range append([]string{value}, also...) {
		if v != "" {
			t.names = append(t.names, abbrev{name: name, value: v})
		}
	}
	// Longest first: $ROOTFS must win over the $CONTAINER it starts with,
	// and the whole id over its short form.
	slices.SortStableFunc(t.names, func(a, b abbrev) int { return len(b.value) - len(a.value) })
}

// abbreviate writes s with every registered value replaced by its $name,
// and any other 64-digit id or digest (an image layer's) by its first 12
// digits. The caller holds t.mu.
func (t *Tracer) abbreviate(s string) string {
	return shortenHex(t.abbreviateExcept(s, ""))
}

// abbreviateExcept is abbreviate without the name except, so that a name's
// own introduction can use the others: ROOTFS=$CONTAINER/rootfs.
func (t *Tracer) abbreviateExcept(s, except string) string {
	if len(t.names) == 0 {
		return s
	}
	var pairs []string
	for _, a := range t.names {
		if a.name != except {
			pairs = append(pairs, a.value, "$"+a.name)
		}
	}
	// strings.Replacer tries the pairs in order at each position: the
	// longest value first.
	return strings.NewReplacer(pairs...).Replace(s)
}

// introduce returns the introductions of the names text uses that the
// learner has not seen yet, the names they use in turn first. It marks
// them told. The caller holds t.mu.
func (t *Tracer) introduce(text string) string {
	var out strings.Builder
	for i := range t.names {
		a := &t.names[i]
		if a.told || !usesName(text, a.name) {
			continue
		}
		t.markTold(a.name)
		value := shortenHex(t.abbreviateExcept(t.valueOf(a.name), a.name))
		// ID=269a1cc31bcc…, shortened as every line's ids are (abbreviate)
		out.WriteString(t.introduce(value)) // CONTAINER before ROOTFS=$CONTAINER/rootfs
		out.WriteString(prefix + stepIndent + a.name + "=" + value + "\n")
	}
	return out.String()
}

// valueOf is name's longest spelling, the whole one: t.names is sorted
// longest first.
func (t *Tracer) valueOf(name string) string {
	for _, a := range t.names {
		if a.name == name {
			return a.value
		}
	}
	return ""
}

// shortenHex writes each run of 64 hex digits — an id, a sha256 digest —
// as its first 12 and an ellipsis, as docker shows them: the learner
// reads which one it is, and `kobako inspect` or `history` has the rest.
func shortenHex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		n := 0
		for i+n < len(s) && isHex(s[i+n]) {
			n++
		}
		switch {
		case n == 64:
			b.WriteString(s[i:i+12] + "…")
		case n > 0:
			b.WriteString(s[i : i+n])
		default:
			b.WriteByte(s[i])
			n = 1
		}
		i += n
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
}

// markTold marks every spelling of name as introduced.
func (t *Tracer) markTold(name string) {
	for i := range t.names {
		if t.names[i].name == name {
			t.names[i].told = true
		}
	}
}

// usesName reports whether text has $name as a whole word: $ID in
// "hostname $ID" but not in "$IDMAP".
func usesName(text, name string) bool {
	word := "$" + name
	for i := strings.Index(text, word); i >= 0; {
		end := i + len(word)
		if end == len(text) || !isNameChar(text[end]) {
			return true
		}
		next := strings.Index(text[end:], word)
		if next < 0 {
			return false
		}
		i = end + next
	}
	return false
}

func isNameChar(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
