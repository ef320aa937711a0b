package seccomp

// The profiles the engines really send (linux.seccomp of the config.json
// files podman, containerd and docker wrote on this machine, in
// runtime/testdata) compile, and load in the kernel. `ctr run` sends none
// unless asked: testdata/containerd-seccomp.json is what containerd
// 1.6.20 sends with `ctr run --seccomp`, captured the same way.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// engineProfile reads linux.seccomp of runtime/testdata/<engine>-config.json
// (nil when the engine sent none).
func engineProfile(t testing.TB, engine string) *specs.LinuxSeccomp {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", engine+"-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	if spec.Linux == nil {
		return nil
	}
	return spec.Linux.Seccomp
}

// containerdProfile reads testdata/containerd-seccomp.json.
func containerdProfile(t testing.TB) *specs.LinuxSeccomp {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "containerd-seccomp.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.LinuxSeccomp
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func TestEngineProfilesCompile(t *testing.T) {
	requireNativeFilter(t)
	for name, s := range map[string]*specs.LinuxSeccomp{
		"podman": engineProfile(t, "podman"), "containerd": engineProfile(t, "containerd"),
		"docker": engineProfile(t, "docker"), "ctr run --seccomp": containerdProfile(t),
	} {
		if err := Check(s); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// podman's profile: defaultErrnoRet 38 (ENOSYS) for what it does not
// name, errno 1 for its deny rules, and setns both allowed and denied —
// allowed, as under runc (see rules.add).
func TestLoadPodmanProfile(t *testing.T) {
	requireNativeFilter(t)
	r := runChild(t, engineProfile(t, "podman"))
	checkAfter(t, r, map[string]unix.Errno{
		"getpid": 0, "mkdirat": unix.EFAULT, "keyctl": unix.EOPNOTSUPP, "mount": unix.EFAULT,
		"unshare": unix.EINVAL, "clone3": unix.EINVAL, "setns": unix.EBADF,
		"bpf": unix.EPERM, "add_key": unix.ENOSYS, "personality": unix.ENOSYS,
	})
}

// docker's profile: an allow list, EPERM for the rest, ENOSYS for clone3.
func TestLoadDockerEngineProfile(t *testing.T) {
	requireNativeFilter(t)
	r := runChild(t, engineProfile(t, "docker"))
	checkAfter(t, r, map[string]unix.Errno{
		"getpid": 0, "mkdirat": unix.EFAULT,
		"keyctl": unix.EPERM, "add_key": unix.EPERM, "bpf": unix.EPERM, "unshare": unix.EPERM,
		"mount": unix.EPERM, "setns": unix.EPERM, "personality": unix.EPERM, "clone3": unix.ENOSYS,
	})
}

// containerd's default profile (ctr run --seccomp): docker's, in effect.
func TestLoadContainerdProfile(t *testing.T) {
	requireNativeFilter(t)
	r := runChild(t, containerdProfile(t))
	checkAfter(t, r, map[string]unix.Errno{
		"getpid": 0, "mkdirat": unix.EFAULT,
		"keyctl": unix.EPERM, "bpf": unix.EPERM, "unshare": unix.EPERM, "mount": unix.EPERM,
		"setns": unix.EPERM, "personality": unix.EPERM, "clone3": unix.ENOSYS,
	})
}

// What kobako cannot do is refused at create, in one line: a seccomp
// agent (listenerPath, SCMP_ACT_NOTIFY) and the flags it has no use for.
func TestCheckRefusesInOneLine(t *testing.T) {
	requireNativeFilter(t)
	notify := specs.LinuxSyscall{Names: []string{"mkdirat"}, Action: specs.ActNotify}
	for want, s := range map[string]*specs.LinuxSeccomp{
		"listenerPath": {DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock"},
		"SCMP_ACT_NOTIFY hands calls to a seccomp agent": {DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{notify}},
		"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported": {DefaultAction: specs.ActAllow,
			Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}},
	} {
		err := Check(s)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Check: %v, want one line that says %q", err, want)
		}
	}
	// SECCOMP_FILTER_FLAG_SPEC_ALLOW and _LOG are handed to seccomp(2).
	spec := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{
		specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagLog}}
	if err := Check(spec); err != nil {
		t.Errorf("SPEC_ALLOW and LOG: %v", err)
	}
	runChild(t, spec)
}
