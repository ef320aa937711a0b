package cgroups

// v2 freezer: docker pause and unpause on cgroup v2, where freezing is a
// core file of every cgroup but the root, not a controller.
//
// Shell twin:
//
//	echo 1 > /sys/fs/cgroup/kobako/$ID/cgroup.freeze     # pause
//	grep frozen /sys/fs/cgroup/kobako/$ID/cgroup.events  # frozen 1, once every task stopped
//	echo 0 > /sys/fs/cgroup/kobako/$ID/cgroup.freeze     # unpause
//
// — see Documentation/admin-guide/cgroup-v2.rst, "Core Interface Files".
// cgroup.freeze says what was asked, cgroup.events' "frozen" what is done.

import (
	"errors"
	"fmt"
	"os"
)

// Freeze writes 1 or 0 into cgroup.freeze and waits until cgroup.events
// reports the cgroup frozen or thawed.
func (m *v2) Freeze(frozen bool) error {
	want := "0"
	if frozen {
		want = "1"
	}
	// echo 1 > cgroup.freeze
	if err := writeFile(m.tr, m.dir(), "cgroup.freeze", want); err != nil {
		return err
	}
	err := waitFrozen(func() (bool, error) {
		now, err := m.Frozen()
		return err == nil && now == frozen, err
	}, m.dir()+"/cgroup.events", "frozen "+want)
	if err != nil && frozen {
		// Undo a freeze that did not finish (see v1_freezer.go).
		if thawErr := writeFile(m.tr, m.dir(), "cgroup.freeze", "0"); thawErr != nil {
			err = fmt.Errorf("%w; and thawing it again: %v", err, thawErr)
		}
	}
	return err
}

// Frozen reads the "frozen" line of cgroup.events. A cgroup that is gone
// is not frozen (see v1_freezer.go).
func (m *v2) Frozen() (bool, error) {
	// grep frozen cgroup.events
	text, err := readFile(m.dir(), "cgroup.events")
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s/cgroup.events: %w", m.dir(), err)
	}
	return parseKeyValues(text)["frozen"] == 1, nil
}
