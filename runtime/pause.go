package runtime

// `runc pause` and `runc resume`: every process of the container stopped
// at once by its cgroup's freezer, and let go again. Nothing inside is
// told: no SIGSTOP that a parent could see or a PID 1 ignore.
//
//	echo FROZEN > /sys/fs/cgroup/freezer/kobako/$ID/freezer.state   # v1 pause
//	echo THAWED > /sys/fs/cgroup/freezer/kobako/$ID/freezer.state   # v1 resume
//	echo 1 > /sys/fs/cgroup/kobako/$ID/cgroup.freeze                # v2 pause (0: resume)
//
// The status "paused" is read back from the freezer (state.go), never
// recorded, so a container paused by someone else shows paused too.

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Pause freezes a created or running container, as runc allows both.
// Anything else — stopped, or paused already — is "container not running".
func (r *Runtime) Pause(id string) error {
	r.nameInTrace(id, "")
	st, unlock, err := r.lockedState(id)
	if err != nil {
		return err
	}
	defer unlock()
	if st.Status != specs.StateRunning && st.Status != specs.StateCreated {
		return ErrNotRunning
	}
	mgr, err := r.ownCgroup(st, "there is no freezer to pause it with")
	if err != nil {
		return err
	}
	if err := mgr.Freeze(true); err != nil {
		return fmt.Errorf("pause container %s: %w", id, err)
	}
	return nil
}

// Resume thaws a paused container; one that is not paused is refused
// with runc's "container not paused".
func (r *Runtime) Resume(id string) error {
	r.nameInTrace(id, "")
	st, unlock, err := r.lockedState(id)
	if err != nil {
		return err
	}
	defer unlock()
	if st.Status != StatePaused {
		return ErrNotPaused
	}
	mgr, err := r.ownCgroup(st, "there is no freezer to pause it with")
	if err != nil {
		return err
	}
	if err := mgr.Freeze(false); err != nil {
		return fmt.Errorf("resume container %s: %w", id, err)
	}
	return nil
}
