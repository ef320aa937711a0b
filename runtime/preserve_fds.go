package runtime

// --preserve-fds N: the caller's descriptors 3 … 3+N-1 reach the command
// as 3 … 3+N-1 — how podman passes a socket-activated service its
// listening sockets (sd_listen_fds(3) counts from 3). In the shell:
//
//	exec 3<&8 4<&9 … ; exec $CMD
//
// Both halves are here. The parent hands them to the init after the
// protocol's five descriptors (fd 8 on, see protocol.go); the init moves
// them down to 3 on as its very last step before execve, when it needs
// none of the protocol's descriptors any more but two: the sync socket,
// to report a failed execve, and the sealed kobako when that is what it
// execs (the reaper). Those two are copied out of the way first.
//
// Every number from 3 to 8+N-1 is held from the init's start to its
// execve (the parent fills a missing protocol descriptor with /dev/null,
// and the init keeps the config pipe open): so nothing the init or the Go
// runtime opens meanwhile — the netpoller's epoll descriptor, say — can
// sit at a number a preserved descriptor is moved onto.

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// fdPreserved is where the first preserved descriptor arrives in the init.
const fdPreserved = fdSelf + 1

// extraFiles are the init's ExtraFiles: the protocol's five (fds 3–7),
// then, with preserve > 0, the caller's preserved descriptors (fd 8 on)
// and /dev/null in the protocol's holes. opened are the files to close
// once the init is started.
func extraFiles(protocol []*os.File, preserve int) (extra, opened []*os.File, err error) {
	if preserve == 0 {
		return protocol, nil, nil
	}
	extra = append([]*os.File(nil), protocol...)
	if opened, err = fillProtocolHoles(extra); err != nil {
		return nil, nil, err
	}
	preserved, err := preservedFiles(preserve)
	if err != nil {
		closeAll(opened)
		return nil, nil, err
	}
	return append(extra, preserved...), append(opened, preserved...), nil
}

// preservedFiles are copies of the caller's descriptors 3 … 3+n-1, to
// follow the protocol's in the init's ExtraFiles. Copies, close-on-exec,
// so that closing them after the start leaves the caller's own alone.
func preservedFiles(n int) ([]*os.File, error) {
	var files []*os.File
	for fd := 3; fd < 3+n; fd++ {
		dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			closeAll(files)
			return nil, fmt.Errorf("preserve %d descriptors: fd %d: %w", n, fd, err)
		}
		files = append(files, os.NewFile(uintptr(dup), fmt.Sprintf("preserved fd %d", fd)))
	}
	return files, nil
}

// fillProtocolHoles puts /dev/null where the protocol has no descriptor
// to pass (no exec fifo for an exec, no trace without --trace), so that
// no number below the preserved ones is free in the init. It returns the
// files to close once the init is started.
func fillProtocolHoles(extra []*os.File) ([]*os.File, error) {
	var opened []*os.File
	for i, f := range extra {
		if f != nil {
			continue
		}
		null, err := os.Open(os.DevNull)
		if err != nil {
			closeAll(opened)
			return nil, fmt.Errorf("open %s: %w", os.DevNull, err)
		}
		extra[i] = null
		opened = append(opened, null)
	}
	return opened, nil
}

// movePreservedFDs moves the init's n preserved descriptors from 8 … down
// to 3 …, without close-on-exec: with everything else of kobako's marked
// close-on-exec by now, they are the only descriptors above stderr the
// command gets. It returns the path to exec — argv0, or, when argv0 is
// the sealed kobako at fd 7 and a preserved descriptor lands there, a copy
// of it — and restoreSync, which puts the sync socket back at fd 4 for
// the report of an execve that failed.
func movePreservedFDs(n int, argv0 string) (string, func(), error) {
	restoreSync := func() {}
	if n == 0 {
		return argv0, restoreSync, nil
	}
	// Copies above every preserved number, close-on-exec: they vanish
	// with the execve, which is how the parent of an exec learns it
	// succeeded (protocol.go).
	above := fdPreserved + n
	sync, err := unix.FcntlInt(fdSync, unix.F_DUPFD_CLOEXEC, above)
	if err != nil {
		return "", nil, fmt.Errorf("move the sync socket: %w", err)
	}
	restoreSync = func() { unix.Dup3(sync, fdSync, unix.O_CLOEXEC) }
	if argv0 == fdPath(fdSelf) && fdSelf < 3+n {
		self, err := unix.FcntlInt(fdSelf, unix.F_DUPFD_CLOEXEC, above)
		if err != nil {
			return "", nil, fmt.Errorf("move the sealed kobako: %w", err)
		}
		argv0 = fdPath(self)
	}
	// In ascending order: the source 8+i is above its target 3+i, and
	// a target at 8 or more is a source already moved.
	for i := 0; i < n; i++ {
		// exec 3<&8
		if err := unix.Dup3(fdPreserved+i, 3+i, 0); err != nil {
			restoreSync()
			return "", nil, fmt.Errorf("dup3 preserved fd %d to %d: %w", fdPreserved+i, 3+i, err)
		}
	}
	return argv0, restoreSync, nil
}

// fdPath names an open descriptor of this process as a path.
func fdPath(fd int) string {
	return fmt.Sprintf("/proc/self/fd/%d", fd)
}
