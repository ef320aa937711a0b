package tutorial

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// A shell that ends while --yes waits for it — the OOM killer took it —
// ends the wait at once with errShellEnded, whether kobako is still
// pressing Enter for the prompt or waiting for the done mark; a shell that
// answers is seen as answering.
func TestTypingSeesTheShellEnd(t *testing.T) {
	screen := &lockedBuffer{}
	exited := make(chan struct{})
	close(exited)
	start := time.Now()
	if err := waitFor(screen, donePrinted, exited, time.Minute); !errors.Is(err, errShellEnded) {
		t.Errorf("waitFor after the shell ended: %v, want errShellEnded", err)
	}
	if err := awaitPrompt(io.Discard, screen, exited, time.Minute); !errors.Is(err, errShellEnded) {
		t.Errorf("awaitPrompt after the shell ended: %v, want errShellEnded", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the waits took %s after the shell had ended", took)
	}

	running := make(chan struct{}) // never closed: the shell lives
	screen.Write([]byte("/ # "))
	var typed strings.Builder
	if err := awaitPrompt(&typed, screen, running, time.Minute); err != nil || typed.String() != "\r" {
		t.Errorf("awaitPrompt with the prompt on the screen: %v after %q, want at once after one Enter", err, typed.String())
	}
	if err := waitFor(screen, donePrinted, running, 100*time.Millisecond); err == nil || errors.Is(err, errShellEnded) {
		t.Errorf("waitFor without the mark: %v, want a time-out", err)
	}
}
