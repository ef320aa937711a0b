package seccomp

// Load, in the kernel: the test binary runs itself again as a child (a
// filter can never be removed, so it must not land on the test's own
// threads), which sets no_new_privs, loads a profile on its locked thread,
// and makes each probe call there, before and after. The arguments are
// chosen so that the kernel itself would refuse almost every call with
// some other errno (EINVAL, EFAULT, …) even as root, so an EPERM after can
// only be the filter's, and nothing changes when a call gets through.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// childEnv carries the profile, as JSON, to the child; with
// skipNoNewPrivsEnv set, the child does not set no_new_privs.
const (
	childEnv          = "KOBAKO_SECCOMP_TEST_PROFILE"
	skipNoNewPrivsEnv = "KOBAKO_SECCOMP_TEST_SKIP_NNP"
)

func TestMain(m *testing.M) {
	if profile, ok := os.LookupEnv(childEnv); ok {
		os.Exit(child(profile))
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
	// This one gets through before Load, in this throwaway child.
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
// success) before and after Load, and its thread's Seccomp: line.
type childReport struct {
	Before, After map[string]string
	Seccomp       string
}

func child(profile string) int {
	var s specs.LinuxSeccomp
	if err := json.Unmarshal([]byte(profile), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// The filter goes on this thread only: the probes must run here too.
	runtime.LockOSThread()
	report := childReport{Before: probeAll()}
	if os.Getenv(skipNoNewPrivsEnv) == "" {
		// setpriv --no-new-privs
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			fmt.Fprintln(os.Stderr, "prctl(PR_SET_NO_NEW_PRIVS):", err)
			return 2
		}
	} else if err := dropSysAdmin(); err != nil {
		fmt.Fprintln(os.Stderr, "drop CAP_SYS_ADMIN:", err)
		return 2
	}
	if err := Load(&s); err != nil {
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

// runChild loads s in a child and returns what it saw.
func runChild(t *testing.T, s *specs.LinuxSeccomp) childReport {
	t.Helper()
	profile, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(profile))
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
		t.Errorf("child's thread after Load: %q, want Seccomp: 2 (filter mode)", r.Seccomp)
	}
	return r
}

// checkAfter compares the errnos after Load with want (0: success); a
// call the filter answers must have been answered otherwise by the kernel
// before.
func checkAfter(t *testing.T, r childReport, want map[string]unix.Errno) {
	t.Helper()
	for name, errno := range want {
		if got := r.After[name]; got != errnoName(errno) {
			t.Errorf("%s after Load: %q, want %q (before Load: %q)", name, got, errnoName(errno), r.Before[name])
		}
		if (errno == unix.EPERM || errno == unix.ENOSYS) && r.Before[name] == errnoName(errno) {
			t.Errorf("%s before Load already fails with %s: the probe cannot tell the filter's answer", name, errnoName(errno))
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

// Without no_new_privs and CAP_SYS_ADMIN, seccomp(2) refuses, and Load
// says what to do. (The child gives up CAP_SYS_ADMIN first: as root, which
// the tests run as, it would hold it.)
func TestLoadNeedsNoNewPrivs(t *testing.T) {
	profile, err := json.Marshal(Default(nil))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(profile), skipNoNewPrivsEnv+"=1")
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 3 || !strings.Contains(string(out), "no_new_privs") {
		t.Errorf("Load without no_new_privs: %v, %s; want exit 3 and an error that says to set no_new_privs", err, out)
	}
}

// dropSysAdmin takes CAP_SYS_ADMIN out of this thread's effective set
// (capsh --drop would take it from the bounding set too; this is enough
// for seccomp(2), which asks the effective one).
func dropSysAdmin() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[0].Effective &^= 1 << unix.CAP_SYS_ADMIN
	return unix.Capset(&hdr, &data[0])
}
