package ident

import "testing"

func TestRule(t *testing.T) {
	name := Rule{MaxLen: 8, Extra: "_.-"}
	lower := Rule{MaxLen: 8, LowerOnly: true, Extra: "-"}
	tests := []struct {
		rule Rule
		s    string
		want bool
	}{
		{name, "web", true}, {name, "Web_1.a-", true}, {name, "", false}, {name, ".", false},
		{name, "..", false}, {name, "_x", false}, {name, "a/b", false}, {name, "123456789", false},
		{lower, "bash", true}, {lower, "Bash", false}, {lower, "a_b", false}, {lower, "a-b", true},
	}
	for _, tt := range tests {
		if got := tt.rule.Valid(tt.s); got != tt.want {
			t.Errorf("%+v.Valid(%q) = %v, want %v", tt.rule, tt.s, got, tt.want)
		}
	}
}

func TestHexID(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for s, want := range map[string]bool{id: true, id[:63]: false, id[:63] + "g": false, id[:63] + "A": false} {
		if got := HexID(s); got != want {
			t.Errorf("HexID(%q) = %v, want %v", s, got, want)
		}
	}
}
