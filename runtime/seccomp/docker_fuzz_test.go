// Fuzzing the seccomp profile readers (issue 15, item 5). A profile comes
// from outside twice: as docker's JSON (kobako run --security-opt
// seccomp=FILE, FromDockerProfile, here) and as the OCI linux.seccomp of a
// bundle's config.json (kobako create, Check: compile_fuzz_test.go). Both
// are compiled at create time so that what the init would fail to load is
// refused before the engine hears "created" (load.go). FuzzFromDockerProfile's
// properties: no panic, and an error says something; what it returns,
// Check accepts; and then all of FuzzCheck's (checkLoadable): the programs
// are ones the kernel loads, and they decide each call as the profile says.
//
// Shell twin: docker run --security-opt seccomp=profile.json …
// make fuzz runs both targets for a while; make test runs their
// checked-in corpora (testdata/fuzz/, written by TestFuzzSeeds).
package seccomp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzCapabilities are docker's default bounding set, for the profiles'
// includes and excludes.
var fuzzCapabilities = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

// FuzzFromDockerProfile reads any bytes as a docker seccomp profile.
func FuzzFromDockerProfile(f *testing.F) {
	f.Fuzz(func(t *testing.T, profile []byte) {
		requireNativeFilter(t)
		s, err := FromDockerProfile(profile, fuzzCapabilities)
		if err != nil {
			if err.Error() == "" {
				t.Errorf("FromDockerProfile failed with an empty error")
			}
			return
		}
		if err := Check(s); err != nil {
			t.Fatalf("FromDockerProfile accepted the profile, Check refuses it: %v", err)
		}
		checkLoadable(t, s)
	})
}

// seccompSeeds are the seed corpus of both targets: kobako's default
// profile, the profiles podman, docker and containerd really send
// (runtime/testdata), docker's conditional rules, refusals from
// docker_test.go, and tooLongProfile.
func seccompSeeds(t *testing.T) map[string][]any {
	jsonOf := func(v any) []any {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return []any{data}
	}
	seeds := map[string][]any{
		"default":              jsonOf(Default(fuzzCapabilities)),
		"default-sys-admin":    jsonOf(Default(append(fuzzCapabilities, "CAP_SYS_ADMIN"))),
		"docker-conditional":   {[]byte(conditionalProfile)},
		"refuse-unknown-field": {[]byte(`{"defaultAktion": "SCMP_ACT_ERRNO"}`)},
		"refuse-agent":         {[]byte(`{"defaultAction": "SCMP_ACT_NOTIFY"}`)},
		"refuse-errno-0":       {[]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}]}`)},
		"refuse-two-actions": {[]byte(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [` +
			`{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},` +
			`{"names": ["socket"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]}`)},
		"masked-eq": {[]byte(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW",` +
			` "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]}`)},
		"too-long-for-the-kernel": {[]byte(tooLongProfile)},
	}
	for _, engine := range []string{"podman", "docker", "containerd"} {
		if s := engineProfile(t, engine); s != nil {
			seeds["engine-"+engine] = jsonOf(s)
		}
	}
	data, err := os.ReadFile(filepath.Join("testdata", "containerd-seccomp.json"))
	if err != nil {
		t.Fatal(err)
	}
	seeds["ctr-run-seccomp"] = []any{data}
	return seeds
}

// tooLongProfile fails checkLoadable until compile counts instructions:
// 17 alternatives for socket's first argument, each SCMP_CMP_MASKED_EQ of
// all 64 bits, compile to one program of more than 4096 instructions.
// Check accepts it; the init's seccomp(2) would refuse it (EINVAL), after
// kobako told the engine "created".
var tooLongProfile = func() string {
	arg := `{"index": 0, "value": 18446744073709551615, "valueTwo": 18446744073709551615, "op": "SCMP_CMP_MASKED_EQ"}`
	return `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [` +
		strings.TrimSuffix(strings.Repeat(arg+", ", 17), ", ") + `]}]}`
}()

// TestFuzzSeeds checks that the checked-in corpora under testdata/fuzz/
// are the seeds above, and writes them when asked:
//
//	KOBAKO_FUZZ_WRITE_SEEDS=1 go test -run '^TestFuzzSeeds$' ./runtime/seccomp/
func TestFuzzSeeds(t *testing.T) {
	seeds := seccompSeeds(t)
	checkSeeds(t, "FuzzFromDockerProfile", seeds)
	checkSeeds(t, "FuzzCheck", seeds)
}

// checkSeeds compares testdata/fuzz/TARGET/seed-NAME with each seed, in
// the format go test reads ("go test fuzz v1", then one Go literal per
// argument), or writes them with KOBAKO_FUZZ_WRITE_SEEDS=1.
func checkSeeds(t *testing.T, target string, seeds map[string][]any) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	write := os.Getenv("KOBAKO_FUZZ_WRITE_SEEDS") != ""
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, args := range seeds {
		var want bytes.Buffer
		want.WriteString("go test fuzz v1\n")
		for _, arg := range args {
			switch v := arg.(type) {
			case []byte:
				fmt.Fprintf(&want, "[]byte(%q)\n", v)
			case string:
				fmt.Fprintf(&want, "string(%q)\n", v)
			default:
				t.Fatalf("seed %s/%s: no corpus literal for %T", target, name, arg)
			}
		}
		path := filepath.Join(dir, "seed-"+name)
		if write {
			if err := os.WriteFile(path, want.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s is not this seed (%v): rewrite the corpus with KOBAKO_FUZZ_WRITE_SEEDS=1 go test -run '^TestFuzzSeeds$' .", path, err)
		}
	}
}
