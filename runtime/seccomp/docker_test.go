package seccomp

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// A profile with each kind of condition docker's format has.
const conditionalProfile = `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 1,
	"archMap": [
		{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
		{"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
	],
	"syscalls": [
		{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
		{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
		{"name": "arch_prctl", "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
		{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
		{"names": ["uselib"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.0", "arches": ["s390x"]}},
		{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "comment": "unix sockets only",
			"args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}
	]
}`

func TestResolveDockerProfile(t *testing.T) {
	rw := specs.LinuxSyscall{Names: []string{"read", "write"}, Action: specs.ActAllow}
	unixSockets := specs.LinuxSyscall{Names: []string{"socket"}, Action: specs.ActAllow,
		Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpEqualTo}}}
	for _, c := range []struct {
		target target
		want   specs.LinuxSeccomp
	}{{
		target{goarch: "amd64", kernel: kernelVersion{6, 1}},
		specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: errnoRet(1),
			Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
			Syscalls: []specs.LinuxSyscall{rw,
				{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.ENOSYS)},
				{Names: []string{"arch_prctl"}, Action: specs.ActAllow},
				{Names: []string{"ptrace"}, Action: specs.ActAllow},
				unixSockets}},
	}, {
		target{capabilities: []string{"CAP_CHOWN", "CAP_SYS_ADMIN"}, goarch: "arm64", kernel: kernelVersion{4, 4}},
		specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: errnoRet(1),
			Architectures: []specs.Arch{specs.ArchAARCH64, specs.ArchARM},
			Syscalls: []specs.LinuxSyscall{rw,
				{Names: []string{"mount"}, Action: specs.ActAllow},
				{Names: []string{"uselib"}, Action: specs.ActAllow},
				unixSockets}},
	}} {
		got, err := resolveDockerProfile([]byte(conditionalProfile), c.target)
		if err != nil {
			t.Fatalf("%+v: %v", c.target, err)
		}
		if !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%+v:\ngot  %+v\nwant %+v", c.target, *got, c.want)
		}
	}
}

func TestResolveDockerProfileRefuses(t *testing.T) {
	for want, profile := range map[string]string{
		"read JSON":         `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [`,
		"closing brace":     `{"defaultAction": "SCMP_ACT_ERRNO"} {"defaultAction": "SCMP_ACT_ALLOW"}`,
		`"defaultAktion"`:   `{"defaultAktion": "SCMP_ACT_ERRNO"}`,
		"no defaultAction":  `{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`,
		"both architecture": `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}`,
		"both name and":     `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "read", "names": ["write"], "action": "SCMP_ACT_ALLOW"}]}`,
		"MAJOR.MINOR":       `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "four"}}]}`,
	} {
		_, err := resolveDockerProfile([]byte(profile), target{goarch: "amd64", kernel: kernelVersion{6, 1}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one that says %q", profile, err, want)
		}
	}
}

// FromDockerProfile also checks the result as Compile would: an action that
// no runtime knows fails here, not in the container's init.
func TestFromDockerProfile(t *testing.T) {
	requireNativeFilter(t)
	s, err := FromDockerProfile([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EACCES)}}}
	if !reflect.DeepEqual(*s, want) {
		t.Errorf("got %+v\nwant %+v", *s, want)
	}
	for want, profile := range map[string]string{
		"unknown action": `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_PERHAPS"}]}`,
		"seccomp agent":  `{"defaultAction": "SCMP_ACT_NOTIFY"}`,
		"errnoRet 0":     `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}]}`,
	} {
		if _, err := FromDockerProfile([]byte(profile), nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one that says %q", profile, err, want)
		}
	}
}
