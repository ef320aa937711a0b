package build

import (
	"slices"
	"testing"
)

func TestWords(t *testing.T) {
	vars := map[string]string{"A": "1", "EMPTY": "", "SP": "x y"}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	for in, want := range map[string][]string{
		`a b`:                      {"a", "b"},
		`"a b" c`:                  {"a b", "c"},
		`'$A' "$A" $A ${A}x`:       {"$A", "1", "1", "1x"},
		`\$A a\ b`:                 {"$A", "a b"},
		`${EMPTY:-def} ${A:-def}`:  {"def", "1"},
		`${A:+alt} x${NONE:+alt}y`: {"alt", "xy"},
		`$SP`:                      {"x y"},
		`"a\"b" $`:                 {`a"b`, "$"},
		`${NONE:-${A}}`:            {"1"},
	} {
		got, err := words(in, lookup)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("words(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`"open`, `'open`, `${A`, `${A:?x}`, `${1A}`} {
		if got, err := words(bad, lookup); err == nil {
			t.Errorf("words(%s) = %q, want an error", bad, got)
		}
	}
}

func TestKeyValues(t *testing.T) {
	lookup := func(n string) (string, bool) { return "v", n == "V" }
	for in, want := range map[string][][2]string{
		`A=1 B="two words" C=$V`: {{"A", "1"}, {"B", "two words"}, {"C", "v"}},
		`KEY some value`:         {{"KEY", "some value"}},
	} {
		got, err := keyValues(in, lookup)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("keyValues(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := keyValues("=x", lookup); err == nil {
		t.Errorf("keyValues(=x) gave no error")
	}
}
