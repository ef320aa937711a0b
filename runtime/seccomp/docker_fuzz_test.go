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
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kobako/kobako/internal/fuzzseed"
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
	fuzzseed.Check(t, "FuzzFromDockerProfile", seeds)
	fuzzseed.Check(t, "FuzzCheck", seeds)
}
