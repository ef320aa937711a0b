package container

// Everyday lifecycle commands on top of the runtime: kill, stop, start of
// an exited container, wait, rename. Signals go to the container's PID 1
// (`kill -s SIG $PID` on the host); PID 1 of a PID namespace ignores a
// signal it has no handler for — which is why stop ends with SIGKILL.

import (
	"errors"
	"fmt"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/runtime"
)

// Kill sends sig to c's PID 1. A paused container gets its other signals
// when it is unpaused, as docker's does; SIGKILL thaws it, to let it die.
func (s *Store) Kill(c *Container, sig unix.Signal) error {
	s.narrate(c)
	if err := s.rt.Kill(c.ID, sig); errors.Is(err, runtime.ErrNotRunning) {
		return fmt.Errorf("container %s is not running", c.Name)
	} else if err != nil {
		return err
	}
	if sig == unix.SIGKILL {
		return s.thawAfterKill(c)
	}
	return nil
}

// Stop asks c to end with sig and kills it after timeout: docker's stop.
// A stopped container is left as it is.
func (s *Store) Stop(c *Container, sig unix.Signal, timeout time.Duration) error {
	s.narrate(c)
	st, err := s.Status(c)
	if err != nil || st.State == specs.StateStopped {
		return err
	}
	if err := s.rt.Kill(c.ID, sig); err != nil && !errors.Is(err, runtime.ErrNotRunning) {
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
	// Return once its exit status is recorded, so that ps shows it.
	_, err = s.awaitExitRecord(c)
	return err
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
	if st.State != specs.StateStopped {
		return Exit{}, fmt.Errorf("container %s is %s: only an exited container can be started", c.Name, st.State)
	}
	// The old runtime state (and cgroup) go; the bundle and layer stay.
	if err := s.rt.Delete(c.ID, false); err != nil && !errors.Is(err, runtime.ErrNotExist) {
		return Exit{}, err
	}
	if !attach {
		return Exit{}, s.StartDetached(c)
	}
	return s.Run(c, stdio)
}

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
	return s.releaseName(old, c.ID)
}
