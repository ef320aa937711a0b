package container

// Running a container in the foreground: `kobako run` is create + start
// over the runtime, and then the waiting parent — it relays the terminal,
// forwards signals to the container's PID 1, and reports its exit status.

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/runtime"
)

// Stdio is what the container's stdin, stdout and stderr are connected to
// when it has no terminal (nil: /dev/null), and the terminal of the person
// when it has one.
type Stdio struct {
	In, Out, Err *os.File
	// Signals are the person's signals, caught since before the container
	// was made (CatchSignals); nil: caught from the attach on.
	Signals *Signals
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
	// The waiting parent's lock, as a monitor holds it: once it is free,
	// a container still waiting for its start is dead (status.go).
	lock, err := holdMonitorLock(c)
	if err != nil {
		return Exit{}, s.removeAfterFailure(c, err)
	}
	defer lock.Close()
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
	if err != nil {
		proc.Signal(unix.SIGKILL)
		proc.Wait()
		return Exit{}, s.removeAfterFailure(c, err)
	}
	defer sess.close()
	// ^C (or a kill, a closed terminal) while it was being made: it never
	// runs, and goes as a run that could not run goes.
	if sig := sess.signals.Ending(); sig != nil {
		return s.callOff(c, proc, sig)
	}
	if err := s.start(c); err != nil {
		proc.Signal(unix.SIGKILL)
		proc.Wait()
		return Exit{}, s.removeAfterFailure(c, err)
	}
	code, err := sess.wait()
	s.tracer.Mark(trace.MarkExited)
	if err != nil {
		return Exit{}, err
	}
	exit := s.exitOf(c, code)
	return exit, s.finish(c, exit)
}

// callOff ends a created container that a signal stopped before its
// start, and removes it if it is fresh. Its status is the shell's for a
// process that signal ended: 128+N.
func (s *Store) callOff(c *Container, proc *runtime.Process, sig os.Signal) (Exit, error) {
	proc.Signal(unix.SIGKILL)
	proc.Wait()
	exit := Exit{ID: c.ShortID(), Code: 128 + int(sig.(unix.Signal))}
	err := s.removeAfterFailure(c, nil)
	if err == nil && !c.Fresh {
		// It ran before: it stays, stopped, with this status.
		err = s.finish(c, exit)
	}
	return exit, err
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
	signals *Signals
	ownSigs bool // caught by attach, stopped by close
}

// attach starts relaying and forwarding for proc. Signals are caught from
// here on, before the process runs, so none is lost in between.
func attach(proc *runtime.Process, stdio Stdio) (*session, error) {
	return attachLogged(proc, stdio, nil)
}

// attachLogged is attach that keeps what proc writes in log too.
func attachLogged(proc *runtime.Process, stdio Stdio, log *runLog) (*session, error) {
	sess := &session{proc: proc, log: log, signals: stdio.Signals}
	if sess.signals == nil {
		sess.signals, sess.ownSigs = CatchSignals(), true
	}
	if log != nil {
		log.start(stdio)
	}
	if proc.Console != nil {
		relay, err := startRelay(proc.Console, stdio, log)
		if err != nil {
			sess.stopSignals()
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
	sess.stopSignals()
	if sess.relay != nil {
		sess.relay.restore()
	}
}

// stopSignals stops catching signals if the session started it; its
// caller's catching goes on until the caller stops it.
func (sess *session) stopSignals() {
	if sess.ownSigs {
		sess.signals.Stop()
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
	// The init mounts the layers as it builds the container; cp and
	// export of a container that is not running mount them too, under
	// the bundle's lock (cp_root.go), and two overlays on the same upper
	// and work directories break each other. So the container is made
	// under that lock: such a cp waits, then finds it running.
	unlock, err := fileutil.LockDir(c.Bundle)
	if err != nil {
		return nil, s.removeAfterFailure(c, err)
	}
	proc, err := s.createIn(network, runtime.CreateOptions{
		ID: c.ID, Bundle: c.Bundle, Spec: spec, Overlay: network.overlay, Stdio: stdio,
	})
	unlock()
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

// finish records the exit status, and removes the container after --rm.
func (s *Store) finish(c *Container, exit Exit) error {
	return s.record(c, exit, nil)
}

// record is finish with then: what the monitor decides from the record
// as it is now (restart.go), written with the exit status under the same
// lock. A container removed meanwhile calls no then.
func (s *Store) record(c *Container, exit Exit, then func(*Record)) error {
	s.event(c, "die", map[string]string{"exitCode": strconv.Itoa(exit.Code)})
	if c.AutoRemove && !s.keptForRestart(c) {
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
