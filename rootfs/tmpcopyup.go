package rootfs

// tmpcopyup, runc's extension: a tmpfs that starts with a copy of what the
// image had in the directory it covers (podman's --tmpfs /run does this, so
// that /run keeps the image's files yet is fresh memory). Shell twin:
//
//	exec 3< $ROOTFS/run                      # the image's /run, held open
//	mount -t tmpfs -o mode=755 tmpfs $ROOTFS/run
//	cp -a /proc/self/fd/3/. $ROOTFS/run/     # still reaches the covered dir
//
// runc mounts the tmpfs elsewhere, copies, and moves it in place; holding
// the image's directory open does the same with no scratch directory on
// the host. The copy walks both trees by descriptor, one name at a time,
// with O_NOFOLLOW: a symlink in the image is copied as a symlink, never
// followed — out of the root, or anywhere.

import (
	"errors"
	"fmt"
	"io"
	"os"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// mountTmpcopyup mounts the tmpfs of m over the image's directory and
// copies that directory into it, owners and modes kept.
func mountTmpcopyup(root *os.File, m specs.Mount, opts mountOptions, tr *trace.Tracer) error {
	target, err := makeMountPoint(root, m.Destination)
	if err != nil {
		return err
	}
	defer target.Close()
	// exec 3< $ROOTFS$DEST — before the tmpfs hides it
	image, err := pathrs.Reopen(target, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return fmt.Errorf("open %s in the image: %w", m.Destination, err)
	}
	defer image.Close()
	// Writable while the copy goes in; ro comes after, as a remount.
	writable := opts
	writable.flags &^= unix.MS_RDONLY
	if err := mountNew(root, m, writable, tr); err != nil {
		return err
	}
	tmpfs, err := openNewTmpfs(root, m.Destination)
	if err != nil {
		return err
	}
	defer tmpfs.Close()
	err = copyDir(image, tmpfs)
	tr.Step("copy the image's "+m.Destination+" into the tmpfs", "cp -a /proc/self/fd/3/. $ROOTFS"+m.Destination+"/",
		"copyDir(image, tmpfs) // openat, mkdirat, symlinkat, mknodat … all O_NOFOLLOW", err)
	if err != nil {
		return fmt.Errorf("tmpcopyup %s: %w", m.Destination, err)
	}
	if opts.flags&unix.MS_RDONLY == 0 {
		return nil
	}
	// mount -o remount,bind,ro $ROOTFS$DEST
	return remountBind(tr, m.Destination, tmpfs, unix.MS_RDONLY)
}

// openNewTmpfs resolves dest again, to the tmpfs just mounted there, and
// checks that it is one, at the root of its mount.
func openNewTmpfs(root *os.File, dest string) (*os.File, error) {
	handle, err := pathrs.OpenatInRoot(root, dest)
	if err != nil {
		return nil, fmt.Errorf("reopen %s after the mount: %w", dest, err)
	}
	defer handle.Close()
	dir, err := pathrs.Reopen(handle, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("reopen %s after the mount: %w", dest, err)
	}
	var fs unix.Statfs_t
	var st unix.Statx_t
	err = errors.Join(unix.Fstatfs(int(dir.Fd()), &fs), unix.Statx(int(dir.Fd()), "", unix.AT_EMPTY_PATH, 0, &st))
	if err == nil && (fs.Type != unix.TMPFS_MAGIC || st.Attributes&unix.STATX_ATTR_MOUNT_ROOT == 0) {
		err = errors.New("what the path names now is not the tmpfs just mounted")
	}
	if err != nil {
		dir.Close()
		return nil, fmt.Errorf("reopen %s after the mount: %w", dest, err)
	}
	return dir, nil
}

// copyDir copies the entries of the directory from into the directory to,
// recursively: cp -a, by descriptor.
func copyDir(from, to *os.File) error {
	names, err := from.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read %s: %w", from.Name(), err)
	}
	for _, name := range names {
		if err := copyEntry(from, to, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// copyEntry copies one entry, of any type, then gives it the owner, mode
// and times of the original — in that order, because chown(2) clears the
// set-user-ID bit a chmod would have set.
func copyEntry(from, to *os.File, name string) error {
	var st unix.Stat_t
	// stat --no-dereference $NAME
	if err := unix.Fstatat(int(from.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	var err error
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		err = copySubdir(from, to, name)
	case unix.S_IFREG:
		err = copyFile(from, to, name)
	case unix.S_IFLNK:
		var link string
		if link, err = readlinkat(from, name); err == nil {
			err = unix.Symlinkat(link, int(to.Fd()), name)
		}
	default: // devices, fifos, sockets: a node like the original
		err = unix.Mknodat(int(to.Fd()), name, st.Mode, int(st.Rdev))
	}
	if err != nil {
		return err
	}
	return copyAttrs(to, name, &st)
}

// copySubdir makes the directory name in to and copies into it.
func copySubdir(from, to *os.File, name string) error {
	if err := unix.Mkdirat(int(to.Fd()), name, 0o700); err != nil {
		return err
	}
	src, err := openDirAt(from, name)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openDirAt(to, name)
	if err != nil {
		return err
	}
	defer dst.Close()
	return copyDir(src, dst)
}

func openDirAt(dir *os.File, name string) (*os.File, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), dir.Name()+"/"+name), nil
}

// copyFile copies a regular file's bytes into a new file (O_EXCL: never
// into something that is already there).
func copyFile(from, to *os.File, name string) error {
	srcFd, err := unix.Openat(int(from.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	src := os.NewFile(uintptr(srcFd), name)
	defer src.Close()
	dstFd, err := unix.Openat(int(to.Fd()), name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	dst := os.NewFile(uintptr(dstFd), name)
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// copyAttrs gives the copy the original's owner, mode and times, without
// following it if it is a symlink (whose mode Linux does not keep).
func copyAttrs(to *os.File, name string, st *unix.Stat_t) error {
	dirfd := int(to.Fd())
	if err := unix.Fchownat(dirfd, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := unix.Fchmodat(dirfd, name, st.Mode&0o7777, 0); err != nil {
			return err
		}
	}
	times := []unix.Timespec{st.Atim, st.Mtim}
	return unix.UtimesNanoAt(dirfd, name, times, unix.AT_SYMLINK_NOFOLLOW)
}

// readlinkat reads a symlink's target, however long.
func readlinkat(dir *os.File, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(int(dir.Fd()), name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}
