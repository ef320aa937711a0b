package cgroups

// v1 freezer: docker pause and unpause. Every process of the cgroup is
// stopped at once, without a signal it could see or handle (SIGSTOP can be
// seen by a parent, and a PID 1 may ignore it).
//
// Shell twin:
//
//	echo FROZEN > /sys/fs/cgroup/freezer/kobako/$ID/freezer.state    # pause
//	cat /sys/fs/cgroup/freezer/kobako/$ID/freezer.state              # FREEZING … FROZEN
//	echo THAWED > /sys/fs/cgroup/freezer/kobako/$ID/freezer.state    # unpause
//
// — see the kernel's Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst.
// Freezing is not instant: the state reads FREEZING until the last task
// has stopped, so Freeze waits for FROZEN.

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Freeze writes FROZEN or THAWED into freezer.state and waits until the
// kernel reports the new state.
func (m *v1) Freeze(frozen bool) error {
	dir, err := m.need("freezer", "pause")
	if err != nil {
		return err
	}
	want := "THAWED"
	if frozen {
		want = "FROZEN"
	}
	// echo FROZEN > freezer.state
	if err := writeFile(m.tr, dir, "freezer.state", want); err != nil {
		return err
	}
	tries := 0
	err = waitFrozen(func() (bool, error) {
		state, err := readFile(dir, "freezer.state")
		if err != nil || state == want {
			return state == want, err
		}
		// Still FREEZING: a task that forked or slept in the kernel at the
		// wrong moment can keep the whole cgroup there. Write it again,
		// and now and then thaw and start over, as runc does. (Untraced:
		// the trace shows the one write that asked.)
		tries++
		if frozen && tries%50 == 0 {
			if err := writeFile(nil, dir, "freezer.state", "THAWED"); err != nil {
				return false, err
			}
		}
		return false, writeFile(nil, dir, "freezer.state", want)
	}, dir+"/freezer.state", want)
	if err != nil && frozen {
		// Undo a freeze that did not finish: a container half stopped is
		// worse than one not paused.
		if thawErr := writeFile(m.tr, dir, "freezer.state", "THAWED"); thawErr != nil {
			err = fmt.Errorf("%w; and thawing it again: %v", err, thawErr)
		}
	}
	return err
}

// Frozen says whether freezer.state is FROZEN (FREEZING counts as not
// yet: some task still runs). A cgroup that is gone is not frozen: its
// container stopped, and nothing is paused.
func (m *v1) Frozen() (bool, error) {
	dir := m.dir("freezer")
	if dir == "" {
		return false, nil // no freezer, so never frozen
	}
	// cat freezer.state
	state, err := readFile(dir, "freezer.state")
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return state == "FROZEN", nil
}

// waitFrozen runs try until it says done, for up to ten seconds (a
// loaded machine may take seconds to stop a busy cgroup). what and want
// name the file and the value for the error.
func waitFrozen(try func() (bool, error), what, want string) error {
	for i := 0; i < 1000; i++ {
		done, err := try()
		if err != nil || done {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s did not become %s within ten seconds: try again", what, want)
}
