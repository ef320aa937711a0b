package container

// `kobako rm`: the article's clean-up (`cgdelete …; rm -rf $ROOTFS`;
// `ip link del veth0`) for one container: stop it if asked to, delete its
// runtime state, its network, its layer and its name. Every step tolerates
// a half-removed container, so a container whose kobako was SIGKILLed
// mid-way can always be removed.

import (
	"errors"
	"fmt"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/runtime"
)

// Remove deletes a container. A running one is refused unless force, which
// kills it first.
func (s *Store) Remove(c *Container, force bool) error {
	return s.remove(c, force, true)
}

// remove is Remove; its own waiting parent (run --rm, or a monitor whose
// container failed to start) passes awaitMonitor false: it would wait for
// itself.
func (s *Store) remove(c *Container, force, awaitMonitor bool) error {
	unlock, err := fileutil.LockDir(c.Bundle)
	if errors.Is(err, os.ErrNotExist) {
		return nil // removed meanwhile by someone else
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(c.Bundle); err != nil {
		unlock()
		return nil // removed while we waited for the lock
	}
	// The record as it is now, not as it was looked up: its name and
	// network may have changed while we waited for the lock.
	if now, err := s.load(c.ID); err == nil {
		c.Record = now.Record
	}
	// A monitor that would restart it finds the record gone and ends;
	// rm returns after it, released from our lock first, which it takes
	// to record the exit.
	await := func(time.Duration) {}
	if awaitMonitor {
		await = watchMonitor(c)
	}
	err = s.removeLocked(c, force)
	unlock()
	await(monitorGrace)
	return err
}

func (s *Store) removeLocked(c *Container, force bool) error {
	s.narrate(c)
	// From another network namespace than its bridge's, rm could not
	// remove the veth and rules: refuse before anything is undone.
	if _, err := s.bridgeGone(c); err != nil {
		return err
	}
	st, err := s.rt.State(c.ID)
	switch {
	case errors.Is(err, runtime.ErrNotExist):
		// Never created, or its state went with a reboot: nothing to
		// stop. But a create whose kobako died before it wrote the state
		// may have left the state dir, with its exec.fifo: the runtime's
		// delete removes that, as runc's does.
		if err := s.rt.Delete(c.ID, force); err != nil && !errors.Is(err, runtime.ErrNotExist) {
			return err
		}
		// Its cgroup, where the record names one: made after the state,
		// it is normally gone with it; only an idle one is removed.
		if err := s.removeCgroup(c); err != nil {
			return err
		}
	case err != nil:
		return err
	case st.Status != specs.StateStopped && !force && !s.orphaned(c, st.Status):
		return fmt.Errorf("container %s is %s: stop it first, or remove it with rm -f", c.Name, st.Status)
	case !force && c.Restarting && monitorAlive(c):
		return fmt.Errorf("container %s is restarting: stop it first, or remove it with rm -f", c.Name)
	default:
		// A frozen init would never die of the delete's SIGKILL (pause.go).
		if err := s.KillPaused(c); err != nil {
			return err
		}
		// A dead one's init waits for a start that never comes: killed
		// as with -f (its command never ran).
		if err := s.rt.Delete(c.ID, force || s.orphaned(c, st.Status)); err != nil {
			return err
		}
	}
	// ip link del vethXXX, its nft rules, its address: the container is
	// gone, so is its place on the bridge.
	if err := s.disconnect(c); err != nil {
		return err
	}
	// rm names/$NAME — every name that leads here, so none leads nowhere.
	// Before the directory: a kill in between leaves a record, found by
	// its id, never a name without one.
	if err := s.releaseNames(c.ID); err != nil {
		return err
	}
	// rm -rf $CONTAINER (its layer, config and logs)
	err = removeAllSettled(c.Bundle)
	s.tracer.Step("remove the container layer", "rm -rf "+c.Bundle, "os.RemoveAll(bundle)", err)
	if err != nil {
		return fmt.Errorf("remove %s: %w", c.Bundle, err)
	}
	s.event(c, "destroy", nil)
	return nil
}

// removeAllSettled is os.RemoveAll for a directory that a kobako run may
// still be writing a last file into (its log, its hosts file): that run
// fails at its next step, the record being gone, but a file it made while
// the removal went on leaves a directory "not empty". Try again, a few
// times — found by the soak with rm -f 20 ms after run.
func removeAllSettled(dir string) error {
	var err error
	for i := 0; i < 5; i++ {
		if err = os.RemoveAll(dir); !errors.Is(err, unix.ENOTEMPTY) {
			return err
		}
		time.Sleep(time.Duration(i+1) * 10 * time.Millisecond)
	}
	return err
}

// removeCgroup removes the idle cgroup c's record names: what a create
// killed between its cgroup and its state could leave. A record from
// before records named it has it in config.json.
func (s *Store) removeCgroup(c *Container) error {
	path := c.CgroupsPath
	if path == "" && !c.Creating {
		if spec, err := c.Spec(); err == nil && spec.Linux != nil {
			path = spec.Linux.CgroupsPath
		}
	}
	if path == "" {
		return nil
	}
	_, err := s.rt.RemoveIdleCgroup(path, 0)
	return err
}
