// Package seccomptest puts a compiled seccomp program to the test in the
// kernel, for the tests of runtime/seccomp (do the profiles filter what
// they should?) and of seccomp/program (does Install put up exactly the
// program?). A filter can never be removed, so it must not land on the
// test's own threads: the test binary runs itself again as a child, which
// sets no_new_privs, installs the program on one locked thread — as the
// container's init does — and makes each probe call there, before and
// after, then prints what it saw as JSON. With Hold it then waits, its
// filters in place, until its stdin closes, so that the test can look at
// it from outside.
package seccomptest

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Probes are the calls the child makes, by name: each returns its errno.
type Probes map[string]func() unix.Errno

// Report is what the child saw: its thread's id, each probe's errno name
// ("" for success) before and after Install, and its thread's Seccomp:
// line of /proc/thread-self/status.
type Report struct {
	Tid           int
	Before, After map[string]string
	Seccomp       string
}

// Options change what the child does.
type Options struct {
	// SkipNoNewPrivs: no no_new_privs, and CAP_SYS_ADMIN dropped from the
	// effective set — what seccomp(2) then refuses.
	SkipNoNewPrivs bool
	// Hold: the child waits after its report until its stdin closes.
	Hold bool
}

// The child's orders, in its environment.
const (
	programEnv = "KOBAKO_SECCOMPTEST_PROGRAM" // the program, marshalled, in hex
	skipEnv    = "KOBAKO_SECCOMPTEST_SKIP_NNP"
	holdEnv    = "KOBAKO_SECCOMPTEST_HOLD"
)

// Install is how the child installs a marshalled program: with
// program.Unmarshal and Install, as the container's init does. (The
// program package's own tests use this package too: it cannot import it.)
type Install func(marshalled []byte) error

// Main is the child, when this test binary was started as one: call it
// first in TestMain. It returns in the test itself.
func Main(probes Probes, install Install) {
	if hexProgram, ok := os.LookupEnv(programEnv); ok {
		os.Exit(child(hexProgram, probes, install))
	}
}

// child installs the program and reports. Exit 2: it could not set up;
// 3: Install failed (its error on stderr).
func child(hexProgram string, probes Probes, install Install) int {
	data, err := hex.DecodeString(hexProgram)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// The filter goes on this thread only: the probes run here too, and
	// the test finds the filters by this thread's id.
	runtime.LockOSThread()
	report := Report{Tid: unix.Gettid(), Before: probe(probes)}
	if os.Getenv(skipEnv) == "" {
		// setpriv --no-new-privs
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			fmt.Fprintln(os.Stderr, "prctl(PR_SET_NO_NEW_PRIVS):", err)
			return 2
		}
	} else if err := dropSysAdmin(); err != nil {
		fmt.Fprintln(os.Stderr, "drop CAP_SYS_ADMIN:", err)
		return 2
	}
	if err := install(data); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	report.After = probe(probes)
	if report.Seccomp, err = seccompLine(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := json.NewEncoder(os.Stdout).Encode(report); err != nil {
		return 2
	}
	if os.Getenv(holdEnv) != "" {
		_, _ = io.Copy(io.Discard, os.Stdin)
	}
	return 0
}

// probe makes each call and names its errno.
func probe(probes Probes) map[string]string {
	results := map[string]string{}
	for name, call := range probes {
		results[name] = ErrnoName(call())
	}
	return results
}

// seccompLine is this thread's "Seccomp:" line: 0 none, 2 filtered.
func seccompLine() (string, error) {
	status, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(status)) {
		if strings.HasPrefix(line, "Seccomp:") {
			return strings.TrimSpace(line), nil
		}
	}
	return "", fmt.Errorf("no Seccomp: line in /proc/thread-self/status")
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

// Program is a program as the child gets it: marshalled.
type Program interface{ MarshalBinary() ([]byte, error) }

// Command is the child for p, not started.
func Command(t testing.TB, p Program, o Options) *exec.Cmd {
	t.Helper()
	data, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), programEnv+"="+hex.EncodeToString(data))
	if o.SkipNoNewPrivs {
		cmd.Env = append(cmd.Env, skipEnv+"=1")
	}
	if o.Hold {
		cmd.Env = append(cmd.Env, holdEnv+"=1")
	}
	return cmd
}

// Start runs the child for p and returns its report; with o.Hold the
// child waits until stop, which closes its stdin and waits for it.
func Start(t testing.TB, p Program, o Options) (r Report, stop func()) {
	t.Helper()
	cmd := Command(t, p, o)
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

// Run is Start for a child that does not hold.
func Run(t testing.TB, p Program) Report {
	t.Helper()
	r, stop := Start(t, p, Options{})
	stop()
	return r
}

// ErrnoName is "EPERM" for EPERM, "" for no error.
func ErrnoName(errno unix.Errno) string {
	if errno == 0 {
		return ""
	}
	return unix.ErrnoName(errno)
}
