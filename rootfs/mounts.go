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
	bind := opts.flags&unix.MS_BIND != 0 || m.Type == "bind"
	// proc and sysfs on a symlink is how CVE-2019-19921 redirected the
	// runtime's own later writes: refuse, as runc does — and the same for
	// a bind of the host's /sys there (--network host binds it).
	if m.Type == "proc" || m.Type == "sysfs" || m.Destination == "/proc" || m.Destination == "/sys" {
		if err := checkRealDirectory(root, m.Destination); err != nil {
			return err
		}
	}
	target, err := openMountTarget(root, m, bind)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := checkInside(root, target, m.Destination); err != nil {
		return err
	}
	fdPath := procSelfFd(target)
	shell := shellTwin(m)
	if bind {
		err = mountBind(root, tr, shell, m, fdPath, opts)
	} else {
		err = mount(tr, "mount "+m.Destination, shell, m.Source, fdPath, m.Destination, m.Type, opts.flags, opts.data)
	}
	if err != nil || opts.propagation == 0 {
		return err
	}
	return setPropagation(root, m.Destination, opts.propagation, tr)
}

// mountBind binds the source, then remounts for flags such as ro: a bind
// mount ignores them on the first call (mount(2), "MS_BIND").
func mountBind(root *os.File, tr *trace.Tracer, shell string, m specs.Mount, fdPath string, opts mountOptions) error {
	bindFlags := unix.MS_BIND | opts.flags&unix.MS_REC
	if err := mount(tr, "bind "+m.Destination, shell, m.Source, fdPath, m.Destination, "", uintptr(bindFlags), ""); err != nil {
		return err
	}
	rest := opts.flags &^ (unix.MS_BIND | unix.MS_REC)
	if rest == 0 {
		return nil
	}
	// The old handle names what lies under the new mount, and a remount
	// through it would act on that mount, not ours (EINVAL for a mount
	// that is no bind): resolve again, to the bind just made.
	target, err := pathrs.OpenatInRoot(root, m.Destination)
	if err != nil {
		return fmt.Errorf("reopen mount %s: %w", m.Destination, err)
	}
	defer target.Close()
	if err := remount(tr, m.Destination, procSelfFd(target), rest); err != nil {
		return err
	}
	if bindFlags&unix.MS_REC == 0 || rest&unix.MS_RDONLY == 0 {
		return nil
	}
	return readOnlyBelow(tr, m.Destination, target)
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

func remount(tr *trace.Tracer, dest, fdPath string, flags uintptr) error {
	return mount(tr, "remount "+dest, "mount -o remount,bind,… "+dest, "", fdPath, dest, "", flags|unix.MS_BIND|unix.MS_REMOUNT, "")
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

// openMountTarget makes the mount point (a directory, or an empty file for
// a bind mount of a file, like the article's `touch $ROOTFS/dev/null`)
// and returns an O_PATH handle of it, resolved inside root.
func openMountTarget(root *os.File, m specs.Mount, bind bool) (*os.File, error) {
	if bind {
		if fi, err := os.Stat(m.Source); err == nil && !fi.IsDir() {
			return makeFileInRoot(root, m.Destination)
		}
	}
	// mkdir -p $ROOTFS$DEST
	dir, err := pathrs.MkdirAllHandle(root, m.Destination, 0o755)
	if err != nil {
		return nil, fmt.Errorf("make mount point %s: %w", m.Destination, err)
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
