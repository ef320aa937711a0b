package main

// A process of runc's run or exec in the foreground: kobako waits for it,
// as runc does, and is its person's end. Signals kobako gets are passed on
// to it (the process leads a session of its own, so ^C on a terminal
// reaches kobako, not it); and when it has a terminal and no engine took
// the pty (--console-socket), kobako relays the pty to its own stdin and
// stdout, the person's terminal in raw mode so every key travels as typed:
//
//	stty raw -echo; cat <&0 >$PTY & cat <$PTY
//
// (container/terminal.go does the same for kobako's own run -t, with its
// log and its detach keys.)

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/kobako/kobako/runtime"
)

// passedOn are the signals a foreground process gets when kobako does.
var passedOn = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2}

// foreground is a process kobako waits for.
type foreground struct {
	proc     *runtime.Process
	signals  chan os.Signal
	oldState *term.State   // the person's terminal before raw mode
	output   chan struct{} // closed when the pty's output is all copied
}

// startForeground connects proc to kobako's stdio and signals; with
// wait false (a detached run), it does nothing.
func startForeground(proc *runtime.Process, wait bool) (*foreground, error) {
	fg := &foreground{proc: proc, signals: make(chan os.Signal, 16)}
	if !wait {
		return fg, nil
	}
	if proc.Console != nil {
		if err := fg.relay(); err != nil {
			return nil, err
		}
	}
	signal.Notify(fg.signals, append(passedOn, unix.SIGWINCH)...)
	go func() {
		for sig := range fg.signals {
			if sig == unix.SIGWINCH {
				fg.resize()
				continue
			}
			proc.Signal(sig) // one that has just exited: nothing to do
		}
	}()
	return fg, nil
}

// relay copies between kobako's stdio and the pty.
func (fg *foreground) relay() error {
	console := fg.proc.Console
	if term.IsTerminal(int(os.Stdin.Fd())) {
		// stty raw -echo
		old, err := term.MakeRaw(int(os.Stdin.Fd()))
		if err != nil {
			return err
		}
		fg.oldState = old
		fg.resize()
	}
	go io.Copy(console, os.Stdin)
	fg.output = make(chan struct{})
	go func() {
		// Ends with EIO when the pty's last slave end closes.
		if _, err := io.Copy(os.Stdout, console); err != nil && !errors.Is(err, unix.EIO) {
			io.Copy(io.Discard, console) // stdout gone: keep reading, or the container blocks
		}
		close(fg.output)
	}()
	return nil
}

// resize copies the person's window size to the pty (stty size).
func (fg *foreground) resize() {
	if fg.oldState != nil {
		pty.InheritSize(os.Stdin, fg.proc.Console)
	}
}

// wait waits for the process and returns its exit status, 128+N when a
// signal N ended it.
func (fg *foreground) wait() (int, error) {
	status, err := fg.proc.Wait()
	if fg.output != nil {
		// The last output, bounded: a process that escaped the container
		// may hold the pty open.
		select {
		case <-fg.output:
		case <-time.After(2 * time.Second):
		}
	}
	fg.stop()
	return status, err
}

// stop gives back the person's terminal and kobako's signals.
func (fg *foreground) stop() {
	signal.Stop(fg.signals)
	if fg.oldState != nil {
		term.Restore(int(os.Stdin.Fd()), fg.oldState)
		fg.oldState = nil
	}
	if fg.proc.Console != nil {
		fg.proc.Console.Close()
	}
}
