package container

// Relaying a container's pty to the person's terminal (-t): their terminal
// goes into raw mode, so every key (^C included) travels to the pty and the
// container's line discipline does the rest; the window size follows theirs
// (SIGWINCH); and everything is put back when the container exits.

import (
	"io"
	"os"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"
)

type terminalRelay struct {
	console  *os.File // the pty master
	in       *os.File // the person's terminal, if stdin is one
	oldState *term.State
	output   chan struct{} // closed when all output is copied
}

// With a log, the pty's output is kept in it as well (run_log.go).
func startRelay(console *os.File, stdio Stdio, log *runLog) (*terminalRelay, error) {
	r := &terminalRelay{console: console, output: make(chan struct{})}
	if stdio.In != nil && term.IsTerminal(int(stdio.In.Fd())) {
		r.in = stdio.In
		// stty raw -echo
		old, err := term.MakeRaw(int(stdio.In.Fd()))
		if err != nil {
			return nil, err
		}
		r.oldState = old
		r.resize()
	}
	if stdio.In != nil {
		go io.Copy(console, stdio.In)
	}
	var out io.Writer = os.Stdout
	if stdio.Out != nil {
		out = stdio.Out
	}
	out = log.terminalWriter(out)
	go func() {
		// Ends with EIO when the last slave closes. If the person's end
		// goes first (EPIPE: `| head`; EIO: their terminal hung up), the
		// writer drops what follows, and the pty is still read to its
		// end: a pty nobody reads fills up and blocks the container.
		io.Copy(out, console)
		close(r.output)
	}()
	return r, nil
}

// resize copies the person's window size to the pty (stty size).
func (r *terminalRelay) resize() {
	if r == nil || r.in == nil {
		return
	}
	pty.InheritSize(r.in, r.console)
}

// drain waits for the container's last output to be copied. The copy ends
// when the pty's last slave end closes, which is when the container's last
// process exits; the bound only guards against a process that escaped the
// container's PID namespace holding it open.
func (r *terminalRelay) drain() {
	select {
	case <-r.output:
	case <-time.After(2 * time.Second):
	}
}

func (r *terminalRelay) restore() {
	if r.oldState != nil {
		term.Restore(int(r.in.Fd()), r.oldState)
	}
	r.console.Close()
}
