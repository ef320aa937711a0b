package container

// `kobako pause` and `unpause`: every process of a container stopped at
// once, by its cgroup's freezer, and let go again. Nothing in the
// container is told: no signal, no SIGSTOP a parent could see.
//
// Shell twin (cgroup v1; v2 writes 1 or 0 into cgroup.freeze):
//
//	echo FROZEN > /sys/fs/cgroup/freezer/kobako/$ID/freezer.state
//	echo THAWED > /sys/fs/cgroup/freezer/kobako/$ID/freezer.state
//
// A paused container still holds its memory and its pids; ps says
// "Paused". A frozen process cannot act on a signal, not even SIGKILL on
// cgroup v1, so kill -s KILL, stop and rm -f thaw what they killed
// (thawAfterKill, KillPaused).

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/runtime"
)

// Pause freezes c: docker pause.
func (s *Store) Pause(c *Container) error {
	return s.setFrozen(c, true)
}

// Unpause thaws c: docker unpause.
func (s *Store) Unpause(c *Container) error {
	return s.setFrozen(c, false)
}

// setFrozen freezes or thaws c's cgroup, under c's lock so that a pause
// and an unpause of the same container do not cross.
func (s *Store) setFrozen(c *Container, frozen bool) error {
	s.narrate(c)
	unlock, err := fileutil.LockDir(c.Bundle)
	if err != nil {
		return err
	}
	defer unlock()
	mgr, err := s.liveCgroup(c, "paused")
	if err != nil {
		return err
	}
	now, err := mgr.Frozen()
	if err != nil {
		return err
	}
	switch {
	case frozen && now:
		return fmt.Errorf("container %s is already paused", c.Name)
	case !frozen && !now:
		return fmt.Errorf("container %s is not paused", c.Name)
	}
	verb := "unpause"
	if frozen {
		verb = "pause"
	}
	if err := mgr.Freeze(frozen); err != nil {
		return fmt.Errorf("%s container %s: %w", verb, c.Name, err)
	}
	s.event(c, verb, nil)
	return nil
}

// Paused says whether c's cgroup is frozen. A container that is not
// running, or has no cgroup of its own, is not paused.
func (s *Store) Paused(c *Container) bool {
	mgr, err := s.rt.Cgroup(c.ID)
	if err != nil || mgr == nil {
		return false
	}
	frozen, err := mgr.Frozen()
	return err == nil && frozen
}

// liveCgroup is the cgroup of c, which must be running; what names what
// c cannot be without one ("paused", "updated").
func (s *Store) liveCgroup(c *Container, what string) (cgroups.Manager, error) {
	st, err := s.Status(c)
	if err != nil {
		return nil, err
	}
	if st.State != specs.StateRunning {
		return nil, fmt.Errorf("container %s is not running", c.Name)
	}
	mgr, err := s.rt.Cgroup(c.ID)
	if err != nil {
		return nil, err
	}
	if mgr == nil {
		return nil, fmt.Errorf("container %s has no cgroup of its own (a rootless container without a delegated cgroup), so it cannot be %s", c.Name, what)
	}
	return mgr, nil
}

// thawAfterKill lets a paused container die of the SIGKILL it was just
// sent: frozen, it would keep it pending for ever (cgroup v1). The order
// is runc's, kill then thaw, so that nothing of it runs in between.
func (s *Store) thawAfterKill(c *Container) error {
	mgr, err := s.rt.Cgroup(c.ID)
	if err != nil || mgr == nil {
		return nil // no state, or no cgroup: nothing can be frozen
	}
	if frozen, err := mgr.Frozen(); err != nil || !frozen {
		return err
	}
	return mgr.Freeze(false)
}

// KillPaused kills a paused container and thaws it, so that it can die:
// rm -f calls it before the runtime's delete, which would wait for ever
// for a frozen init to end. A container that is not paused is left alone.
func (s *Store) KillPaused(c *Container) error {
	if !s.Paused(c) {
		return nil
	}
	if err := s.rt.Kill(c.ID, unix.SIGKILL); err != nil && !errors.Is(err, runtime.ErrNotRunning) {
		return err
	}
	return s.thawAfterKill(c)
}
