package container

// Everyday lifecycle commands on top of the runtime: kill, stop, start of
// an exited container, wait, rename. Signals go to the container's PID 1
// (`kill -s SIG $PID` on the host); PID 1 of a PID namespace ignores a
// signal it has no handler for — which is why stop ends with SIGKILL.

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/runtime"
)

// Kill sends sig to c's PID 1. A paused container gets its other signals
// when it is unpaused, as docker's does; SIGKILL thaws it, to let it die.
// A signal that stops it (UserStops) also ends its restarts until it is
// started again; to a restarting container it says only that.
func (s *Store) Kill(c *Container, sig unix.Signal) error {
	s.narrate(c)
	stops := c.UserStops(sig)
	if stops {
		if err := s.markStoppedByUser(c); err != nil {
			return err
		}
	}
	err := s.rt.Kill(c.ID, sig)
	if errors.Is(err, runtime.ErrNotRunning) || errors.Is(err, runtime.ErrNotExist) {
		if stops && s.restarting(c) {
			return nil // its monitor will not restart it now
		}
		return fmt.Errorf("container %s is not running", c.Name)
	} else if err != nil {
		return err
	}
	s.event(c, "kill", map[string]string{"signal": strconv.Itoa(int(sig))})
	if sig == unix.SIGKILL {
		return s.thawAfterKill(c)
	}
	return nil
}

// Stop asks c to end with sig and kills it after timeout: docker's stop.
// A stopped container is left as it is.
func (s *Store) Stop(c *Container, sig unix.Signal, timeout time.Duration) error {
	s.narrate(c)
	// Before any signal: what the user stops, the monitor must not
	// restart (restart.go). Its monitor then ends, and stop waits for it.
	if err := s.markStoppedByUser(c); err != nil {
		return err
	}
	defer watchMonitor(c)(monitorGrace)
	st, err := s.Status(c)
	if err != nil || st.State == specs.StateStopped {
		return err
	}
	err = s.rt.Kill(c.ID, sig)
	if errors.Is(err, runtime.ErrNotExist) {
		return nil // still being made (ps: Creating): nothing of it runs yet
	}
	if err != nil && !errors.Is(err, runtime.ErrNotRunning) {
		return err
	}
	stopped, err := s.rt.WaitStopped(c.ID, timeout)
	if err != nil {
		return err
	}
	if !stopped {
		if err := s.rt.Kill(c.ID, unix.SIGKILL); err != nil && !errors.Is(err, runtime.ErrNotRunning) {
			return err
		}
		// A paused container waited out the timeout frozen (pause.go).
		if err := s.thawAfterKill(c); err != nil {
			return err
		}
		if _, err := s.rt.WaitStopped(c.ID, -1); err != nil {
			return err
		}
	}
	// Return once its exit status is recorded, so that ps shows it: the
	// monitor's "die" comes first in the journal, then "stop", as docker's.
	_, err = s.awaitExitRecord(c)
	if errors.Is(err, os.ErrNotExist) {
		err = nil // removed as it ended (--rm), or by rm -f meanwhile: stopped
	}
	s.event(c, "stop", nil)
	return err
}

// Restart stops c with stop, then starts it again in the background. A
// --rm container stays through it, as docker's restart keeps it: before
// the stop, its record says it is kept, so that whoever waits for it (its
// monitor, or the kobako run in the foreground) records the exit instead
// of removing it; the start clears the mark.
func (s *Store) Restart(c *Container, stop func() error) error {
	if c.AutoRemove {
		if err := s.update(c, func(r *Record) { r.KeptForRestart = true }); err != nil {
			return err
		}
	}
	if err := stop(); err != nil {
		if c.AutoRemove {
			s.update(c, func(r *Record) { r.KeptForRestart = false })
		}
		return err
	}
	_, err := s.Start(c, false, Stdio{})
	return err
}

// keptForRestart reads c's record as it is now: does a restart keep it
// through its exit?
func (s *Store) keptForRestart(c *Container) bool {
	now, err := s.load(c.ID)
	return err == nil && now.KeptForRestart
}

// Start runs an exited container again, on its same writable layer: its
// files are still there. attach runs it in the foreground; otherwise a
// monitor keeps it, as `run -d` does.
func (s *Store) Start(c *Container, attach bool, stdio Stdio) (Exit, error) {
	s.narrate(c)
	st, err := s.Status(c)
	if err != nil {
		return Exit{}, err
	}
	if st.Dead {
		return Exit{}, errDead(c)
	}
	if st.Restarting && !attach {
		return Exit{}, nil // as docker: its monitor is about to start it
	}
	if st.Restarting {
		return Exit{}, fmt.Errorf("container %s is restarting: stop it first (kobako stop %s)", c.Name, c.Name)
	}
	if st.State != specs.StateStopped {
		return Exit{}, fmt.Errorf("container %s is %s: only an exited container can be started", c.Name, st.State)
	}
	if err := s.clearRun(c); err != nil {
		return Exit{}, err
	}
	// A person's start: the restart policy counts again from nothing.
	err = s.update(c, func(r *Record) {
		r.StoppedByUser, r.RestartCount, r.Restarting, r.KeptForRestart = false, 0, false, false
	})
	if err != nil {
		return Exit{}, err
	}
	if !attach {
		return Exit{}, s.StartDetached(c)
	}
	return s.Run(c, stdio)
}

// clearRun deletes the runtime state (and cgroup) of c's last run, before
// it starts again — by kobako start, or by its monitor's restart. The
// bundle and its layer stay.
func (s *Store) clearRun(c *Container) error {
	// runc delete $ID
	if err := s.rt.Delete(c.ID, false); err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return err
	}
	return nil
}

// restarting says whether c's monitor waits to restart it (restart.go).
func (s *Store) restarting(c *Container) bool {
	now, err := s.load(c.ID)
	return err == nil && now.Restarting && monitorAlive(c)
}

// monitorGrace bounds how long stop and rm -f wait for the monitor of a
// container with a restart policy to end.
const monitorGrace = 5 * time.Second

// Wait waits until c has stopped and returns its recorded exit status
// (nil when nobody was left to record it).
func (s *Store) Wait(c *Container) (*int, error) {
	if st, err := s.Status(c); err != nil || st.State == specs.StateStopped {
		return c.ExitCode, err
	}
	if _, err := s.rt.WaitStopped(c.ID, -1); err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return nil, err
	}
	return s.awaitExitRecord(c)
}

// awaitExitRecord waits briefly for the exit status of the run that just
// ended: its waiting parent (run or the monitor) records it right after
// the exit. c is the record as it was before; a parent that was killed
// records nothing, and then the answer is nil.
func (s *Store) awaitExitRecord(c *Container) (*int, error) {
	for i := 0; i < 50; i++ {
		now, err := s.load(c.ID)
		if err != nil {
			return nil, err
		}
		if now.ExitCode != nil && (c.FinishedAt == nil || now.FinishedAt.After(*c.FinishedAt)) {
			return now.ExitCode, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, nil
}

// Rename gives c a new name: the new name is claimed first, so a name
// already taken leaves everything as it was.
func (s *Store) Rename(c *Container, name string) error {
	unlock, err := fileutil.LockDir(c.Bundle)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.claimName(name, c.ID); err != nil {
		return err
	}
	var old string
	err = s.updateLocked(c, func(r *Record) { old, r.Name = r.Name, name })
	if err != nil {
		return errors.Join(err, s.releaseName(name, c.ID))
	}
	c.Name = name
	s.event(c, "rename", map[string]string{"oldName": old})
	return s.releaseName(old, c.ID)
}
