package runtime

// `kobako start`: release a created container. The init is blocked opening
// the exec fifo for writing; opening it for reading here unblocks it, it
// writes one byte and execs the user's command. This is runc's design, and
// why `create` and `start` can be two processes: whoever waits for the
// container (podman's conmon, containerd's shim, or `kobako run` itself) is
// the one that called create.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Start lets a created container run its command.
func (r *Runtime) Start(id string) error {
	r.nameInTrace(id, "")
	st, unlock, err := r.lockedState(id)
	if err != nil {
		return err
	}
	defer unlock()
	if err := startable(st.Status); err != nil {
		return err
	}
	fifo := filepath.Join(r.dir(id), execFifoFile)
	// Told before the fifo is opened: the init goes on at once, and its
	// lines (capabilities, exec) must follow this one, not cut into it.
	r.Tracer.Step("start the command", "(the init execs $CMD)", fmt.Sprintf("os.Open(%q) + read 1 byte", fifo), nil)
	if err := awaitFifo(fifo, st.Pid); err != nil {
		return err
	}
	// Gone fifo = started: the status reads "running" from now on.
	if err := os.Remove(fifo); err != nil {
		return err
	}
	// The engine's poststart hooks: the command runs (or is about to,
	// past the init's startContainer hooks).
	r.runPoststartHooks(st)
	return nil
}

// startable refuses to start a container that is not "created", in
// runc's words, which engines match.
func startable(status specs.ContainerState) error {
	switch status {
	case specs.StateCreated:
		return nil
	case specs.StateStopped:
		return errors.New("cannot start a container that has stopped")
	case specs.StateRunning:
		return errors.New("cannot start an already running container")
	}
	return fmt.Errorf("cannot start a container in the %s state", status)
}

// awaitFifo reads the init's byte from the fifo, unless the init dies
// before writing it. The fifo is opened non-blocking (an ordinary open
// would block until a writer comes, forever if the init is dead) and
// polled together with a pidfd, which turns readable when the process
// exits. The init writes before it can exit, so once the pidfd fires the
// byte, if there is one, is already waiting in the fifo.
func awaitFifo(path string, pid int) error {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(pidfd)
	fifo, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	defer unix.Close(fifo)
	fds := []unix.PollFd{{Fd: int32(fifo), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll exec fifo: %w", err)
		}
		if fds[0].Revents != 0 || fds[1].Revents != 0 {
			break
		}
	}
	buf := make([]byte, 1)
	if n, _ := unix.Read(fifo, buf); n == 1 {
		return nil
	}
	return errors.New("container init exited before start: nothing to start")
}
