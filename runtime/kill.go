package runtime

// `kobako kill`: a signal to the container's init. Signals go through a
// pidfd (pidfd_open(2)): once opened, it names that one process for good,
// so a pid reused after the init exited is never hit. This file also
// holds the waiting for an init to end, which stop and delete need.

import (
	"errors"
	"fmt"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

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
