package container

// Detached containers (`kobako run -d`). Someone must stay the container's
// parent: wait for it, keep its output, record its exit status, remove it
// after --rm. `kobako run -d` cannot, since it returns at once, so it starts
// a small monitor — this same binary, as the hidden command `monitor`, in a
// session of its own — which creates and starts the container and then
// waits. (podman's conmon and containerd's shim play the same part for
// runc.) If the monitor is SIGKILLed, the container runs on; `ps -a` still
// shows its real state and `rm -f` still removes it. With --restart, the
// monitor also starts it again when it exits (restart.go).

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/runtime"
)

// monitorReport is what the monitor tells `run -d` once, on fd 3.
type monitorReport struct {
	Error string `json:"error,omitempty"`
	Code  int    `json:"code,omitempty"` // 125, 126 or 127 with an error
}

// MonitorCommand is the hidden command that runs a monitor.
const MonitorCommand = "monitor"

// StartDetached starts a monitor for c and returns once the container runs
// (or failed to start: then it is already removed).
func (s *Store) StartDetached(c *Container) error {
	reportR, reportW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer reportR.Close()
	args := []string{"kobako", "--root", s.root, "--data-root", s.dataRoot}
	if mode := s.tracer.Mode().String(); mode != "" {
		args = append(args, "--trace="+mode) // --trace=all
	} else if s.tracer.Enabled() {
		args = append(args, "--trace")
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        append(args, MonitorCommand, strconv.FormatBool(c.Fresh), c.ID),
		Dir:         "/",
		Stderr:      os.Stderr, // for --trace, until the container started
		ExtraFiles:  []*os.File{reportW},
		SysProcAttr: &unix.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	reportW.Close()
	if err != nil {
		return fmt.Errorf("start monitor: %w", err)
	}
	defer cmd.Process.Release() // it outlives us on purpose
	var report monitorReport
	if err := json.NewDecoder(reportR).Decode(&report); err != nil {
		return fmt.Errorf("the monitor of %s died before starting it: %v", c.Name, err)
	}
	if report.Error != "" {
		return &runtime.InitError{Code: report.Code, Msg: report.Error}
	}
	return nil
}

// Monitor is the monitor process: create, start, report, wait, record —
// and restart, as c's policy says.
// fresh says whether c was just made by `run -d` (see Container.Fresh).
func (s *Store) Monitor(id string, fresh bool, report *os.File) error {
	// Until the container runs, its trace goes to run -d's stderr, which
	// may be a pipe whose reader leaves.
	SurviveClosedPipes()
	c, err := s.load(id)
	if err != nil {
		return err
	}
	c.Fresh = fresh
	// Held until we end: "restarting" is true only while we live.
	lock, err := holdMonitorLock(c)
	if err != nil {
		return err
	}
	defer lock.Close()
	proc, relay, err := s.startMonitored(c)
	var rep monitorReport
	if err != nil {
		rep = monitorReport{Error: err.Error(), Code: 125}
		var ie *runtime.InitError
		if errors.As(err, &ie) {
			rep.Code = ie.Code
		}
	}
	json.NewEncoder(report).Encode(rep)
	report.Close()
	if err != nil {
		return nil // reported: `run -d` tells the user, once
	}
	return s.keep(c, proc, relay)
}

// keep waits for c, records each exit, and restarts c while its policy
// asks for it and nobody stopped it. Each run has its own relay; they
// all append to the one log file.
func (s *Store) keep(c *Container, proc *runtime.Process, relay *relay) error {
	var delay time.Duration
	for {
		code, err := proc.Wait()
		if err != nil {
			relay.close()
			return err
		}
		relay.drain()
		exit := s.exitOf(c, code)
		var restart bool
		err = s.record(c, exit, func(r *Record) {
			ran := time.Duration(0)
			if r.StartedAt != nil {
				ran = time.Since(*r.StartedAt)
			}
			restart = r.RestartPolicy.shouldRestart(exit.Code, r.RestartCount, r.StoppedByUser)
			if restart {
				delay = nextRestartDelay(delay, ran)
				r.Restarting, r.RestartCount = true, r.RestartCount+1
			}
		})
		relay.finish(exit.Code) // attached clients learn the code last, once ps shows it
		if err != nil || !restart {
			return err
		}
		if proc, relay, err = s.restart(c, delay); err != nil {
			// Nothing will restart it now: ps must not say it will.
			s.update(c, func(r *Record) { r.Restarting = false })
			if errors.Is(err, errStoppedByUser) {
				return nil
			}
			return err
		}
	}
}

// restart starts c again after delay, as kobako start does: its old
// runtime state and cgroup go, its bundle and layer stay.
func (s *Store) restart(c *Container, delay time.Duration) (*runtime.Process, *relay, error) {
	if !s.waitToRestart(c, delay) {
		return nil, nil, errStoppedByUser
	}
	if err := s.clearRun(c); err != nil {
		return nil, nil, err
	}
	s.event(c, "restart", nil)
	c.Fresh = false
	return s.startMonitored(c)
}

// startMonitored creates and starts c with its output going through the
// relay (monitor_relay.go).
func (s *Store) startMonitored(c *Container) (*runtime.Process, *relay, error) {
	s.narrate(c)
	relay, stdio, err := newRelay(c.Bundle, c.Tty)
	if err != nil {
		return nil, nil, s.removeAfterFailure(c, fmt.Errorf("set up the container's output: %w", err))
	}
	proc, err := s.createProcess(c, stdio)
	closeFiles(stdio[:]) // the container has its own copies now
	if err != nil {
		relay.close()
		return nil, nil, err
	}
	// A stop or rm -f between the decision to restart and this new
	// init: it saw no container to signal, so the restart ends here.
	// (They write their mark before they look; we look after creating.)
	if !c.Fresh && s.stoppedByUser(c) {
		proc.Signal(unix.SIGKILL)
		proc.Wait()
		relay.close()
		return nil, nil, s.removeAfterFailure(c, errStoppedByUser)
	}
	relay.start(proc.Console)
	if err := s.start(c); err != nil {
		proc.Signal(unix.SIGKILL)
		proc.Wait()
		relay.close()
		return nil, nil, s.removeAfterFailure(c, err)
	}
	// From now on nobody reads our stderr: keep what we may still say.
	return proc, relay, quietStderr(filepath.Join(c.Bundle, "monitor.log"))
}

func quietStderr(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	// exec 2>>monitor.log
	return unix.Dup3(int(f.Fd()), 2, 0)
}
