package runtime

// `kobako state`, `kobako kill` and `kobako delete`: reading, signalling and
// removing a container that may have been created by another process.
// Signals go through a pidfd (pidfd_open(2)): once opened, it names that
// one process for good, so a pid reused after the init exited is never hit.

import (
	"errors"
	"fmt"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// State returns a container's state with its live status.
func (r *Runtime) State(id string) (*State, error) {
	return r.loadState(id)
}

// ErrNotRunning says a signal found no init to deliver to.
var ErrNotRunning = errors.New("container is not running")

// Kill sends sig to the container's init.
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
		return fmt.Errorf("%s: %w", id, ErrNotRunning)
	}
	return err
}

// openInit returns a pidfd for the init, after checking, with the pidfd
// already held, that the pid still belongs to it.
func openInit(st *State) (int, error) {
	if st.Status == specs.StateStopped {
		return -1, fmt.Errorf("%s: %w", st.ID, ErrNotRunning)
	}
	pidfd, err := unix.PidfdOpen(st.Pid, 0)
	if err != nil {
		return -1, fmt.Errorf("%s: %w", st.ID, ErrNotRunning)
	}
	if !initAlive(st.Pid, st.InitStartTime) {
		unix.Close(pidfd)
		return -1, fmt.Errorf("%s: %w", st.ID, ErrNotRunning)
	}
	return pidfd, nil
}

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

// killAndWait SIGKILLs the init and waits until it has exited. When a PID
// namespace's init dies, the kernel kills every other process in it, so
// this ends the whole container (pid_namespaces(7)).
func killAndWait(st *State) error {
	pidfd, err := openInit(st)
	if errors.Is(err, ErrNotRunning) {
		return nil // it ended on its own meanwhile
	}
	if err != nil {
		return err
	}
	defer unix.Close(pidfd)
	// kill -KILL $PID
	if err := unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill container %s: %w", st.ID, err)
	}
	_, err = pollExit(pidfd, -1)
	return err
}

// WaitStopped waits up to timeout (negative: for ever) for the container's
// init to exit, and reports whether it did. Any process may wait so: a
// pidfd turns readable when its process exits, child of ours or not.
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
