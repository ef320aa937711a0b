package tests

// attach: back into a detached container through its monitor, and out
// again with the detach keys while it keeps running.

import (
	"strings"
	"syscall"
	"testing"
)

// A detached -it shell: attach types into it (and gives it our window
// size), ctrl-p ctrl-q lets go with the shell still running, and a second
// attach with other detach keys sees it exit with its own status.
func TestAttachDetachKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-dit", "--name", "box", "busybox", "sh")
	in := e.waitRunning("box")

	term := e.startOnTerminal(33, 101, "attach", "box")
	if _, err := term.ptmx.Write([]byte("echo $((6*7)); stty size\n")); err != nil {
		t.Fatal(err)
	}
	term.waitOutput(t, "42")
	term.waitOutput(t, "33 101")
	term.ptmx.Write([]byte{0x10, 0x11}) // ctrl-p ctrl-q
	out, code := term.wait(t)
	if code != 0 || !strings.Contains(out, "detached from box") {
		t.Errorf("attach after ctrl-p ctrl-q: exit %d, output:\n%s", code, out)
	}
	if now := e.inspect("box"); now.Status != "running" || now.Pid != in.Pid {
		t.Fatalf("after detaching, box is %s with PID %d, want running with PID %d", now.Status, now.Pid, in.Pid)
	}

	term = e.startOnTerminal(24, 80, "attach", "--detach-keys", "ctrl-x,x", "box")
	// ctrl-p ctrl-q is no longer special: it reaches the shell (whose
	// line editor recalls the last command on ctrl-p; ctrl-u clears it).
	term.ptmx.Write([]byte{0x10, 0x11})
	term.ptmx.Write([]byte("\x15exit 5\n"))
	if _, code := term.wait(t); code != 5 {
		t.Errorf("attach while the shell exits 5: exit %d, output:\n%s", code, term.output())
	}
	if line := e.psLine("box", "-a"); !strings.Contains(line, "Exited (5)") {
		t.Errorf("ps -a: %q, want Exited (5)", line)
	}
}

// Without a terminal attach shows the output as it comes and ^C lets go;
// the container runs on. A stopped container cannot be attached.
func TestAttachOutputOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "ticker", "busybox", "sh", "-c",
		`trap 'exit 0' TERM; while :; do echo tick; echo tock >&2; sleep 0.2; done`)
	e.waitRunning("ticker")
	b := e.start("attach", "ticker")
	waitFor(t, "attach to show tick and tock", func() bool {
		out := b.output()
		return strings.Contains(out, "tick\n") && strings.Contains(out, "tock\n")
	})
	b.cmd.Process.Signal(syscall.SIGINT)
	if code := b.wait(t); code != 0 {
		t.Errorf("attach after ^C: exit %d, output:\n%s", code, b.output())
	}
	if now := e.inspect("ticker"); now.Status != "running" {
		t.Errorf("after ^C in attach, ticker is %s, want running", now.Status)
	}
	e.mustRun("stop", "ticker")
	_, stderr, code := e.run("attach", "ticker")
	if code != 125 || !strings.Contains(stderr, "not running") {
		t.Errorf("attach to a stopped container: exit %d, stderr %q", code, stderr)
	}
}
