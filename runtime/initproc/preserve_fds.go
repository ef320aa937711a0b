package initproc

import (
	"fmt"

	"golang.org/x/sys/unix"
)

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
	above := FDPreserved + n
	sync, err := unix.FcntlInt(FDSync, unix.F_DUPFD_CLOEXEC, above)
	if err != nil {
		return "", nil, fmt.Errorf("move the sync socket: %w", err)
	}
	restoreSync = func() { unix.Dup3(sync, FDSync, unix.O_CLOEXEC) }
	if argv0 == fdPath(FDSelf) && FDSelf < 3+n {
		self, err := unix.FcntlInt(FDSelf, unix.F_DUPFD_CLOEXEC, above)
		if err != nil {
			return "", nil, fmt.Errorf("move the sealed kobako: %w", err)
		}
		argv0 = fdPath(self)
	}
	// In ascending order: the source 8+i is above its target 3+i, and
	// a target at 8 or more is a source already moved.
	for i := 0; i < n; i++ {
		// exec 3<&8
		if err := unix.Dup3(FDPreserved+i, 3+i, 0); err != nil {
			restoreSync()
			return "", nil, fmt.Errorf("dup3 preserved fd %d to %d: %w", FDPreserved+i, 3+i, err)
		}
	}
	return argv0, restoreSync, nil
}

// fdPath names an open descriptor of this process as a path.
func fdPath(fd int) string {
	return fmt.Sprintf("/proc/self/fd/%d", fd)
}
