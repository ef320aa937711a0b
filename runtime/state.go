package runtime

// The runtime state of one container: <root>/<id>/state.json, with the
// fields `runc state` prints (the OCI "state" of the runtime spec). The
// status is never trusted from the file: it is derived from the init's pid
// and the cgroup's freezer each time, so a container whose kobako was
// killed still shows what it really is.
//
//	cat /run/kobako/$ID/state.json                            # pid, start time
//	cut -d' ' -f22 /proc/$PID/stat                            # still our init?
//	cat /sys/fs/cgroup/freezer/kobako/$ID/freezer.state       # paused? (v2: cgroup.events)

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/internal/ident"
)

// State is what state.json holds.
type State struct {
	specs.State
	// InitStartTime is field 22 of /proc/<pid>/stat when the init started:
	// pids are reused, and a pid with another start time is not our init.
	InitStartTime uint64    `json:"initStartTime"`
	Created       time.Time `json:"created"`
	// CgroupsPath is the container's cgroup ("/kobako/<id>"), removed with it.
	CgroupsPath string `json:"cgroupsPath,omitempty"`
	// Rootfs is the root's path on the host, as `runc state` shows it.
	Rootfs string `json:"rootfs,omitempty"`
	// Hooks are the config's, kept for the ones that run after create:
	// startContainer and poststart at start, poststop at delete — when the
	// bundle may be gone already.
	Hooks *specs.Hooks `json:"hooks,omitempty"`
	// SharedPIDNamespace: the container has no PID namespace of its own,
	// so its init's death does not end the rest; delete kills what is
	// left in its cgroup.
	SharedPIDNamespace bool `json:"sharedPidNamespace,omitempty"`
}

const (
	stateFile    = "state.json"
	execFifoFile = "exec.fifo"
)

// StatePaused is runc's fifth status, which the OCI spec does not name: a
// running (or created) container whose cgroup is frozen.
const StatePaused specs.ContainerState = "paused"

// The refusals, in runc's own words: engines match the text (containerd
// reads "does not exist" and "container not running" as "already gone"),
// so these carry no id. Callers test them with errors.Is.
var (
	// ErrNotExist says there is no state for that id.
	ErrNotExist = errors.New("container does not exist")
	// ErrNotRunning says there is no live init to act on: a signal, a
	// pause, an update of a stopped container.
	ErrNotRunning = errors.New("container not running")
	// ErrNotPaused says a resume found the container not frozen.
	ErrNotPaused = errors.New("container not paused")
)

// idRule accepts what runc accepts, [A-Za-z0-9][A-Za-z0-9_+.-]*, and so
// rejects "..", "/" and friends: an id becomes a directory under --root.
var idRule = ident.Rule{MaxLen: 1024, Extra: "_+.-"}

func checkID(id string) error {
	if !idRule.Valid(id) {
		return fmt.Errorf("invalid container id %q: use letters, digits and _+.- only", id)
	}
	return nil
}

func (r *Runtime) dir(id string) string { return filepath.Join(r.Root, id) }

// loadState reads state.json and derives the live status.
func (r *Runtime) loadState(id string) (*State, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var st State
	err := fileutil.ReadJSON(filepath.Join(r.dir(id), stateFile), &st)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	st.Status = r.liveStatus(&st)
	return &st, nil
}

// lockedState takes the container's lock, then reads its state, so that
// nothing changes the container between the reading and what the caller
// does next. Call unlock when done.
func (r *Runtime) lockedState(id string) (st *State, unlock func(), err error) {
	if err := checkID(id); err != nil {
		return nil, nil, err
	}
	unlock, err = fileutil.LockDir(r.dir(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, ErrNotExist
	}
	if err != nil {
		return nil, nil, err
	}
	if st, err = r.loadState(id); err != nil {
		unlock()
		return nil, nil, err
	}
	return st, unlock, nil
}

// liveStatus: stopped when the init is gone (or its pid now belongs to
// another process); paused while its cgroup is frozen, created or not, as
// runc says; created while the exec fifo still waits for `start`; running
// otherwise.
func (r *Runtime) liveStatus(st *State) specs.ContainerState {
	if !initAlive(st.Pid, st.InitStartTime) {
		return specs.StateStopped
	}
	if st.Status == specs.StateCreating {
		return specs.StateCreating // its create has not finished (or its creator died)
	}
	if r.frozen(st) {
		return StatePaused
	}
	if _, err := os.Lstat(filepath.Join(r.dir(st.ID), execFifoFile)); err == nil {
		return specs.StateCreated
	}
	return specs.StateRunning
}

// frozen says whether the container's cgroup is frozen. A container with
// no cgroup of its own, or whose freezer cannot be read, cannot have been
// paused by anyone: not frozen.
func (r *Runtime) frozen(st *State) bool {
	mgr, err := r.managerOf(st)
	if err != nil || mgr == nil {
		return false
	}
	frozen, err := mgr.Frozen()
	return err == nil && frozen
}

func initAlive(pid int, startTime uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := readProcStat(pid)
	// A zombie has exited: only its parent's wait is missing.
	return err == nil && st.startTime == startTime && st.state != 'Z'
}

// ownCgroup is the manager of the container's cgroup, for the verbs that
// act on it; without one, the error ends with why says what that means.
func (r *Runtime) ownCgroup(st *State, why string) (cgroups.Manager, error) {
	mgr, err := r.managerOf(st)
	if err != nil {
		return nil, err
	}
	if mgr == nil {
		return nil, fmt.Errorf("container %s has no cgroup of its own (a rootless container without a delegated cgroup), so %s", st.ID, why)
	}
	return mgr, nil
}

// saveState writes state.json atomically (see fileutil.WriteJSON).
func (r *Runtime) saveState(st *State) error {
	return fileutil.WriteJSON(filepath.Join(r.dir(st.ID), stateFile), st)
}

// State returns a container's state with its live status.
func (r *Runtime) State(id string) (*State, error) {
	return r.loadState(id)
}
