package tests

// run -t: the container gets a terminal of its own, a pty from its own
// devpts, relayed to the caller's terminal — here a pty the test opens,
// as a terminal emulator would.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminal is kobako started on a pty, with everything it writes collected.
type terminal struct {
	ptmx *os.File
	b    *background

	mu  sync.Mutex
	buf bytes.Buffer
	eof chan struct{} // closed when the pty reads EOF or EIO
}

// startOnTerminal starts kobako with args on a new pty of size rows×cols.
func (e *env) startOnTerminal(rows, cols uint16, args ...string) *terminal {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	return startOnPty(e.t, e.command(ctx, args...), cancel, rows, cols)
}

// startOnPty starts cmd on a new pty, with everything it writes collected,
// and kills and reaps it when the test ends; cancel is called once it has
// exited. kobako (startOnTerminal) and the engines' clients (oci_tools_test.go)
// start this way.
func startOnPty(t *testing.T, cmd *exec.Cmd, cancel context.CancelFunc, rows, cols uint16) *terminal {
	t.Helper()
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	if err != nil {
		cancel()
		t.Fatalf("start %s on a pty: %v", cmd.Path, err)
	}
	term := &terminal{ptmx: ptmx, b: &background{cmd: cmd, done: make(chan struct{})}, eof: make(chan struct{})}
	go func() {
		defer cancel()
		cmd.Wait()
		term.b.code = cmd.ProcessState.ExitCode()
		close(term.b.done)
	}()
	go term.read()
	t.Cleanup(func() {
		cmd.Process.Kill() // our own child; a no-op once it has exited
		<-term.b.done
		ptmx.Close()
	})
	return term
}

func (term *terminal) read() {
	defer close(term.eof)
	chunk := make([]byte, 4096)
	for {
		n, err := term.ptmx.Read(chunk)
		term.mu.Lock()
		term.buf.Write(chunk[:n])
		term.mu.Unlock()
		if err != nil {
			return // EIO: the last holder of the pty's other side has gone
		}
	}
}

// output is all the terminal showed so far.
func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.buf.String()
}

// waitOutput waits until the terminal has shown want.
func (term *terminal) waitOutput(t *testing.T, want string) {
	t.Helper()
	waitFor(t, "the terminal to show "+want, func() bool { return strings.Contains(term.output(), want) })
}

// wait waits for kobako to exit and for its output to be read to the end.
func (term *terminal) wait(t *testing.T) (output string, code int) {
	t.Helper()
	code = term.b.wait(t)
	select {
	case <-term.eof:
	case <-time.After(5 * time.Second):
		t.Errorf("the pty stays open after kobako exited")
	}
	return term.output(), code
}

// The container's stdin is a terminal: its own /dev/pts/0, of the caller's size.
func TestTerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	term := e.startOnTerminal(33, 101, "run", "-it", "--rm", "busybox", "sh", "-c",
		`tty; stty size; test -t 0 && echo TTY; echo "TERM=$TERM"`)
	out, code := term.wait(t)
	if code != 0 {
		t.Errorf("exit %d, want 0; output:\n%s", code, out)
	}
	lines := strings.Split(strings.ReplaceAll(strings.TrimSpace(out), "\r\n", "\n"), "\n")
	want := []string{"/dev/pts/0", "33 101", "TTY"}
	if len(lines) < 4 || !slices.Equal(lines[:3], want) || lines[3] == "TERM=" {
		t.Errorf("output:\n%q\nwant %q and a TERM", lines, want)
	}
}

// An interactive shell through the terminal: what we type runs, and exit
// ends kobako run with the shell's status.
func TestTerminalShell(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	term := e.startOnTerminal(24, 80, "run", "-it", "--rm", "busybox", "sh")
	term.waitOutput(t, "# ") // the prompt: the shell reads the terminal now
	if _, err := term.ptmx.Write([]byte("echo $((6*7))\n")); err != nil {
		t.Fatal(err)
	}
	term.waitOutput(t, "42")
	if _, err := term.ptmx.Write([]byte("exit 3\n")); err != nil {
		t.Fatal(err)
	}
	out, code := term.wait(t)
	if code != 3 {
		t.Errorf("exit %d, want 3; output:\n%s", code, out)
	}
}

// The window size follows the caller's terminal: resizing it reaches the
// container's pty, whose shell gets SIGWINCH.
func TestTerminalResize(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	term := e.startOnTerminal(24, 80, "run", "-it", "--rm", "busybox", "sh", "-c",
		`trap 'stty size; exit 0' WINCH; echo READY; while :; do sleep 0.1; done`)
	term.waitOutput(t, "READY")
	// TIOCSWINSZ on the master signals SIGWINCH to kobako, the foreground
	// process group of the pty; send it ourselves too, to our own child.
	if err := pty.Setsize(term.ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	if err := term.b.cmd.Process.Signal(syscall.SIGWINCH); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	out, code := term.wait(t)
	if code != 0 || !strings.Contains(out, "40 120") {
		t.Errorf("exit %d, output:\n%s\nwant 0 and 40 120", code, out)
	}
}
