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
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/kobako/kobako/internal/seccomptest"
	"github.com/kobako/kobako/internal/testenv"
	"golang.org/x/sys/unix"
)

// unmarshalAndInstall is what the container's init does with the program
// it gets.
func unmarshalAndInstall(marshalled []byte) error {
	p, err := Unmarshal(marshalled)
	if err != nil {
		return err
	}
	return p.Install()
}

func TestMain(m *testing.M) {
	seccomptest.Main(probes, unmarshalAndInstall)
	os.Exit(m.Run())
}

// probes are two calls that cannot fail: an errno after Install is the
// filter's.
var probes = seccomptest.Probes{
	"getppid": func() unix.Errno { _, _, e := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0); return e },
	"getpgid": func() unix.Errno { _, _, e := unix.RawSyscall(unix.SYS_GETPGID, 0, 0, 0); return e },
}

func TestInstall(t *testing.T) {
	p := &Program{Flags: unix.SECCOMP_FILTER_FLAG_LOG, Filters: [][]unix.SockFilter{
		deny(unix.SYS_GETPPID, unix.EPERM),
		deny(unix.SYS_GETPGID, unix.ENOTTY),
	}}
	r, stop := seccomptest.Start(t, p, seccomptest.Options{Hold: true})
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
	cmd := seccomptest.Command(t, &Program{Filters: [][]unix.SockFilter{allowAll}}, seccomptest.Options{SkipNoNewPrivs: true})
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
