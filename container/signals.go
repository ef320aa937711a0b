package container

// The person's signals, for a container kobako waits for (run, start -a,
// exec): caught from the start, forwarded to the container's PID 1 once
// it runs, and — before it runs — taken as "call it off". A closed pipe
// (| head) is survived the same way. Shell twin of the forwarding:
//
//	trap 'kill -TERM $PID' TERM; trap 'kill -INT $PID' INT; …; wait $PID

import (
	"os"
	"os/signal"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/runtime"
)

// forwardedSignals reach the container's PID 1 when kobako receives them.
// Remember that a PID namespace's init ignores any signal it has no
// handler for (pid_namespaces(7)): `kill -TERM` of a plain `sleep` does
// nothing, as with docker.
var forwardedSignals = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2}

// SurviveClosedPipes keeps kobako alive when whoever reads its output
// goes away (`kobako --trace run … 2>&1 | head -3`). A Go program dies of
// SIGPIPE when it writes to a closed pipe on fd 1 or 2 (see os/signal),
// and a kobako that died there would leave its container half-made, or
// without its exit status and its --rm clean-up. With SIGPIPE caught, the
// write fails with EPIPE instead: the trace drops its lines, the relay
// its output, and the container is waited for and cleaned up as ever.
// Caught, not ignored: execve resets a caught signal to its default but
// keeps an ignored one ignored, and the container's processes must die
// of SIGPIPE as they would anywhere (`yes | head -1`).
func SurviveClosedPipes() {
	// The channel is never read: a full one drops the signal, and that
	// is all it is for.
	signal.Notify(make(chan os.Signal, 1), unix.SIGPIPE)
}

// Signals are the signals a waiting kobako catches, from the moment it
// starts making a container: a ^C, a kill or a closed terminal must never
// end it between two steps, with the container half made. Before the
// container runs, one that would have ended kobako (endingSignals) calls
// the run off; after, each is forwarded to the container's PID 1.
type Signals struct {
	ch    chan os.Signal
	early []os.Signal // caught before the start, to forward after it
}

// endingSignals are the ones people send to end a program — ^C, kill, a
// closed terminal, ^\ — : received before the container runs, they call
// it off. (USR1 and USR2 wait, and reach the container once it runs.)
var endingSignals = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT}

// CatchSignals starts catching the signals a foreground run forwards.
func CatchSignals() *Signals {
	sigs := &Signals{ch: make(chan os.Signal, 16)}
	signal.Notify(sigs.ch, append(forwardedSignals, unix.SIGWINCH)...)
	return sigs
}

// Stop gives the signals their default actions back.
func (sigs *Signals) Stop() { signal.Stop(sigs.ch) }

// Ending returns the first signal received so far that would have ended
// kobako, or nil; the others are kept, to be forwarded once the container
// runs.
func (sigs *Signals) Ending() os.Signal {
	var ending os.Signal
	for {
		select {
		case sig := <-sigs.ch:
			if ending == nil && slices.Contains(endingSignals, sig) {
				ending = sig
			} else if sig != unix.SIGWINCH {
				sigs.early = append(sigs.early, sig)
			}
		default:
			return ending
		}
	}
}

// forward sends the container what kobako catches, those caught before
// it ran first; SIGWINCH resizes its terminal instead.
func forward(sigs *Signals, proc *runtime.Process, relay *terminalRelay) {
	for _, sig := range sigs.early {
		proc.Signal(sig)
	}
	for sig := range sigs.ch {
		if sig == unix.SIGWINCH {
			relay.resize()
			continue
		}
		proc.Signal(sig) // a container that has just exited: nothing to do
	}
}
