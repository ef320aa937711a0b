package rootfs

// The config's mounts (proc, /dev, devpts, /dev/shm, mqueue, sysfs …),
// each made under the new root before pivot_root. Shell twin of one:
//
//	mkdir -p $ROOTFS/proc && mount -t proc -o nosuid,noexec,nodev proc $ROOTFS/proc
//
// The image decides what the paths under $ROOTFS are, and an image is
// untrusted: $ROOTFS/proc may be a symlink to /etc, or to ../../../host.
// So a target is never a joined path string. It is resolved inside the
// root (symlinks included) with filepath-securejoin's pathrs-lite to an
// O_PATH handle, and the mount is made on /proc/self/fd/N — the object we
// checked, not whatever the path names a moment later (CVE-2021-30465).
//
// A bind's source, on the host, is opened once in the same way, and bound
// from its fd. The host path is the user's (-v), not the image's, so it is
// not hostile; but a host directory is often shared with containers that
// can swap its entries for symlinks (the "docker cp" race of
// CVE-2018-15664), and with one handle the file looked at (directory or
// file?) is the one bound.

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

func mountInRoot(root *os.File, m specs.Mount, tr *trace.Tracer) error {
	if !path.IsAbs(m.Destination) {
		return fmt.Errorf("mount destination %q must be an absolute path", m.Destination)
	}
	opts := parseMountOptions(m.Options)
	// proc and sysfs on a symlink is how CVE-2019-19921 redirected the
	// runtime's own later writes: refuse, as runc does — and the same for
	// a bind of the host's /sys there (--network host binds it).
	if m.Type == "proc" || m.Type == "sysfs" || m.Destination == "/proc" || m.Destination == "/sys" {
		if err := checkRealDirectory(root, m.Destination); err != nil {
			return err
		}
	}
	var err error
	if opts.flags&unix.MS_BIND != 0 || m.Type == "bind" {
		err = mountBind(root, m, opts, tr)
	} else {
		err = mountNew(root, m, opts, tr)
	}
	if err != nil || opts.propagation == 0 {
		return err
	}
	return setPropagation(root, m.Destination, opts.propagation, tr)
}

// mountNew mounts a new file system (proc, a tmpfs …) on a directory
// made inside the root.
func mountNew(root *os.File, m specs.Mount, opts mountOptions, tr *trace.Tracer) error {
	target, err := makeMountPoint(root, m.Destination)
	if err != nil {
		return err
	}
	defer target.Close()
	return mount(tr, "mount "+m.Destination, shellTwin(m), m.Source, procSelfFd(target), m.Destination, m.Type, opts.flags, opts.data)
}

// mountBind binds the source, from its fd, then remounts for flags such
// as ro: a bind mount ignores them on the first call (mount(2), "MS_BIND").
func mountBind(root *os.File, m specs.Mount, opts mountOptions, tr *trace.Tracer) error {
	source, err := os.OpenFile(m.Source, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open bind source %s: %w", m.Source, err)
	}
	defer source.Close()
	target, err := openBindTarget(root, m.Destination, source)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := checkInside(root, target, m.Destination); err != nil {
		return err
	}
	bindFlags := unix.MS_BIND | opts.flags&unix.MS_REC
	if err := mount(tr, "bind "+m.Destination, shellTwin(m), procSelfFd(source), procSelfFd(target), m.Destination, "", uintptr(bindFlags), ""); err != nil {
		return fmt.Errorf("bind %s: %w", m.Source, err)
	}
	rest := opts.flags &^ (unix.MS_BIND | unix.MS_REC)
	if rest == 0 {
		return nil
	}
	// The old handle names what lies under the new mount, and a remount
	// through it would act on that mount, not ours (EINVAL for a mount
	// that is no bind): resolve again, to the bind just made.
	bound, err := pathrs.OpenatInRoot(root, m.Destination)
	if err != nil {
		return fmt.Errorf("reopen mount %s: %w", m.Destination, err)
	}
	defer bound.Close()
	if err := remountBind(tr, m.Destination, bound, rest); err != nil {
		return err
	}
	if bindFlags&unix.MS_REC == 0 || rest&unix.MS_RDONLY == 0 {
		return nil
	}
	return readOnlyBelow(tr, m.Destination, bound)
}

// readOnlyBelow makes every mount under a read-only rbind read-only too:
// the remount reaches the top one only, and the mounts that came along
// (the host's under /sys, say) would stay writable. Docker 25 does the
// same, with the same call (mount_setattr(2), Linux 5.12).
func readOnlyBelow(tr *trace.Tracer, dest string, target *os.File) error {
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	// mount -o remount,bind,ro,X-mount.recursive $ROOTFS$DEST (util-linux 2.39)
	err := unix.MountSetattr(int(target.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr)
	tr.Step("make "+dest+" read-only all the way down", "mount -o remount,bind,ro,X-mount.recursive "+dest,
		"unix.MountSetattr(fd, \"\", AT_EMPTY_PATH|AT_RECURSIVE, {MOUNT_ATTR_RDONLY})", err)
	if err != nil {
		return fmt.Errorf("mount_setattr %s read-only, recursively: %w", dest, err)
	}
	return nil
}

// setPropagation applies private/slave/shared to the mount just made. The
// old handle names what lies under the new mount, so resolve again.
func setPropagation(root *os.File, dest string, flags uintptr, tr *trace.Tracer) error {
	target, err := pathrs.OpenatInRoot(root, dest)
	if err != nil {
		return fmt.Errorf("reopen mount %s: %w", dest, err)
	}
	defer target.Close()
	return mount(tr, "set propagation of "+dest, "mount --make-"+propagationName(flags)+" "+dest, "", procSelfFd(target), dest, "", flags, "")
}

// openBindTarget makes the mount point (a directory, or an empty file for
// a bind mount of a file, like the article's `touch $ROOTFS/dev/null`)
// and returns an O_PATH handle of it, resolved inside root. Whether the
// source is a directory is asked of its handle, not of its path again.
func openBindTarget(root *os.File, dest string, source *os.File) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(source.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat bind source %s: %w", source.Name(), err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return makeFileInRoot(root, dest)
	}
	// mkdir -p $ROOTFS$DEST
	dir, err := pathrs.MkdirAllHandle(root, dest, 0o755)
	if err != nil {
		return nil, fmt.Errorf("make mount point %s: %w", dest, err)
	}
	return dir, nil
}

// makeFileInRoot creates an empty file at dest (if missing) and opens it.
func makeFileInRoot(root *os.File, dest string) (*os.File, error) {
	parent, err := pathrs.MkdirAllHandle(root, path.Dir(dest), 0o755)
	if err != nil {
		return nil, fmt.Errorf("make mount point %s: %w", dest, err)
	}
	defer parent.Close()
	// touch $ROOTFS$DEST (O_NOFOLLOW: never create through a symlink)
	fd, err := unix.Openat(int(parent.Fd()), path.Base(dest), unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_RDONLY, 0o644)
	if err != nil && !errors.Is(err, unix.ELOOP) {
		return nil, fmt.Errorf("make mount point %s: %w", dest, err)
	}
	if err == nil {
		unix.Close(fd)
	}
	// An existing symlink is resolved inside the root, like any other path.
	return pathrs.OpenatInRoot(root, dest)
}

// checkRealDirectory refuses a destination that is a symlink or a file.
func checkRealDirectory(root *os.File, dest string) error {
	parent, err := pathrs.OpenatInRoot(root, path.Dir(dest))
	if errors.Is(err, os.ErrNotExist) {
		return nil // it will be created as a directory
	}
	if err != nil {
		return fmt.Errorf("open parent of %s: %w", dest, err)
	}
	defer parent.Close()
	var st unix.Stat_t
	err = unix.Fstatat(int(parent.Fd()), path.Base(dest), &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil
	case err != nil:
		return fmt.Errorf("stat %s: %w", dest, err)
	case st.Mode&unix.S_IFMT == unix.S_IFLNK:
		return fmt.Errorf("%s is a symlink in the image: it must be a real directory to mount on", dest)
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return fmt.Errorf("%s is not a directory in the image: it must be one to mount on", dest)
	}
	return nil
}

// makeMountPoint makes the directory dest inside the root and returns its
// O_PATH handle, checked to be under the root.
func makeMountPoint(root *os.File, dest string) (*os.File, error) {
	// mkdir -p $ROOTFS$DEST
	target, err := pathrs.MkdirAllHandle(root, dest, 0o755)
	if err != nil {
		return nil, fmt.Errorf("make mount point %s: %w", dest, err)
	}
	if err := checkInside(root, target, dest); err != nil {
		target.Close()
		return nil, err
	}
	return target, nil
}

// checkInside verifies, from the kernel's own view of the handle, that the
// target is under the root. pathrs-lite already guarantees it; this is the
// belt to its braces, cheap and easy to read.
func checkInside(root, target *os.File, dest string) error {
	rootPath, err1 := os.Readlink(procSelfFd(root))
	got, err2 := os.Readlink(procSelfFd(target))
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("check mount point %s: %w", dest, err)
	}
	if got != rootPath && !strings.HasPrefix(got, rootPath+"/") {
		return fmt.Errorf("mount point %s resolved to %s, outside the rootfs", dest, got)
	}
	return nil
}

func procSelfFd(f *os.File) string {
	return fmt.Sprintf("/proc/self/fd/%d", f.Fd())
}

// shellTwin writes a mount the way mount(8) takes it.
func shellTwin(m specs.Mount) string {
	var b strings.Builder
	b.WriteString("mount")
	if m.Type != "" && m.Type != "bind" {
		b.WriteString(" -t " + m.Type)
	}
	if len(m.Options) > 0 {
		b.WriteString(" -o " + strings.Join(m.Options, ","))
	}
	fmt.Fprintf(&b, " %s $ROOTFS%s", m.Source, m.Destination)
	return b.String()
}

func propagationName(flags uintptr) string {
	for name, f := range propagationFlags {
		if f == flags {
			return name
		}
	}
	return fmt.Sprintf("%#x", flags)
}
