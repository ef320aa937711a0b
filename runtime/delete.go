package runtime

// `kobako delete`: the container's processes, cgroup and state removed,
// then its poststop hooks run.
//
//	kill -KILL $PID                     # a created one, or with --force
//	cgdelete -g cpu,memory,pids:kobako/$ID
//	rm -rf /run/kobako/$ID
//
// runc's rules, which engines rely on: a stopped container is deleted; a
// created one is killed first even without --force (containerd deletes a
// container whose start never came that way); a running or paused one
// only with --force; and with --force an id that is not there is no error.

import (
	"errors"
	"fmt"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/cgroups"
)

// Delete removes a container, by runc's rules above.
func (r *Runtime) Delete(id string, force bool) error {
	r.nameInTrace(id, "")
	st, unlock, err := r.lockedState(id)
	if errors.Is(err, ErrNotExist) {
		err = r.deleteAborted(id, err)
		if force && errors.Is(err, ErrNotExist) {
			return nil // gone already, which is what --force asks for
		}
		return err
	}
	if err != nil {
		return err
	}
	defer unlock()
	if err := r.stopForDelete(st, force); err != nil {
		return err
	}
	if err := r.destroy(st); err != nil {
		return err
	}
	// Last, with the container gone but its state still known (st), as
	// runc runs them: poststop hooks see the bundle and the id.
	r.runPoststopHooks(st) // poststop hooks (hooks.go)
	return nil
}

// stopForDelete ends the container's init where the rules allow it, and
// waits until it is gone.
func (r *Runtime) stopForDelete(st *State, force bool) error {
	switch st.Status {
	case specs.StateStopped:
		return nil
	case specs.StateCreated:
		// Killed without --force: nothing of the user's has run yet.
	default:
		// running, paused, or creating (another kobako's create under way)
		if !force {
			return fmt.Errorf("cannot delete container %s that is not stopped: %s", st.ID, st.Status)
		}
	}
	return r.killAndWait(st)
}

// destroy removes what the container leaves once its init is dead: the
// processes still in its cgroup, if it had no PID namespace of its own
// (the kernel ends the others only when a namespace's init dies), the
// cgroup, and the state directory.
func (r *Runtime) destroy(st *State) error {
	mgr, err := r.managerOf(st)
	if err != nil {
		return err
	}
	if mgr != nil {
		if st.SharedPIDNamespace {
			// A cgroup cannot be removed while it holds processes.
			if err := r.killLeftovers(mgr, st.ID); err != nil {
				return err
			}
		}
		// cgdelete: every process of the container is gone.
		if err := mgr.Destroy(); err != nil {
			return err
		}
	}
	// rm -rf /run/kobako/$ID
	err = os.RemoveAll(r.dir(st.ID))
	r.Tracer.Step("remove state", "rm -rf "+r.dir(st.ID), fmt.Sprintf("os.RemoveAll(%q)", r.dir(st.ID)), err)
	return err
}

// leftoverRounds bounds killLeftovers: without a freezer each round may
// find children forked while the last one was being killed.
const leftoverRounds = 10

// killLeftovers SIGKILLs every process still in the cgroup and waits until
// they are gone, round after round until the cgroup is empty: what delete
// does for a container without a PID namespace of its own, where the
// kernel does not end the others when the init dies.
func (r *Runtime) killLeftovers(mgr cgroups.Manager, id string) error {
	for round := 0; round < leftoverRounds; round++ {
		pidfds, err := r.signalCgroup(mgr, unix.SIGKILL)
		if err != nil {
			return fmt.Errorf("kill what is left of container %s: %w", id, err)
		}
		if len(pidfds) == 0 {
			return nil
		}
		err = waitAll(pidfds, 10*time.Second)
		closeFDs(pidfds)
		if err != nil {
			return fmt.Errorf("kill what is left of container %s: %w", id, err)
		}
	}
	return fmt.Errorf("container %s: its cgroup still holds processes after %d rounds of SIGKILL: try delete again", id, leftoverRounds)
}

// waitAll waits until every pidfd's process has exited, for up to timeout
// in all. Any process may wait so: a pidfd turns readable when its process
// exits, child of ours or not.
func waitAll(pidfds []int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, pidfd := range pidfds {
		ms := int(time.Until(deadline).Milliseconds())
		exited, err := pollExit(pidfd, max(ms, 0))
		if err != nil {
			return err
		}
		if !exited {
			return fmt.Errorf("processes still alive %s after SIGKILL", timeout)
		}
	}
	return nil
}

// deleteAborted removes the state dir of a create that died before it
// wrote state.json, as runc's delete does: only exec.fifo is in it, no
// cgroup was made yet, and an init already cloned ends when its sync
// socket closes. notExist is the answer when there is no dir either.
func (r *Runtime) deleteAborted(id string, notExist error) error {
	if err := checkID(id); err != nil {
		return err
	}
	dir := r.dir(id)
	if _, err := os.Lstat(dir); err != nil {
		return notExist
	}
	// rm -rf /run/kobako/$ID
	err := os.RemoveAll(dir)
	r.Tracer.Step("remove the state of an unfinished create", "rm -rf "+dir, fmt.Sprintf("os.RemoveAll(%q)", dir), err)
	if err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}
