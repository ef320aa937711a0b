package seccomp

// The compiled programs, in the kernel: the test binary runs itself again
// as a child (a filter can never be removed, so it must not land on the
// test's own threads), which sets no_new_privs, installs a program on its
// locked thread, and makes each probe call there, before and after. As in
// a container, the test (the parent) compiles the profile and the child
// gets the marshalled program, which it unmarshals and installs. The
// arguments are chosen so that the kernel itself would refuse almost every
// call with some other errno (EINVAL, EFAULT, …) even as root, so an EPERM
// after can only be the filter's, and nothing changes when a call gets
// through. (That Install puts up exactly the program's filters, the
// program package's own test sees from outside, with ptrace.)

import (
	"os"
	"testing"

	"github.com/kobako/kobako/internal/seccomptest"
	"github.com/kobako/kobako/runtime/seccomp/program"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// unmarshalAndInstall is what the container's init does with the program
// it gets.
func unmarshalAndInstall(marshalled []byte) error {
	p, err := program.Unmarshal(marshalled)
	if err != nil {
		return err
	}
	return p.Install()
}

func TestMain(m *testing.M) {
	seccomptest.Main(probes, unmarshalAndInstall)
	os.Exit(m.Run())
}

// probes are the calls the child makes, each (but personality) with
// arguments the kernel refuses.
var probes = seccomptest.Probes{
	"getpid": func() unix.Errno { return rawSyscall(unix.SYS_GETPID) },
	// KEYCTL_… 0xffff is no command: EOPNOTSUPP.
	"keyctl": func() unix.Errno { return rawSyscall(unix.SYS_KEYCTL, 0xffff) },
	// add_key(NULL, …): EFAULT.
	"add_key": func() unix.Errno { return rawSyscall(unix.SYS_ADD_KEY, 0, 0, 0, 0, 0) },
	// bpf(0xffff, NULL, 0): no such command, EINVAL.
	"bpf": func() unix.Errno { return rawSyscall(unix.SYS_BPF, 0xffff, 0, 0) },
	// CLONE_NEWUSER with a bit unshare does not take: EINVAL.
	"unshare": func() unix.Errno { return rawSyscall(unix.SYS_UNSHARE, unix.CLONE_NEWUSER|0x1) },
	// mount with a source at address 1: EFAULT, before any check of rights.
	"mount": func() unix.Errno { return rawSyscall(unix.SYS_MOUNT, 1, 0, 0, 0, 0) },
	// clone3(NULL, 0): a struct too small, EINVAL.
	"clone3": func() unix.Errno { return rawSyscall(unix.SYS_CLONE3, 0, 0) },
	// A persona that turns off address space randomisation, with write's
	// number in the high word, which the kernel ignores (it takes an
	// unsigned int): go-seccomp-bpf's own program would take it for write.
	// This one gets through before Install, in this throwaway child.
	"personality": func() unix.Errno { return rawSyscall(unix.SYS_PERSONALITY, unix.SYS_WRITE<<32|addrNoRandomize) },
	// setns(-1, 0): EBADF.
	"setns": func() unix.Errno { return rawSyscall(unix.SYS_SETNS, ^uintptr(0), 0) },
	// mkdirat(-1, NULL, 0): EFAULT.
	"mkdirat": func() unix.Errno { return rawSyscall(unix.SYS_MKDIRAT, ^uintptr(0), 0, 0) },
}

func rawSyscall(nr uintptr, args ...uintptr) unix.Errno {
	var a [6]uintptr
	copy(a[:], args)
	_, _, errno := unix.RawSyscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	return errno
}

// runChild compiles s, installs the program in a child and returns what
// it saw.
func runChild(t *testing.T, s *specs.LinuxSeccomp) seccomptest.Report {
	t.Helper()
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	r := seccomptest.Run(t, p)
	if r.Seccomp != "Seccomp:\t2" {
		t.Errorf("child's thread after Install: %q, want Seccomp: 2 (filter mode)", r.Seccomp)
	}
	return r
}

// checkAfter compares the errnos after Install with want (0: success); a
// call the filter answers must have been answered otherwise by the kernel
// before.
func checkAfter(t *testing.T, r seccomptest.Report, want map[string]unix.Errno) {
	t.Helper()
	for name, errno := range want {
		if got := r.After[name]; got != seccomptest.ErrnoName(errno) {
			t.Errorf("%s after Install: %q, want %q (before: %q)", name, got, seccomptest.ErrnoName(errno), r.Before[name])
		}
		if (errno == unix.EPERM || errno == unix.ENOSYS) && r.Before[name] == seccomptest.ErrnoName(errno) {
			t.Errorf("%s before Install already fails with %s: the probe cannot tell the filter's answer", name, seccomptest.ErrnoName(errno))
		}
	}
}

func TestLoadDefault(t *testing.T) {
	requireNativeFilter(t)
	r := runChild(t, Default([]string{"CAP_CHOWN", "CAP_SETUID"}))
	checkAfter(t, r, map[string]unix.Errno{
		"getpid": 0, "mkdirat": unix.EFAULT,
		"keyctl": unix.EPERM, "add_key": unix.EPERM, "bpf": unix.EPERM, "unshare": unix.EPERM, "mount": unix.EPERM,
		"clone3": unix.ENOSYS, "personality": unix.EPERM,
	})
}

// With CAP_SYS_ADMIN the namespace calls reach the kernel, which answers.
func TestLoadDefaultWithSysAdmin(t *testing.T) {
	requireNativeFilter(t)
	r := runChild(t, Default([]string{"CAP_SYS_ADMIN"}))
	checkAfter(t, r, map[string]unix.Errno{
		"unshare": unix.EINVAL, "mount": unix.EFAULT, "clone3": unix.EINVAL, "bpf": unix.EINVAL,
		"keyctl": unix.EPERM, "add_key": unix.EPERM,
	})
}

func TestLoadDockerProfile(t *testing.T) {
	requireNativeFilter(t)
	s, err := FromDockerProfile([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := runChild(t, s)
	checkAfter(t, r, map[string]unix.Errno{"mkdirat": unix.EACCES, "keyctl": unix.EOPNOTSUPP, "clone3": unix.EINVAL, "getpid": 0})
}
