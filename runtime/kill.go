package runtime

// `kobako kill` and `kill --all`: a signal to the container's init, or to
// every process in its cgroup.
//
//	kill -TERM $PID                                               # kill
//	kill -TERM $(cat /sys/fs/cgroup/pids/kobako/$ID/cgroup.procs) # kill --all
//
// Signals go through a pidfd (pidfd_open(2)): once opened, it names that
// one process for good, so a pid reused after the process exited is never
// hit. This file also holds the waiting for an init to end, which stop and
// delete need.

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/cgroups"
)

// Kill sends sig to the container's init. A paused container keeps the
// signal pending until it is resumed — except SIGKILL, after which it is
// thawed so that it can die (on cgroup v1 a frozen process cannot), the
// order runc uses: kill, then thaw, so nothing of it runs in between.
func (r *Runtime) Kill(id string, sig unix.Signal) error {
	st, err := r.loadState(id)
	if err != nil {
		return err
	}
	pidfd, err := openInit(st)
	if err != nil {
		return err
	}
	defer unix.Close(pidfd)
	// kill -SIG $PID
	err = unix.PidfdSendSignal(pidfd, sig, nil, 0)
	r.Tracer.Step("signal the init", fmt.Sprintf("kill -%d %d", sig, st.Pid), fmt.Sprintf("unix.PidfdSendSignal(pidfd, %d, nil, 0)", sig), err)
	if errors.Is(err, unix.ESRCH) {
		return ErrNotRunning
	}
	if err != nil {
		return fmt.Errorf("signal the init of %s: %w", id, err)
	}
	if sig == unix.SIGKILL && st.Status == StatePaused {
		return r.thaw(st)
	}
	return nil
}

// KillAll sends sig to every process in the container's cgroup: `kill
// --all`, which engines use for a container without a PID namespace of its
// own, where the init's death does not end the others. As in runc, a
// stopped container is no error: its cgroup may still hold such others.
func (r *Runtime) KillAll(id string, sig unix.Signal) error {
	r.nameInTrace(id, "")
	st, err := r.loadState(id)
	if err != nil {
		return err
	}
	mgr, err := r.ownCgroup(st, "its processes cannot be found: signal its init alone (kill without --all)")
	if err != nil {
		return err
	}
	pidfds, err := r.signalCgroup(mgr, sig)
	closeFDs(pidfds)
	return err
}

// signalCgroup sends sig to every process of the cgroup and returns their
// pidfds, for a caller that waits for them (the caller closes them). The
// cgroup is frozen meanwhile, as runc does: frozen, no process can fork a
// new one behind the listing, nor exit and leave its pid to a stranger. A
// cgroup that was paused stays frozen, unless the signal is SIGKILL, which
// a frozen process could not act on (cgroup v1). A cgroup already gone
// holds nothing to signal.
func (r *Runtime) signalCgroup(mgr cgroups.Manager, sig unix.Signal) ([]int, error) {
	// Nothing there: no freezing to and fro (nor its trace lines).
	if pids, err := cgroupProcs(mgr); err != nil || len(pids) == 0 {
		return nil, err
	}
	wasFrozen, err := mgr.Frozen()
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch {
	case !wasFrozen:
		// Without a freezer (a v1 host may not mount one) go on unfrozen:
		// openCgroupProcs checks the listing once more for that case.
		if err := mgr.Freeze(true); err != nil {
			r.Tracer.Note("signal unfrozen: "+err.Error(), "")
			break
		}
		defer r.thawAfterSignal(mgr)
	case sig == unix.SIGKILL:
		defer r.thawAfterSignal(mgr)
	}
	pidfds, pids, err := openCgroupProcs(mgr)
	if err != nil {
		return nil, err
	}
	for i, pidfd := range pidfds {
		// ESRCH: it exited meanwhile, which is what a signal asks for anyway.
		if err := unix.PidfdSendSignal(pidfd, sig, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
			closeFDs(pidfds)
			return nil, fmt.Errorf("signal %d: %w", pids[i], err)
		}
	}
	r.Tracer.Step("signal every process of the cgroup", fmt.Sprintf("kill -%d $(cat cgroup.procs)", sig),
		fmt.Sprintf("unix.PidfdSendSignal(pidfd, %d, nil, 0) for %v", sig, pids), nil)
	return pidfds, nil
}

// thawAfterSignal thaws the cgroup once the signals are sent. Its error
// cannot undo them: it goes to the trace, and a caller that waits for the
// processes finds them still there.
func (r *Runtime) thawAfterSignal(mgr cgroups.Manager) {
	if err := mgr.Freeze(false); err != nil {
		r.Tracer.Note("thaw after signalling: "+err.Error(), "")
	}
}

// openCgroupProcs opens a pidfd for each process listed in cgroup.procs
// but kobako's own. Between the listing and the opening a process may have
// exited and its pid gone to a process outside: so the listing is read
// again, and only pids still in it are kept. A pid still listed after its pidfd was opened
// names that process, or a newer one of the cgroup that took the pid — and
// then the pidfd's process is dead, and a signal through it reaches no one.
func openCgroupProcs(mgr cgroups.Manager) (pidfds, pids []int, err error) {
	listed, err := cgroupProcs(mgr)
	if err != nil {
		return nil, nil, err
	}
	opened := map[int]int{} // pid → pidfd
	for _, pid := range listed {
		if pid == os.Getpid() {
			// An exec's thread of ours, in the cgroup on v1 until it
			// ends (exec.go): never signal kobako itself.
			continue
		}
		pidfd, err := unix.PidfdOpen(pid, 0)
		if errors.Is(err, unix.ESRCH) {
			continue // gone already
		}
		if err != nil {
			closeFDs(mapValues(opened))
			return nil, nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
		}
		opened[pid] = pidfd
	}
	still, err := cgroupProcs(mgr)
	if err != nil {
		closeFDs(mapValues(opened))
		return nil, nil, err
	}
	for _, pid := range listed {
		pidfd, ok := opened[pid]
		if !ok {
			continue
		}
		if !slices.Contains(still, pid) {
			unix.Close(pidfd)
			continue
		}
		pidfds, pids = append(pidfds, pidfd), append(pids, pid)
	}
	return pidfds, pids, nil
}

// cgroupProcs lists the cgroup's processes; a cgroup already removed has
// none.
func cgroupProcs(mgr cgroups.Manager) ([]int, error) {
	pids, err := mgr.Procs()
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return pids, err
}

func mapValues(m map[int]int) []int {
	var out []int
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// openInit returns a pidfd for the init, after checking, with the pidfd
// already held, that the pid still belongs to it.
func openInit(st *State) (int, error) {
	if st.Status == specs.StateStopped {
		return -1, ErrNotRunning
	}
	pidfd, err := unix.PidfdOpen(st.Pid, 0)
	if err != nil {
		return -1, ErrNotRunning
	}
	if !initAlive(st.Pid, st.InitStartTime) {
		unix.Close(pidfd)
		return -1, ErrNotRunning
	}
	return pidfd, nil
}

// killAndWait SIGKILLs the init and waits until it has exited. When a PID
// namespace's init dies, the kernel kills every other process in it, so
// this ends the whole container (pid_namespaces(7)). A paused container is
// thawed after the signal, or its init would never die of it.
func (r *Runtime) killAndWait(st *State) error {
	pidfd, err := openInit(st)
	if errors.Is(err, ErrNotRunning) {
		return nil // it ended on its own meanwhile
	}
	if err != nil {
		return err
	}
	defer unix.Close(pidfd)
	// kill -KILL $PID
	err = unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
	r.Tracer.Step("kill the init", fmt.Sprintf("kill -KILL %d", st.Pid), "unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)", err)
	if err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill container %s: %w", st.ID, err)
	}
	if st.Status == StatePaused {
		if err := r.thaw(st); err != nil {
			return err
		}
	}
	_, err = pollExit(pidfd, -1)
	return err
}

// thaw lets a frozen container go on: after a SIGKILL, so that it dies.
func (r *Runtime) thaw(st *State) error {
	mgr, err := r.managerOf(st)
	if err != nil || mgr == nil {
		return err
	}
	if err := mgr.Freeze(false); err != nil {
		return fmt.Errorf("thaw container %s after SIGKILL: %w", st.ID, err)
	}
	return nil
}

// WaitStopped waits up to timeout (negative: for ever) for the container's
// init to exit, and reports whether it did.
func (r *Runtime) WaitStopped(id string, timeout time.Duration) (bool, error) {
	st, err := r.loadState(id)
	if err != nil {
		return false, err
	}
	pidfd, err := openInit(st)
	if errors.Is(err, ErrNotRunning) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer unix.Close(pidfd)
	ms := -1
	if timeout >= 0 {
		ms = int(timeout.Milliseconds())
	}
	return pollExit(pidfd, ms)
}

// pollExit waits on a pidfd for ms milliseconds (-1: for ever).
func pollExit(pidfd, ms int) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return n > 0, err
	}
}
