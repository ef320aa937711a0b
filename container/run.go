package container

// Running a container in the foreground: `kobako run` is create + start
// over the runtime, and then the waiting parent — it relays the terminal,
// forwards signals to the container's PID 1, and reports its exit status.

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/runtime"
)

// Stdio is what the container's stdin, stdout and stderr are connected to
// when it has no terminal (nil: /dev/null), and the terminal of the person
// when it has one.
type Stdio struct {
	In, Out, Err *os.File
}

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

// Exit is how a container ended.
type Exit struct {
	ID          string // the container's short id
	Code        int    // its exit status, 128+N when killed by signal N
	OOMKilled   bool   // the kernel's OOM killer ended it (its own record says so)
	MemoryLimit uint64 // the limit it ran into, in bytes
}

// Run creates and starts c and waits for it.
// Unless it goes with --rm, what it writes is kept in its log as it is
// shown (run_log.go), for `kobako logs` afterwards.
func (s *Store) Run(c *Container, stdio Stdio) (Exit, error) {
	s.narrate(c)
	log, files, err := s.foregroundLog(c, stdio)
	if err != nil {
		return Exit{}, s.removeAfterFailure(c, err)
	}
	defer log.close()
	proc, err := s.createProcess(c, files)
	log.closeContainerEnds(files)
	if err != nil {
		return Exit{}, err
	}
	sess, err := attachLogged(proc, stdio, log)
	if err == nil {
		defer sess.close()
		err = s.start(c)
	}
	if err != nil {
		proc.Signal(unix.SIGKILL)
		proc.Wait()
		return Exit{}, s.removeAfterFailure(c, err)
	}
	code, err := sess.wait()
	if err != nil {
		return Exit{}, err
	}
	exit := s.exitOf(c, code)
	return exit, s.finish(c, exit)
}

// start lets the created container's init exec its command (runtime's
// start: the exec fifo opened), and records when, for ps's "Up 3
// minutes" and inspect's startedAt.
func (s *Store) start(c *Container) error {
	if err := s.rt.Start(c.ID); err != nil {
		return err
	}
	now := time.Now().UTC()
	s.event(c, "start", nil)
	return s.update(c, func(r *Record) { r.StartedAt, r.Restarting = &now, false })
}

// foregroundLog opens c's log unless c goes with --rm; files are what to
// give the container as its stdin, stdout and stderr.
func (s *Store) foregroundLog(c *Container, stdio Stdio) (*runLog, [3]*os.File, error) {
	if c.AutoRemove {
		return nil, [3]*os.File{stdio.In, stdio.Out, stdio.Err}, nil
	}
	log, files, err := openRunLog(c, stdio)
	if err != nil {
		return nil, files, fmt.Errorf("open the log of %s: %w", c.Name, err)
	}
	return log, files, nil
}

// session is a process the person is attached to: its terminal relayed,
// the signals kobako receives forwarded to it.
type session struct {
	proc    *runtime.Process
	relay   *terminalRelay // nil without a terminal
	log     *runLog        // nil when nothing is kept
	signals chan os.Signal
}

// attach starts relaying and forwarding for proc. Signals are caught from
// here on, before the process runs, so none is lost in between.
func attach(proc *runtime.Process, stdio Stdio) (*session, error) {
	return attachLogged(proc, stdio, nil)
}

// attachLogged is attach that keeps what proc writes in log too.
func attachLogged(proc *runtime.Process, stdio Stdio, log *runLog) (*session, error) {
	sess := &session{proc: proc, log: log, signals: make(chan os.Signal, 16)}
	signal.Notify(sess.signals, append(forwardedSignals, unix.SIGWINCH)...)
	if log != nil {
		log.start(stdio)
	}
	if proc.Console != nil {
		relay, err := startRelay(proc.Console, stdio, log)
		if err != nil {
			signal.Stop(sess.signals)
			return nil, err
		}
		sess.relay = relay
	}
	return sess, nil
}

// wait forwards signals until the process exits, and returns its status
// once its last output is copied.
func (sess *session) wait() (int, error) {
	go forward(sess.signals, sess.proc, sess.relay)
	code, err := sess.proc.Wait()
	if sess.relay != nil {
		sess.relay.drain()
	}
	if sess.log != nil {
		sess.log.drain()
	}
	return code, err
}

// close puts the person's terminal back and stops catching signals.
func (sess *session) close() {
	signal.Stop(sess.signals)
	if sess.relay != nil {
		sess.relay.restore()
	}
}

// exitOf asks the cgroup whether the OOM killer struck: the kernel counts
// its kills (memory.oom_control or memory.events), so the report is its
// record, not a guess from the status 137. A kill of a process other than
// PID 1 counts too, as in docker's OOMKilled.
func (s *Store) exitOf(c *Container, code int) Exit {
	exit := Exit{ID: c.ShortID(), Code: code}
	mgr, err := s.rt.Cgroup(c.ID)
	if err != nil || mgr == nil {
		return exit
	}
	if oom, err := mgr.OOMKilled(); err == nil && oom {
		exit.OOMKilled = true
		if st, err := mgr.Stats(); err == nil {
			exit.MemoryLimit = st.MemoryLimit
		}
	}
	return exit
}

// createProcess asks the runtime to create the container, with its
// network around it: the files and the namespace to join before, the
// bridge after — the init then exists, blocked before exec, and its
// namespace is /proc/<pid>/ns/net (netns/network.go). If anything fails,
// a fresh container is removed again: `run` that could not run leaves
// nothing.
func (s *Store) createProcess(c *Container, stdio [3]*os.File) (*runtime.Process, error) {
	spec, err := c.Spec()
	if err != nil {
		return nil, err
	}
	network, err := s.prepareNetwork(c, spec)
	if err != nil {
		return nil, s.removeAfterFailure(c, err)
	}
	proc, err := s.createIn(network, runtime.CreateOptions{
		ID: c.ID, Bundle: c.Bundle, Spec: spec, Overlay: network.overlay, Stdio: stdio,
	})
	if err != nil {
		return nil, s.removeAfterFailure(c, err)
	}
	// ip link add … netns $PID: between create and start, as CNI does.
	if err := s.connect(c, network, proc.Pid); err != nil {
		proc.Signal(unix.SIGKILL)
		proc.Wait()
		return nil, s.removeAfterFailure(c, err)
	}
	return proc, nil
}

func (s *Store) removeAfterFailure(c *Container, cause error) error {
	if !c.Fresh {
		// It ran before: keep it, drop only the half-made runtime state
		// and network.
		err := s.rt.Delete(c.ID, true)
		if errors.Is(err, runtime.ErrNotExist) {
			err = nil
		}
		if err := errors.Join(err, s.disconnect(c)); err != nil {
			return errors.Join(cause, err)
		}
		return cause
	}
	if err := s.remove(c, true, false); err != nil {
		return errors.Join(cause, fmt.Errorf("clean up container %s: %w", c.Name, err))
	}
	return cause
}

func forward(signals <-chan os.Signal, proc *runtime.Process, relay *terminalRelay) {
	for sig := range signals {
		if sig == unix.SIGWINCH {
			relay.resize()
			continue
		}
		proc.Signal(sig) // a container that has just exited: nothing to do
	}
}

// finish records the exit status, and removes the container after --rm.
func (s *Store) finish(c *Container, exit Exit) error {
	return s.record(c, exit, nil)
}

// record is finish with then: what the monitor decides from the record
// as it is now (restart.go), written with the exit status under the same
// lock. A container removed meanwhile calls no then.
func (s *Store) record(c *Container, exit Exit, then func(*Record)) error {
	s.event(c, "die", map[string]string{"exitCode": strconv.Itoa(exit.Code)})
	if c.AutoRemove {
		return s.remove(c, true, false)
	}
	unlock, err := fileutil.LockDir(c.Bundle)
	if errors.Is(err, os.ErrNotExist) {
		return nil // removed meanwhile (rm -f from another terminal)
	}
	if err != nil {
		return err
	}
	defer unlock()
	// Its address and ports go back to the bridge: a stopped container
	// holds none, and gets one again when it starts.
	disconnected := s.disconnect(c)
	now := time.Now().UTC()
	// Only what this run learnt is written: the record may have changed
	// while the container ran (rename).
	err = s.updateLocked(c, func(r *Record) {
		r.ExitCode, r.FinishedAt, r.OOMKilled = &exit.Code, &now, exit.OOMKilled
		r.Network = c.Network
		if then != nil {
			then(r)
		}
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return errors.Join(disconnected, err)
	}
	return disconnected
}
