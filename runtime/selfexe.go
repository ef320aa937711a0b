package runtime

// The init is kobako-init, a binary of kobako's that runs, for a moment,
// inside the container's namespaces, where the container's processes can
// see it. In 2019 that was runc's worst bug (CVE-2019-5736): a process in
// the container opened /proc/<init pid>/exe, which is the runtime's binary
// on the host, waited for the init to exec, reopened it for writing and
// replaced the host's runc with its own program, run as root next time.
//
// So the init is never started from the binary as it lies on the host. It
// is started from a handle on which writing is impossible:
//
//  1. a read-only bind mount of the binary that is attached nowhere — a
//     "detached" mount (open_tree(2) with OPEN_TREE_CLONE), so it shows up
//     in no mount table, and nothing can remount it read-write. It costs
//     no copy: this is runc's present choice too (libcontainer/exeseal).
//  2. where that is not allowed (no CAP_SYS_ADMIN: a rootless kobako), a
//     sealed copy in memory: memfd_create(2), the binary copied in, and
//     F_SEAL_WRITE so that not even its owner can change it (runc's 2019
//     fix; ~15 MB copied at every start, a few milliseconds).
//
// Either way /proc/<pid>/exe of the init names a file no one can write,
// and the host's binary is never reachable from inside. Measured here
// (TestSealedSelf logs it): the mount takes ≈ 0.15 ms, the copy ≈ 2.4 ms
// for a 4 MB binary — about what kobako-init's 3 MB would cost at every
// container start and every exec. That is why the mount comes first.

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// sealedInit returns a handle on kobako-init that nothing can write through:
// the init of every container and every exec is started from it.
func sealedInit() (*os.File, error) {
	binary, err := initBinary()
	if err != nil {
		return nil, err
	}
	return sealed(binary)
}

// initBinary is where kobako-init is: next to this kobako, where make
// builds it and make install installs it. A kobako that RunSealed started
// again from a sealed handle cannot tell where its file lies any more, so
// RunSealed passes the path on in initBinaryEnv.
func initBinary() (string, error) {
	if binary := os.Getenv(initBinaryEnv); binary != "" {
		return binary, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find kobako-init: %w", err)
	}
	binary := filepath.Join(filepath.Dir(self), initBinaryName)
	if _, err := os.Stat(binary); err != nil {
		return "", fmt.Errorf("kobako needs %s next to it, in %s: make builds it, make install installs it", initBinaryName, filepath.Dir(self))
	}
	return binary, nil
}

const (
	// initBinaryName is the container's init (cmd/kobako-init).
	initBinaryName = "kobako-init"
	// initBinaryEnv carries its path across RunSealed's re-exec.
	initBinaryEnv = "_KOBAKO_INIT"
	// sealedFDEnv names the descriptor of the sealed handle a re-executed
	// kobako runs from.
	sealedFDEnv = "_KOBAKO_SEALED_FD"
)

// RunSealed re-executes this kobako from a sealed handle on its binary,
// unless it runs from one already. `kobako exec` calls it first thing: its
// thread joins the container's namespaces and forks the init there, and
// between that fork and the init's execve the child is a copy of this
// process — /proc/<pid>/exe of it, seen from inside, must not be the
// host's binary either. It returns only on failure.
func RunSealed() error {
	if os.Getenv(sealedFDEnv) != "" {
		return nil
	}
	// where kobako-init is, before /proc/self/exe stops saying it
	initPath, err := initBinary()
	if err != nil {
		return err
	}
	self, err := sealed("/proc/self/exe")
	if err != nil {
		return err
	}
	fd := int(self.Fd())
	// Open across the execve: the detached mount lives as long as a
	// descriptor of it does.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
		return err
	}
	env := append(os.Environ(), fmt.Sprintf("%s=%d", sealedFDEnv, fd), initBinaryEnv+"="+initPath)
	// exec /proc/self/fd/N "$@"
	return unix.Exec(fmt.Sprintf("/proc/self/fd/%d", fd), os.Args, env)
}

func sealed(binary string) (*os.File, error) {
	if f, err := readOnlyMount(binary); err == nil {
		return f, nil
	}
	return sealedCopy(binary)
}

// readOnlyMount: mount --bind -o ro $BINARY, detached.
func readOnlyMount(binary string) (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, binary, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open_tree %s: %w", binary, err)
	}
	// mount -o remount,bind,ro — on the detached copy only
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("make the mount of %s read-only: %w", binary, err)
	}
	return os.NewFile(uintptr(fd), "kobako (read-only mount)"), nil
}

// sealedCopy copies the binary into a memfd and seals it.
func sealedCopy(binary string) (*os.File, error) {
	self, err := os.Open(binary)
	if err != nil {
		return nil, err
	}
	defer self.Close()
	fd, err := unix.MemfdCreate("kobako_cloned", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	clone := os.NewFile(uintptr(fd), "kobako (sealed copy)")
	if _, err := io.Copy(clone, self); err != nil {
		clone.Close()
		return nil, fmt.Errorf("copy kobako into a memfd: %w", err)
	}
	// No more writes, no resizing, and no removing these seals.
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(clone.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		clone.Close()
		return nil, fmt.Errorf("seal the copy of kobako: %w", err)
	}
	return clone, nil
}

// isStatic says whether binary needs no ELF interpreter. The init of
// `kobako exec` is started inside the container, where the host's dynamic
// loader is not: kobako-init must be built static (CGO_ENABLED=0).
func isStatic(binary string) bool {
	f, err := elf.Open(binary)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}
