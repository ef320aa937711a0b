package tests

// A container's life as ps, rm and inspect tell it: detached and running,
// exited with its status kept, killed from outside, signalled through
// kobako run, and orphaned by a kobako that was SIGKILLed — each one can
// always be removed with rm -f, which leaves nothing behind.

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// psLine returns the line of `ps` (with args) that ends with the name, or "".
func (e *env) psLine(name string, args ...string) string {
	e.t.Helper()
	out := e.mustRun(append([]string{"ps"}, args...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "CONTAINER ID") || !strings.HasSuffix(lines[0], "NAMES") {
		e.t.Errorf("ps header %q, want CONTAINER ID … NAMES", lines[0])
	}
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > 0 && f[len(f)-1] == name {
			return l
		}
	}
	return ""
}

// run -d prints the id and returns; ps shows the container Up; rm refuses a
// running container, rm -f removes it and its PID 1 is gone.
func TestDetachedPsRm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "d1", "busybox", "sleep", "1000"))
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("run -d printed %q, want a 64-hex id", id)
	}
	in := e.waitRunning("d1")
	if in.ID != id || in.Image != "busybox" || strings.Join(in.Command, " ") != "sleep 1000" {
		t.Errorf("inspect d1: id %s image %s command %v", in.ID, in.Image, in.Command)
	}
	line := e.psLine("d1")
	if !strings.HasPrefix(line, id[:12]+" ") || !strings.Contains(line, "Up ") || !strings.Contains(line, "busybox") {
		t.Errorf("ps line for d1 %q, want %s … busybox … Up …", line, id[:12])
	}
	// By unique id prefix, too.
	if got := e.inspect(id[:8]); got.Name != "d1" {
		t.Errorf("inspect %s: name %q, want d1", id[:8], got.Name)
	}

	_, stderr, code := e.run("rm", "d1")
	if code == 0 {
		t.Errorf("rm of a running container succeeded")
	}
	checkOneLineError(t, stderr, "running")
	if e.psLine("d1") == "" {
		t.Errorf("d1 gone from ps after a refused rm")
	}

	e.mustRun("rm", "-f", "d1")
	if line := e.psLine("d1", "-a"); line != "" {
		t.Errorf("ps -a still lists d1 after rm -f: %q", line)
	}
	waitFor(t, fmt.Sprintf("d1's PID 1 (%d) to die", in.Pid), func() bool { return processGone(in.Pid) })
	e.expectNoContainers("rm -f")
}

// A detached container's output is kept by its monitor, and its exit status
// in ps -a once it has exited.
func TestDetachedLogAndExit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "lg", "busybox", "sh", "-c", "echo out; echo err >&2"))
	in := e.waitExited("lg")
	if *in.ExitCode != 0 {
		t.Errorf("lg exit code %d, want 0", *in.ExitCode)
	}
	if out, errOut, _ := e.run("logs", id); out != "out\n" || errOut != "err\n" {
		t.Errorf("logs: stdout %q, stderr %q; want \"out\\n\" and \"err\\n\"", out, errOut)
	}
	if line := e.psLine("lg", "-a"); !strings.Contains(line, "Exited (0)") {
		t.Errorf("ps -a line for lg %q, want Exited (0)", line)
	}
	if line := e.psLine("lg"); line != "" {
		t.Errorf("ps (without -a) lists the exited lg: %q", line)
	}
	// An exited container is removed without -f.
	e.mustRun("rm", "lg")
	e.expectNoContainers("rm")
}

// SIGKILL of the container's PID 1 from outside: kobako run reports 137,
// and ps -a keeps it.
func TestKilledFromOutside(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.start("run", "--name", "k", "busybox", "sleep", "1000")
	in := e.waitRunning("k")
	checkContainerInit(t, in.Pid, "sleep")
	if err := syscall.Kill(in.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := b.wait(t); code != 137 {
		t.Errorf("kobako run exit %d, want 137; output:\n%s", code, b.output())
	}
	if line := e.psLine("k", "-a"); !strings.Contains(line, "Exited (137)") {
		t.Errorf("ps -a line for k %q, want Exited (137)", line)
	}
}

// checkContainerInit makes sure that pid is a container's PID 1 running
// comm before the test signals it: never signal what we did not start.
func checkContainerInit(t *testing.T, pid int, comm string) {
	t.Helper()
	// "running" begins when start releases the init, a moment before the
	// init's last steps (capabilities, seccomp) and its execve.
	waitFor(t, fmt.Sprintf("pid %d to exec the container's %s", pid, comm), func() bool { return processCommIs(pid, comm) })
	ours, err1 := os.Readlink("/proc/self/ns/pid")
	theirs, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err1 != nil || err2 != nil || ours == theirs {
		t.Fatalf("pid %d is not in a PID namespace of its own (%v, %v)", pid, err1, err2)
	}
}

// Signals sent to kobako run reach the container's PID 1, which handles
// them with its trap.
func TestSignalsForwarded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{
		{"TERM", syscall.SIGTERM},
		{"INT", syscall.SIGINT},
		{"HUP", syscall.SIGHUP},
		{"USR1", syscall.SIGUSR1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := 128 + int(tc.sig)
			name := "sig-" + strings.ToLower(tc.name)
			// The trap is set before /ready exists: once the host sees the
			// file, the signal cannot be lost to PID 1's default of ignoring.
			script := fmt.Sprintf("trap 'exit %d' %s; touch /ready; while :; do sleep 0.1; done", code, tc.name)
			b := e.start("run", "--rm", "--name", name, "busybox", "sh", "-c", script)
			in := e.waitRunning(name)
			waitForFile(t, in.Pid, "/ready")
			if err := b.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			if got := b.wait(t); got != code {
				t.Errorf("kobako run exit %d after SIG%s, want %d; output:\n%s", got, tc.name, code, b.output())
			}
		})
	}
	e.expectNoContainers("run --rm")
}

// A PID namespace's init ignores signals it has no handler for: SIGTERM to
// kobako run reaches sleep, which goes on sleeping. rm -f still works.
func TestInitIgnoresUnhandledSignal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.start("run", "--name", "s", "busybox", "sleep", "1000")
	in := e.waitRunning("s")
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if !b.running() {
		t.Fatalf("kobako run ended after SIGTERM to a sleep without handler: exit %d\n%s", b.code, b.output())
	}
	if now := e.inspect("s"); now.Status != "running" || now.Pid != in.Pid {
		t.Errorf("after SIGTERM: status %s pid %d, want running pid %d", now.Status, now.Pid, in.Pid)
	}
	e.mustRun("rm", "-f", "s")
	if code := b.wait(t); code != 137 {
		t.Errorf("kobako run exit %d after rm -f, want 137", code)
	}
	waitFor(t, "s's PID 1 to die", func() bool { return processGone(in.Pid) })
}

// kobako run SIGKILLed: the container runs on, ps -a shows it Up, and rm -f
// removes it completely.
func TestKilledKobakoRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.start("run", "--name", "victim", "busybox", "sleep", "1000")
	in := e.waitRunning("victim")
	if err := b.cmd.Process.Kill(); err != nil { // our own child
		t.Fatal(err)
	}
	b.wait(t)
	if processGone(in.Pid) {
		t.Fatalf("the container's PID 1 died with its kobako run")
	}
	if line := e.psLine("victim", "-a"); !strings.Contains(line, "Up ") {
		t.Errorf("ps -a line for victim %q, want Up", line)
	}
	e.mustRun("rm", "-f", "victim")
	waitFor(t, fmt.Sprintf("victim's PID 1 (%d) to die", in.Pid), func() bool { return processGone(in.Pid) })
	if line := e.psLine("victim", "-a"); line != "" {
		t.Errorf("ps -a still lists victim after rm -f: %q", line)
	}
}

// Nobody waited when the container died (its kobako run was SIGKILLed
// first): ps -a says so, and rm without -f removes it.
func TestExitedUnknown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.start("run", "--name", "u", "busybox", "sleep", "1000")
	in := e.waitRunning("u")
	checkContainerInit(t, in.Pid, "sleep")
	if err := b.cmd.Process.Kill(); err != nil { // our own child
		t.Fatal(err)
	}
	b.wait(t)
	if err := syscall.Kill(in.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "u's PID 1 to die", func() bool { return processGone(in.Pid) })
	if line := e.psLine("u", "-a"); !strings.Contains(line, "Exited (unknown)") {
		t.Errorf("ps -a line for u %q, want Exited (unknown)", line)
	}
	if now := e.inspect("u"); now.Status != "stopped" {
		t.Errorf("inspect u: status %s, want stopped", now.Status)
	}
	e.mustRun("rm", "u")
	e.expectNoContainers("rm")
}

// A killed monitor of a detached container: the same, for run -d.
func TestKilledMonitor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "orphan", "busybox", "sleep", "1000")
	in := e.waitRunning("orphan")
	// The monitor is the container's parent; it is kobako's own process,
	// found through the container we started.
	monitor := parentPid(t, in.Pid)
	if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", monitor)); exe != kobako {
		t.Fatalf("parent %d of the container runs %q, want kobako's monitor", monitor, exe)
	}
	if err := syscall.Kill(monitor, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the monitor to die", func() bool { return processGone(monitor) })
	if line := e.psLine("orphan"); !strings.Contains(line, "Up ") {
		t.Errorf("ps line for orphan %q, want Up", line)
	}
	e.mustRun("rm", "-f", "orphan")
	waitFor(t, "orphan's PID 1 to die", func() bool { return processGone(in.Pid) })
}

// parentPid reads the PPid of pid from /proc/<pid>/status.
func parentPid(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "PPid:"); ok {
			var ppid int
			if _, err := fmt.Sscan(v, &ppid); err == nil {
				return ppid
			}
		}
	}
	t.Fatalf("no PPid in /proc/%d/status", pid)
	return 0
}

// waitForFile waits until the container whose init is pid has made path
// (seen from the host through /proc/<pid>/root): a script's way of saying
// "my trap is set".
func waitForFile(t *testing.T, pid int, path string) {
	t.Helper()
	waitFor(t, path+" in the container", func() bool {
		_, err := os.Stat(fmt.Sprintf("/proc/%d/root%s", pid, path))
		return err == nil
	})
}
