package tests

// Every signal a person can send a foreground `kobako run` is handled
// like a kill or better: its container gets it, and kobako cleans up and
// exits with the container's status. Before the container runs, a
// signal that would have ended kobako calls the run off instead: nothing
// is left. A closed pipe (| head) or a closed terminal never kills kobako
// half-way.
//
// Shell twin:
//
//	kobako run --name t busybox sh -c 'trap "exit 7" TERM; …' & kill -TERM $!; wait $!   # 7
//	kobako --trace run busybox true 2>&1 | (grep -m1 'new namespaces'; kill -INT …)      # 130, nothing left
//	xterm -e kobako run -it busybox sh   # close the window: sh gets SIGHUP

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// SIGINT and SIGTERM reach the container's PID 1; kobako exits with its
// status, and records it (or removes the container, with --rm).
func TestReliabilitySignalForwarded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	script := `trap "exit 7" TERM; trap "exit 8" INT; echo READY; while :; do sleep 0.1; done`
	for _, tc := range []struct {
		sig  syscall.Signal
		rm   bool
		code int
	}{{syscall.SIGTERM, false, 7}, {syscall.SIGINT, true, 8}} {
		name := fmt.Sprintf("fwd%d", tc.sig)
		args := []string{"run", "--name", name, "busybox", "sh", "-c", script}
		if tc.rm {
			args = append([]string{"run", "--rm"}, args[1:]...)
		}
		b := e.start(args...)
		waitFor(t, name+" to say READY", func() bool { return strings.Contains(b.output(), "READY") })
		if err := b.cmd.Process.Signal(tc.sig); err != nil { // our own child
			t.Fatal(err)
		}
		if code := b.wait(t); code != tc.code {
			t.Errorf("%v to kobako run: exit %d, want the container's %d; output:\n%s", tc.sig, code, tc.code, b.output())
		}
		line := e.psLine(name, "-a")
		switch {
		case tc.rm && line != "":
			t.Errorf("run --rm got %v and exited; ps -a still lists it: %q", tc.sig, line)
		case !tc.rm && !strings.Contains(line, fmt.Sprintf("Exited (%d)", tc.code)):
			t.Errorf("ps -a line for %s %q, want Exited (%d)", name, line, tc.code)
		}
	}
	e.mustRun("rm", fmt.Sprintf("fwd%d", syscall.SIGTERM))
	e.expectNoContainers("rm")
}

// A signal that comes while the container is being made — here while the
// runtime creates it, which the trace shows — calls the run off: kobako
// exits 128+N as if the signal had ended it, and leaves nothing, its
// name free.
func TestReliabilitySignalBeforeStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--rm", "busybox", "true")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		name := fmt.Sprintf("off%d", sig)
		code := e.signalAtTrace(sig, "new namespaces", "--trace", "run", "--name", name, "busybox", "true")
		if code != 128+int(sig) {
			t.Errorf("%v while run --name %s was made: exit %d, want %d", sig, name, code, 128+int(sig))
		}
		if line := e.psLine(name, "-a"); line != "" {
			t.Errorf("%v while %s was made: ps -a lists it: %q", sig, name, line)
		}
		e.expectNoContainers("%v while run was making it", sig)
		if left := dirEntries(t, e.root); len(left) > 0 {
			t.Errorf("%v while run was making it: state left: %v", sig, left)
		}
		e.mustRun("run", "--rm", "--name", name, "busybox", "true") // its name is free
	}
}

// A reader that goes away (kobako run … | head -1): kobako is not killed by
// SIGPIPE; it waits for the container, records it and exits quietly with
// its status.
func TestReliabilitySignalPipe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code := e.runIntoHead(1, "run", "--name", "piped", "busybox", "sh", "-c", "echo one; sleep 0.2; echo two; echo three")
	if line := e.psLine("piped", "-a"); !strings.Contains(line, fmt.Sprintf("Exited (%d)", code)) {
		t.Errorf("run | head -1 exited %d; ps -a line %q, want that status", code, line)
	}
	if code := e.runIntoHead(0, "run", "--rm", "busybox", "sh", "-c", "echo one; echo two"); code != 0 && code != 1 {
		t.Errorf("run --rm | head -0: exit %d, want sh's (0, or 1 when echo met the closed pipe)", code)
	}
	if code := e.runIntoHead(0, "rm", "piped"); code != 0 {
		t.Errorf("rm | head -0: exit %d, want 0", code)
	}
	e.expectNoContainers("rm | head -0")
}

// A closed terminal: kobako, which the terminal's hangup sends SIGHUP,
// forwards it to the container. One that ends on it ends kobako with its
// status; one that ignores it runs on with kobako still its waiting
// parent — whose relay drops what the container writes to the terminal
// that is no more, and does not block it — until it exits.
func TestReliabilitySignalHangup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ends := e.startOnTerminal(24, 80, "run", "-it", "--name", "hup", "busybox", "sh", "-c",
		`trap "exit 5" HUP; echo READY; while :; do sleep 0.1; done`)
	ignores := e.startOnTerminal(24, 80, "run", "-it", "--name", "nohup", "busybox", "sh", "-c",
		`trap "" HUP; echo READY; while [ ! -e /go ]; do sleep 0.1; done; head -c 1000000 /dev/zero; exit 4`)
	ends.waitOutput(t, "READY")
	ignores.waitOutput(t, "READY")
	ends.hangUp(t)
	ignores.hangUp(t)
	if code := ends.b.wait(t); code != 5 {
		t.Errorf("terminal closed under run of a container that exits on SIGHUP: kobako exit %d, want 5", code)
	}
	if line := e.psLine("hup", "-a"); !strings.Contains(line, "Exited (5)") {
		t.Errorf("ps -a line for hup %q, want Exited (5)", line)
	}
	if !ignores.b.running() {
		t.Fatalf("kobako run left when its terminal closed, its container ignoring SIGHUP (exit %d)", ignores.b.code)
	}
	e.mustRun("exec", "nohup", "touch", "/go") // now it writes 1 MB to its terminal, and exits 4
	if code := ignores.b.wait(t); code != 4 {
		t.Errorf("terminal closed, container went on and exited 4: kobako exit %d, want 4", code)
	}
	e.mustRun("rm", "hup", "nohup")
	e.expectNoContainers("rm")
}

// signalAtTrace runs kobako with args and sends it sig (it is our own
// child) once its trace on stderr shows a line with step; it returns the
// exit status. kobako killed by a signal fails the test.
func (e *env) signalAtTrace(sig syscall.Signal, step string, args ...string) int {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	seen := false
	var trace strings.Builder
	for lines := bufio.NewScanner(stderr); lines.Scan(); {
		trace.WriteString(lines.Text() + "\n")
		if !seen && strings.Contains(lines.Text(), step) {
			seen = true
			if err := cmd.Process.Signal(sig); err != nil {
				e.t.Fatal(err)
			}
		}
	}
	code, err := exitCode(cmd, cmd.Wait())
	if err != nil {
		e.t.Fatalf("kobako %s, %v at %q: %v\n%s", strings.Join(args, " "), sig, step, err, trace.String())
	}
	if !seen {
		e.t.Fatalf("kobako %s: the trace never showed %q:\n%s", strings.Join(args, " "), step, trace.String())
	}
	return code
}

// hangUp does to kobako's terminal what closing its window does: the
// kernel hangs it up (vhangup(2) of its pty's other end, /dev/pts/N), and
// sends SIGHUP to kobako, the session's leader. (Closing the test's end
// would do it too, but not while a read of it waits: the close waits.)
func (term *terminal) hangUp(t *testing.T) {
	t.Helper()
	n, err := unix.IoctlGetUint32(int(term.ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts := fmt.Sprintf("/dev/pts/%d", n)
	fd, err := unix.Open(pts, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	// vhangup for one tty: the ioctl behind it
	if err := unix.IoctlSetInt(fd, unix.TIOCVHANGUP, 0); err != nil {
		t.Fatalf("hang up %s: %v", pts, err)
	}
}
