// Package ident checks the names kobako turns into directory names:
// container ids, container names, image names. Each rule starts with a
// letter or digit, so "." and ".." can never pass, and no rule allows '/'.
//
// These are plain loops, not regular expressions: a bounded repetition
// like [a-z0-9]{0,127} compiles into a large program, and every kobako
// process — each container's init too — would pay for compiling it.
package ident

// Rule describes one kind of name.
type Rule struct {
	MaxLen    int    // in bytes
	LowerOnly bool   // letters must be lowercase
	Extra     string // bytes allowed after the first, besides letters and digits
}

// Valid reports whether s follows the rule.
func (r Rule) Valid(s string) bool {
	if len(s) == 0 || len(s) > r.MaxLen || !r.alnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !r.alnum(s[i]) && !contains(r.Extra, s[i]) {
			return false
		}
	}
	return true
}

func (r Rule) alnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || !r.LowerOnly && c >= 'A' && c <= 'Z'
}

func contains(set string, c byte) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

// HexID reports whether s is a full 64-digit lowercase hex id.
func HexID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}
