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
