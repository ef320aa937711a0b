package program

// Installing the filters: seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)
// once per filter — what bwrap --seccomp FD does with the program it
// reads. See seccomp(2).
//
// A filter belongs to a thread, and is inherited by the threads and
// children it makes and kept across execve; it can never be removed, only
// added to. Installing one needs no_new_privs (prctl(PR_SET_NO_NEW_PRIVS)),
// or else CAP_SYS_ADMIN: otherwise a filter could trick a setuid program
// into misbehaving (failing a setuid call it expects to succeed).

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Install puts p's filters up on the calling thread, in order, and on
// nothing else: the caller must be on a locked OS thread
// (runtime.LockOSThread) and execve from it, as the container's init does,
// right after setting no_new_privs. A nil p (no profile) installs nothing.
// A program the kernel would refuse is refused whole, before the first
// filter goes in.
func (p *Program) Install() error {
	if p == nil {
		return nil
	}
	if err := p.check(); err != nil {
		return fmt.Errorf("seccomp: %w", err)
	}
	for i, filter := range p.Filters {
		err := install(p.Flags, filter)
		switch {
		case errors.Is(err, unix.EACCES):
			return fmt.Errorf("seccomp: install filter: %w: set no_new_privs first, or hold CAP_SYS_ADMIN", err)
		case errors.Is(err, unix.ENOSYS):
			return fmt.Errorf("seccomp: install filter: %w: this kernel has no seccomp filters (CONFIG_SECCOMP_FILTER)", err)
		case err != nil:
			return fmt.Errorf("seccomp: install filter %d of %d: %w", i+1, len(p.Filters), err)
		}
	}
	return nil
}

// install is one seccomp(2) call. The kernel copies the instructions
// before it returns, so filter need only live until then.
func install(flags uint, filter []unix.SockFilter) error {
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	// bwrap --seccomp FD: seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(filter)
	if errno != 0 {
		return errno
	}
	return nil
}
