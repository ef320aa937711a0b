// Fuzzing the config.json reader (issue 15, item 5): parseConfig decodes
// what an engine (or anyone who can write a bundle) hands kobako create,
// and Validate refuses what kobako cannot do, before anything is made.
// The properties: no panic on any JSON; an error says something, in one
// line (validate.go promises "refuses, in one line": an engine shows it
// to its user as it is); and Validate answers the same config the same
// way twice.
//
// Shell twin: runc spec && vi config.json && kobako create --bundle .
// make fuzz runs it for a while; make test runs its checked-in corpus
// (testdata/fuzz/, written from the seeds below by TestFuzzSeeds), as it
// does FuzzLoadBundle's (bundle_fuzz_test.go).
package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kobako/kobako/internal/fuzzseed"
)

// FuzzValidate parses any bytes as a config.json and validates the result.
func FuzzValidate(f *testing.F) {
	f.Fuzz(func(t *testing.T, config []byte) {
		spec, err := parseConfig(bytes.NewReader(config))
		if err != nil {
			checkErrorLine(t, "parseConfig", err)
			return
		}
		err = Validate(spec)
		if err != nil {
			checkErrorLine(t, "Validate", err)
		}
		if again := Validate(spec); fmt.Sprint(again) != fmt.Sprint(err) {
			t.Errorf("Validate twice: %v, then %v", err, again)
		}
	})
}

// checkErrorLine: an error is one line of something.
func checkErrorLine(t *testing.T, call string, err error) {
	t.Helper()
	if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") {
		t.Errorf("%s: the error is not one line: %q", call, msg)
	}
}

// configSeeds are the seed corpus of FuzzValidate and FuzzLoadBundle: the
// configs podman, docker and containerd wrote (testdata/, their root.path
// pointed at the bundle's rootfs so that LoadBundle gets past it), kobako's
// own default spec, and small ones that Validate refuses.
func configSeeds(t *testing.T) map[string][]any {
	seeds := map[string][]any{}
	for _, engine := range []string{"podman", "docker", "containerd"} {
		config, _ := engineConfig(t, engine)
		seeds["engine-"+engine] = []any{mustMarshal(t, config)}
	}
	seeds["default-spec"] = []any{mustMarshal(t, DefaultSpec("rootfs", []string{"sh"}))}
	for name, config := range map[string]string{
		"no-process":         `{"root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "mount"}]}}`,
		"relative-cwd":       `{"process": {"args": ["sh"], "cwd": "work"}, "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "mount"}]}}`,
		"no-mount-namespace": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"}, "linux": {}}`,
		"host-sysctl": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},` +
			` "linux": {"namespaces": [{"type": "mount"}], "sysctl": {"kernel.panic": "1"}}}`,
		"net-sysctl-host-netns": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},` +
			` "linux": {"namespaces": [{"type": "mount"}, {"type": "network", "path": "/proc/self/ns/net"}], "sysctl": {"net.ipv4.ip_forward": "1"}}}`,
		"user-namespace-join": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},` +
			` "linux": {"namespaces": [{"type": "mount"}, {"type": "user", "path": "/proc/1/ns/user"}]}}`,
		"seccomp-agent": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},` +
			` "linux": {"namespaces": [{"type": "mount"}], "seccomp": {"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/agent.sock"}}}`,
		"relative-hook": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},` +
			` "linux": {"namespaces": [{"type": "mount"}]}, "hooks": {"prestart": [{"path": "hook", "timeout": 0}]}}`,
		"bind-relative-source": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "mount"}]},` +
			` "mounts": [{"destination": "/data", "type": "bind", "source": "data", "options": ["rbind", "ro"]}]}`,
		"not-json":  `ociVersion: 1.0.2`,
		"two-jsons": `{} {}`,
		// A newline in a string of the config ends up in the error, as a
		// second line, until Validate keeps its errors to one.
		"multiline-sysctl": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},` +
			` "linux": {"namespaces": [{"type": "mount"}], "sysctl": {"kernel.panic\nkobako: created": "1"}}}`,
		"multiline-userns-path": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},` +
			` "linux": {"namespaces": [{"type": "mount"}, {"type": "user", "path": "/x\ny"}]}}`,
		"multiline-seccomp-names": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "mount"}],` +
			` "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["x\ny"], "action": "SCMP_ACT_BOGUS"}]}}}`,
		"multiline-mount-destination": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "mount"}]},` +
			` "mounts": [{"destination": "x\ny", "type": "tmpfs", "source": "tmpfs"}]}`,
		"multiline-root-path": `{"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "x\ny"}, "linux": {"namespaces": [{"type": "mount"}]}}`,
	} {
		seeds[name] = []any{[]byte(config)}
	}
	return seeds
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestFuzzSeeds checks that the checked-in corpora under testdata/fuzz/
// are the seeds above, and writes them when asked:
//
//	KOBAKO_FUZZ_WRITE_SEEDS=1 go test -run '^TestFuzzSeeds$' ./runtime/
func TestFuzzSeeds(t *testing.T) {
	seeds := configSeeds(t)
	fuzzseed.Check(t, "FuzzValidate", seeds)
	fuzzseed.Check(t, "FuzzLoadBundle", seeds)
}
