package program

// Install, in the kernel. The test binary runs itself again as a child (a
// filter can never be removed, so it must not land on the test's own
// threads): the child sets no_new_privs, installs a program on its locked
// thread, and calls getppid and getpgid there, before and after — calls
// that cannot fail, so an errno after is the filter's. Then the test looks
// from outside, as CRIU does: PTRACE_SECCOMP_GET_FILTER hands back each
// filter the kernel holds for the thread, and PTRACE_SECCOMP_GET_METADATA
// its flags; they must be the program's, in its order.

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/kobako/kobako/internal/testenv"
	"golang.org/x/sys/unix"
)

// programEnv carries the marshalled program, in hex, to the child; with
// skipNoNewPrivsEnv set, the child does not set no_new_privs.
const (
	programEnv        = "KOBAKO_PROGRAM_TEST_PROGRAM"
	skipNoNewPrivsEnv = "KOBAKO_PROGRAM_TEST_SKIP_NNP"
)

func TestMain(m *testing.M) {
	if program, ok := os.LookupEnv(programEnv); ok {
		os.Exit(child(program))
	}
	os.Exit(m.Run())
}

// childReport is what the child prints: its thread's id, each probe's
// errno name ("" for success) before and after Install, and its thread's
// Seccomp: line.
type childReport struct {
	Tid           int
	Before, After map[string]string
	Seccomp       string
}

func child(hexProgram string) int {
	data, err := hex.DecodeString(hexProgram)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	p, err := Unmarshal(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// The filter goes on this thread only: the probes must run here too,
	// and the test finds the filters by this thread's id.
	runtime.LockOSThread()
	report := childReport{Tid: unix.Gettid(), Before: probe()}
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
	if err := p.Install(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	report.After = probe()
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
	// Wait, on this thread, for the test to read the filters: until it
	// closes our stdin.
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

func probe() map[string]string {
	name := func(errno unix.Errno) string {
		if errno == 0 {
			return ""
		}
		return unix.ErrnoName(errno)
	}
	_, _, getppid := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
	_, _, getpgid := unix.RawSyscall(unix.SYS_GETPGID, 0, 0, 0)
	return map[string]string{"getppid": name(getppid), "getpgid": name(getpgid)}
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

// startChild runs the child with p; the child waits, filters in place,
// until stdin is closed. stop closes it and waits for the child.
func startChild(t *testing.T, p *Program, env ...string) (r childReport, stop func()) {
	t.Helper()
	data, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), programEnv+"="+hex.EncodeToString(data)), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop = func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("child: %v\n%s", err, stderr.String())
		}
	}
	if err := json.NewDecoder(stdout).Decode(&r); err != nil {
		stop()
		t.Fatalf("child's report: %v\n%s", err, stderr.String())
	}
	return r, stop
}

func TestInstall(t *testing.T) {
	p := &Program{Flags: unix.SECCOMP_FILTER_FLAG_LOG, Filters: [][]unix.SockFilter{
		deny(unix.SYS_GETPPID, unix.EPERM),
		deny(unix.SYS_GETPGID, unix.ENOTTY),
	}}
	r, stop := startChild(t, p)
	defer stop()
	if r.Seccomp != "Seccomp:\t2" {
		t.Errorf("child's thread after Install: %q, want Seccomp: 2 (filter mode)", r.Seccomp)
	}
	want := map[string]string{"getppid": "EPERM", "getpgid": "ENOTTY"}
	if !reflect.DeepEqual(r.After, want) || r.Before["getppid"] != "" || r.Before["getpgid"] != "" {
		t.Errorf("probes before Install %v, after %v; want none failing before, %v after", r.Before, r.After, want)
	}

	// From outside: the kernel's own copy of each filter, and its flags.
	testenv.RequireRoot(t, "PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN")
	filters, flags := kernelFilters(t, r.Tid)
	if !reflect.DeepEqual(filters, p.Filters) {
		t.Errorf("the kernel holds %d filters %v, want the program's %v", len(filters), filters, p.Filters)
	}
	for i, f := range flags {
		if f != uint64(p.Flags) {
			t.Errorf("filter %d of %d: the kernel's flags %#x, want %#x", i+1, len(flags), f, p.Flags)
		}
	}
}

// kernelFilters stops thread tid with ptrace, reads each of its filters and
// their flags, and lets it go on. The kernel numbers them from the oldest,
// 0, up (kernel/seccomp.c get_nth_filter), though it runs them newest
// first.
func kernelFilters(t *testing.T, tid int) (filters [][]unix.SockFilter, flags []uint64) {
	t.Helper()
	// A tracer is a thread: every ptrace call must come from this one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// PTRACE_SEIZE and PTRACE_INTERRUPT stop the thread without a signal.
	if err := unix.PtraceSeize(tid); err != nil {
		t.Fatalf("ptrace(PTRACE_SEIZE, %d): %v", tid, err)
	}
	defer unix.PtraceDetach(tid)
	if err := unix.PtraceInterrupt(tid); err != nil {
		t.Fatalf("ptrace(PTRACE_INTERRUPT, %d): %v", tid, err)
	}
	var status unix.WaitStatus
	if _, err := unix.Wait4(tid, &status, unix.WALL, nil); err != nil || !status.Stopped() {
		t.Fatalf("wait for thread %d to stop: %v (status %#x)", tid, err, status)
	}
	for i := 0; ; i++ {
		filter := make([]unix.SockFilter, BPFMaxInsns)
		n, err := ptrace(unix.PTRACE_SECCOMP_GET_FILTER, tid, uintptr(i), unsafe.Pointer(&filter[0]))
		if err == unix.ENOENT {
			break // no filter i: all read
		}
		if err != nil {
			t.Fatalf("ptrace(PTRACE_SECCOMP_GET_FILTER, %d, %d): %v", tid, i, err)
		}
		metadata := struct{ FilterOff, Flags uint64 }{FilterOff: uint64(i)}
		if _, err := ptrace(unix.PTRACE_SECCOMP_GET_METADATA, tid, unsafe.Sizeof(metadata), unsafe.Pointer(&metadata)); err != nil {
			t.Fatalf("ptrace(PTRACE_SECCOMP_GET_METADATA, %d, %d): %v", tid, i, err)
		}
		filters = append(filters, filter[:n])
		flags = append(flags, metadata.Flags)
	}
	return filters, flags
}

func ptrace(request, tid int, addr uintptr, data unsafe.Pointer) (uintptr, error) {
	n, _, errno := unix.Syscall6(unix.SYS_PTRACE, uintptr(request), uintptr(tid), addr, uintptr(data), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return n, nil
}

// Without no_new_privs and CAP_SYS_ADMIN, seccomp(2) refuses, and Install
// says what to do. (The child gives up CAP_SYS_ADMIN first: as root, which
// the tests run as, it would hold it.)
func TestInstallNeedsNoNewPrivs(t *testing.T) {
	data, err := (&Program{Filters: [][]unix.SockFilter{allowAll}}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), programEnv+"="+hex.EncodeToString(data), skipNoNewPrivsEnv+"=1")
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 3 || !strings.Contains(string(out), "set no_new_privs first") {
		t.Errorf("Install without no_new_privs: %v, %s; want exit 3 and an error that says to set no_new_privs", err, out)
	}
}

// No profile, no filter; and a program the kernel would refuse is refused
// before the first seccomp(2). Both here, in the test's own process: were
// Install to get as far as the kernel, the filter would allow everything.
func TestInstallRefusesBeforeTheKernel(t *testing.T) {
	if err := (*Program)(nil).Install(); err != nil {
		t.Errorf("nil program: %v", err)
	}
	for want, p := range map[string]*Program{
		"is empty":  {Filters: [][]unix.SockFilter{allowAll, {}}},
		"flags 0x8": {Flags: unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, Filters: [][]unix.SockFilter{allowAll}},
	} {
		if err := p.Install(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Install: %v, want an error that says %q", err, want)
		}
	}
	status, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "Seccomp:\t0") {
		t.Error("a refused program left a filter on the test's thread")
	}
}
