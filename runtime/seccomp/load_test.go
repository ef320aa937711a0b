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
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/runtime/seccomp/program"
)

// programEnv carries the marshalled program, in hex, to the child.
const programEnv = "KOBAKO_SECCOMP_TEST_PROGRAM"

func TestMain(m *testing.M) {
	if os.Getenv(programEnv) != "" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

// probes are the calls the child makes, each (but personality) with
// arguments the kernel refuses.
var probes = map[string]func() unix.Errno{
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

// childReport is what the child prints: each probe's errno name ("" for
// success) before and after Install, and its thread's Seccomp: line.
type childReport struct {
	Before, After map[string]string
	Seccomp       string
}

func child() int {
	install, err := fromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// The filter goes on this thread only: the probes must run here too.
	runtime.LockOSThread()
	report := childReport{Before: probeAll()}
	// setpriv --no-new-privs
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "prctl(PR_SET_NO_NEW_PRIVS):", err)
		return 2
	}
	if err := install(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	report.After = probeAll()
	status, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for line := range strings.Lines(string(status)) {
		if strings.HasPrefix(line, "Seccomp:") {
			report.Seccomp = strings.TrimSpace(line)
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(report); err != nil {
		return 2
	}
	return 0
}

// fromEnv is what the child installs: the program the test compiled
// (Unmarshal, then Install, as the container's init does).
func fromEnv() (install func() error, err error) {
	data, err := hex.DecodeString(os.Getenv(programEnv))
	if err != nil {
		return nil, err
	}
	p, err := program.Unmarshal(data)
	if err != nil {
		return nil, err
	}
	return p.Install, nil
}

func probeAll() map[string]string {
	results := map[string]string{}
	for name, probe := range probes {
		results[name] = errnoName(probe())
	}
	return results
}

// errnoName is "EPERM" for EPERM, "" for no error.
func errnoName(errno unix.Errno) string {
	if errno == 0 {
		return ""
	}
	return unix.ErrnoName(errno)
}

// runChild compiles s, installs the program in a child and returns what
// it saw.
func runChild(t *testing.T, s *specs.LinuxSeccomp) childReport {
	t.Helper()
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	data, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return runChildWith(t, programEnv+"="+hex.EncodeToString(data))
}

// runChildWith runs the child with env and returns its report.
func runChildWith(t *testing.T, env string) childReport {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	var r childReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("child's report %q: %v", out, err)
	}
	if r.Seccomp != "Seccomp:\t2" {
		t.Errorf("child's thread after Install: %q, want Seccomp: 2 (filter mode)", r.Seccomp)
	}
	return r
}

// checkAfter compares the errnos after Install with want (0: success); a
// call the filter answers must have been answered otherwise by the kernel
// before.
func checkAfter(t *testing.T, r childReport, want map[string]unix.Errno) {
	t.Helper()
	for name, errno := range want {
		if got := r.After[name]; got != errnoName(errno) {
			t.Errorf("%s after Install: %q, want %q (before: %q)", name, got, errnoName(errno), r.Before[name])
		}
		if (errno == unix.EPERM || errno == unix.ENOSYS) && r.Before[name] == errnoName(errno) {
			t.Errorf("%s before Install already fails with %s: the probe cannot tell the filter's answer", name, errnoName(errno))
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
