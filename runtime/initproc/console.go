package initproc

// The container's terminal (-t). The article binds the caller's own tty
// into the rootfs (`mount --bind $(tty) $ROOTFS$(tty)`); a runtime instead
// makes a new pty from the container's own devpts instance, so that `tty`
// inside says /dev/pts/0, and hands the master end to whoever relays it
// (`kobako run`, or podman's conmon through --console-socket).

import (
	"fmt"
	"os"

	"github.com/creack/pty"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fault"
	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/rootfs"
)

// setupConsole runs in the init after pivot_root: /dev/ptmx is then the
// container's (a link to pts/ptmx of its private devpts). The pty's slave
// becomes the init's terminal and /dev/console.
func setupConsole(sync int, size *specs.Box, tr *trace.Tracer) error {
	// fault point init:console (internal/fault): a test build fails here
	if err := fault.Check("init:console"); err != nil {
		return err
	}
	slave, err := newTerminal(sync, size, tr)
	if err != nil {
		return err
	}
	defer slave.Close()
	// mount --bind /dev/pts/N /dev/console
	if err := rootfs.BindConsole(slave.Name(), tr); err != nil {
		return err
	}
	return becomeTerminalOwner(int(slave.Fd()), tr)
}

// newTerminal opens a pty in the container's /dev/pts, of the given size,
// sends its master end to the parent and returns the slave end.
func newTerminal(sync int, size *specs.Box, tr *trace.Tracer) (*os.File, error) {
	// open /dev/ptmx, unlockpt, open /dev/pts/N
	master, slave, err := pty.Open()
	tr.Step("open a pty", "(what script(1) does) open /dev/ptmx", "pty.Open()", err)
	if err != nil {
		return nil, fmt.Errorf("open pty in container: %w", err)
	}
	defer master.Close() // the parent gets its own copy
	if size != nil {
		// stty rows $ROWS cols $COLS — before the command's first look
		if err := pty.Setsize(master, &pty.Winsize{Rows: uint16(size.Height), Cols: uint16(size.Width)}); err != nil {
			slave.Close()
			return nil, fmt.Errorf("set pty size: %w", err)
		}
	}
	if err := SendMessage(sync, Message{Type: MsgConsole}, int(master.Fd())); err != nil {
		slave.Close()
		return nil, err
	}
	return slave, nil
}

// becomeTerminalOwner makes the pty slave our stdin, stdout and stderr and
// our controlling terminal, so ^C typed on it reaches the container.
func becomeTerminalOwner(slave int, tr *trace.Tracer) error {
	for fd := 0; fd <= 2; fd++ {
		// exec 0<>/dev/pts/N 1>&0 2>&0
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("dup3 pty to fd %d: %w", fd, err)
		}
	}
	// The init leads its own session (setsid at clone): take the tty.
	err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0)
	tr.Step("take the terminal", "setsid -c", "unix.IoctlSetInt(0, unix.TIOCSCTTY, 0)", err)
	if err != nil {
		return fmt.Errorf("ioctl TIOCSCTTY: %w", err)
	}
	return nil
}
