package container

import (
	"bytes"
	"testing"
)

func TestParseDetachKeys(t *testing.T) {
	for spec, want := range map[string][]byte{
		"ctrl-p,ctrl-q": {0x10, 0x11},
		"ctrl-x,x":      {0x18, 'x'},
		"ctrl-@,ctrl-_": {0, 31},
		"a":             {'a'},
	} {
		got, err := ParseDetachKeys(spec)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ParseDetachKeys(%q) = %v, %v; want %v", spec, got, err, want)
		}
	}
	for _, bad := range []string{"", "ctrl-1", "ctrl-pq", "ab", "ctrl-p,"} {
		if _, err := ParseDetachKeys(bad); err == nil {
			t.Errorf("ParseDetachKeys(%q) accepted", bad)
		}
	}
}

// The filter passes every key on except a complete detach sequence; a
// beginning of it that does not go on is passed on late, not lost.
func TestDetachFilter(t *testing.T) {
	for _, tc := range []struct {
		typed  []string
		pass   string
		detach bool
	}{
		{[]string{"ls\r"}, "ls\r", false},
		{[]string{"a\x10\x11b"}, "a", true},
		{[]string{"a\x10", "\x11"}, "a", true},
		{[]string{"\x10x"}, "\x10x", false},
		{[]string{"\x10\x10\x11"}, "\x10", true},
	} {
		f := &detachFilter{keys: []byte{0x10, 0x11}}
		var pass []byte
		var detach bool
		for _, chunk := range tc.typed {
			var p []byte
			p, detach = f.feed([]byte(chunk))
			pass = append(pass, p...)
		}
		if string(pass) != tc.pass || detach != tc.detach {
			t.Errorf("typed %q: passed %q, detach %v; want %q, %v", tc.typed, pass, detach, tc.pass, tc.detach)
		}
	}
}
