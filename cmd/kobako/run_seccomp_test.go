package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSeccompFromOption(t *testing.T) {
	if s, err := seccompFromOption("unconfined", nil); s != nil || err != nil {
		t.Errorf("unconfined: %+v, %v; want no filter", s, err)
	}

	dir := t.TempDir()
	profile := filepath.Join(dir, "profile.json")
	err := os.WriteFile(profile, []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
		{"names": ["mount"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_ADMIN"]}}]}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for caps, rules := range map[string]int{"": 2, "CAP_SYS_ADMIN": 1} {
		s, err := seccompFromOption(profile, strings.Fields(caps))
		if err != nil {
			t.Fatalf("%s with %q: %v", profile, caps, err)
		}
		if s.DefaultAction != specs.ActAllow || len(s.Syscalls) != rules || *s.Syscalls[0].ErrnoRet != 13 {
			t.Errorf("%s with %q: %+v, want default allow, %d rules, mkdir's errno 13", profile, caps, s, rules)
		}
	}

	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"defaultAction": "SCMP_ACT_SOMETIMES"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for value, want := range map[string]string{
		"":                              "unconfined or the path",
		filepath.Join(dir, "none.json"): "no such file",
		broken:                          "unknown action",
	} {
		if _, err := seccompFromOption(value, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("seccomp=%s: error %v, want one that says %q", value, err, want)
		}
	}
}
