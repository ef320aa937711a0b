package tutorial

// --yes does the learner's typing for them, in the same shell they would
// use: kobako attach on a pty of the tutorial's own, the line typed, the
// output read until the shell has run it, then ctrl-p ctrl-q. So the
// check that follows sees exactly what a learner's own typing leaves:
// `echo $$` says 1, `kill -9 1` is sent by PID 1's own shell.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
)

// doneMark is what the shell prints once the typed line has run. It is
// typed as arithmetic, so the echo of the typing itself does not match.
const (
	doneTyped   = "echo KOBAKO-$((40+2))-DONE"
	donePrinted = "KOBAKO-42-DONE"
)

// detachKeys are ctrl-p ctrl-q, kobako attach's (and docker's) detach keys.
var detachKeys = []byte{0x10, 0x11}

// typeInto types line into the shell of container name and returns what
// the terminal showed.
func (s *Session) typeInto(name, line string) (string, error) {
	s.ui.dim(fmt.Sprintf("$ sudo kobako attach %s   # %s", name, s.msg.get("yes.typing")))
	cmd := s.k.command("attach", name)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		return "", fmt.Errorf("kobako attach %s: %w", name, err)
	}
	defer tty.Close()
	screen := &lockedBuffer{}
	go io.Copy(screen, tty)
	// Closed once the attach has exited, which it does by itself only
	// when the container's shell died (the OOM killer may take the shell
	// too, not only the hog): every wait below looks at it.
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		cmd.Process.Kill() // ours: the attach started above
		<-exited
	}
	// Enter first, and the shell's prompt back, as a person sees it: then
	// the relay is up and nothing typed is lost on the way in. An Enter
	// pressed before the relay was up is lost: press it again each second.
	if err := awaitPrompt(tty, screen, exited, 15*time.Second); err != nil {
		stop()
		return screen.String(), fmt.Errorf("%s's shell: %w; the screen showed: %q", name, err, lastBytes(cleanScreen(screen.String()), 300))
	}
	// two lines, as a person types them: the mark runs once the line has
	// (a line ending in & could not take "; echo" after it)
	fmt.Fprintf(tty, "%s\r%s\r", line, doneTyped)
	if err := waitFor(screen, donePrinted, exited, time.Minute); err != nil {
		stop()
		return screen.String(), fmt.Errorf("%s's shell did not finish %q: %w; the screen showed: %q", name, line, err, lastBytes(cleanScreen(screen.String()), 300))
	}
	tty.Write(detachKeys)
	if err := waitExit(exited, cmd, 10*time.Second); err != nil {
		return screen.String(), err
	}
	out := cleanScreen(screen.String())
	s.ui.box(s.msg.get("box.typed", name), out)
	return out, nil
}

// lastBytes is the end of s, at most n bytes of it.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// errShellEnded is typing into a shell that is gone: kobako attach
// returned without being detached, because the container's shell exited.
var errShellEnded = errors.New("the container's shell ended")

// awaitPrompt presses Enter until the shell's prompt shows on the screen.
func awaitPrompt(tty io.Writer, screen *lockedBuffer, exited <-chan struct{}, limit time.Duration) error {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		tty.Write([]byte("\r"))
		err := waitFor(screen, "# ", exited, time.Second)
		if err == nil || errors.Is(err, errShellEnded) {
			return err
		}
	}
	return fmt.Errorf("no prompt %q after %s of pressing Enter", "# ", limit)
}

// waitFor polls buf until it holds want, or the attach has exited.
func waitFor(buf *lockedBuffer, want string, exited <-chan struct{}, limit time.Duration) error {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(buf.String(), want) {
			return nil
		}
		select {
		case <-exited:
			return errShellEnded
		default:
		}
	}
	return fmt.Errorf("no %q after %s", want, limit)
}

// waitExit waits for the attach to exit after ctrl-p ctrl-q, killing it
// after limit.
func waitExit(exited <-chan struct{}, cmd *exec.Cmd, limit time.Duration) error {
	select {
	case <-exited:
		return nil // kobako attach exits 0 on detach
	case <-time.After(limit):
		cmd.Process.Kill() // ours
		<-exited
		return fmt.Errorf("kobako attach did not detach")
	}
}

// escapeSeq matches terminal escape sequences, which a transcript shows as noise.
var escapeSeq = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\r`)

// cleanScreen turns what the pty showed into plain lines, without the
// done mark and the detach message.
func cleanScreen(raw string) string {
	var lines []string
	for _, line := range strings.Split(escapeSeq.ReplaceAllString(raw, ""), "\n") {
		if strings.Contains(line, "KOBAKO-") || strings.Contains(line, "detached from") || strings.TrimSpace(line) == "" {
			continue
		}
		lines = append(lines, strings.TrimRight(line, " "))
	}
	return strings.Join(lines, "\n")
}

// lockedBuffer is a bytes.Buffer one goroutine writes while another reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
