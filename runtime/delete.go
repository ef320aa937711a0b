package runtime

// `kobako delete`: the container's cgroup and state removed, once its
// init is gone (or, with force, after killing it).

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Delete removes a container's state. A container still running is
// refused unless force, which kills it first and waits until it is gone.
func (r *Runtime) Delete(id string, force bool) error {
	r.nameInTrace(id, "")
	st, unlock, err := r.lockedState(id)
	if errors.Is(err, ErrNotExist) {
		return r.deleteAborted(id, err)
	}
	if err != nil {
		return err
	}
	defer unlock()
	if st.Status != specs.StateStopped {
		if !force {
			return fmt.Errorf("container %s is %s: stop it first, or delete it with --force", id, st.Status)
		}
		if err := killAndWait(st); err != nil {
			return err
		}
	}
	// cgdelete: the init and with it every process of the container is gone.
	mgr, err := r.managerOf(st)
	if err != nil {
		return err
	}
	if mgr != nil {
		if err := mgr.Destroy(); err != nil {
			return err
		}
	}
	// rm -rf /run/kobako/$ID
	err = os.RemoveAll(r.dir(id))
	r.Tracer.Step("remove state", "rm -rf "+r.dir(id), fmt.Sprintf("os.RemoveAll(%q)", r.dir(id)), err)
	return err
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
