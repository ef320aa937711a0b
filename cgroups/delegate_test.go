package cgroups

import (
	"strings"
	"testing"
)

func TestParseOwnCgroup(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{"0::/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope\n", "/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope", false},
		{"12:pids:/user.slice\n1:name=systemd:/user.slice/session-3.scope\n0::/user.slice/session-3.scope\n", "/user.slice/session-3.scope", false},
		{"9:memory:/\n", "", true}, // v1 only
	} {
		got, err := parseOwnCgroup(strings.NewReader(tc.in))
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("parseOwnCgroup(%q) = %q, %v; want %q (error: %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}
