package seccomp

// Compile makes the programs go-seccomp-bpf's LoadFilter used to install,
// instruction for instruction, with the same flags; and refuses what the
// kernel would.

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// testProfiles are the profiles kobako meets: its default (docker's, in
// effect), with and without CAP_SYS_ADMIN, and what the engines send.
func testProfiles(t testing.TB) map[string]*specs.LinuxSeccomp {
	profiles := map[string]*specs.LinuxSeccomp{
		"default":                Default(fuzzCapabilities),
		"default, CAP_SYS_ADMIN": Default(append(fuzzCapabilities, "CAP_SYS_ADMIN")),
		"ctr run --seccomp":      containerdProfile(t),
		"SPEC_ALLOW, LOG": {DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{
			specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagLog}},
	}
	for _, engine := range []string{"podman", "docker", "containerd"} {
		if s := engineProfile(t, engine); s != nil {
			profiles[engine] = s
		}
	}
	return profiles
}

// What seccomp.LoadFilter(seccomp.Filter{Flag: flags, Policy: policy})
// handed seccomp(2), policy by policy: Policy.Assemble, x/net/bpf's
// Assemble, and each raw instruction as a struct sock_filter.
func TestCompileIsWhatLoadFilterInstalled(t *testing.T) {
	requireNativeFilter(t)
	for name, s := range testProfiles(t) {
		c, err := compile(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p, err := Compile(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Flags != uint(c.flags) || len(p.Filters) != len(c.policies) {
			t.Fatalf("%s: flags %#x and %d filters, LoadFilter had %#x and %d", name, p.Flags, len(p.Filters), c.flags, len(c.policies))
		}
		for i := range c.policies {
			insts, err := c.policies[i].Assemble()
			if err != nil {
				t.Fatal(err)
			}
			raw, err := bpf.Assemble(insts)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]unix.SockFilter, 0, len(raw))
			for _, ins := range raw {
				want = append(want, unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K})
			}
			if !reflect.DeepEqual(p.Filters[i], want) {
				t.Errorf("%s: filter %d of %d differs from what LoadFilter installed", name, i+1, len(p.Filters))
			}
		}
	}
}

func TestCompileNil(t *testing.T) {
	if p, err := Compile(nil); p != nil || err != nil {
		t.Errorf("Compile(nil): %v, %v; want no program and no error", p, err)
	}
}

// A profile that compiles to more than BPF_MAXINSNS instructions is
// refused at compile time, in one line that says what to do.
func TestCompileTooLong(t *testing.T) {
	requireNativeFilter(t)
	s, err := resolveDockerProfile([]byte(tooLongProfile), target{goarch: "amd64", kernel: kernelVersion{6, 1}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(s)
	if err == nil || !strings.HasPrefix(err.Error(), "seccomp: ") || !strings.Contains(err.Error(), "at most 4096: write fewer rules") {
		t.Errorf("Compile: %v, want an error that says at most 4096", err)
	}
}
