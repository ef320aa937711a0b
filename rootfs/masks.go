package rootfs

// Masked and read-only paths: the parts of /proc and /sys that tell about,
// or act on, the host. The config's linux.maskedPaths are hidden, its
// linux.readonlyPaths can be read, not written. Shell twins, as docker
// (runc) does it:
//
//	mount --bind $ROOTFS/dev/null $ROOTFS/proc/kcore      a masked file
//	mount -t tmpfs -o ro tmpfs $ROOTFS/proc/acpi          a masked directory
//	mount --rbind $ROOTFS/proc/sys $ROOTFS/proc/sys       a read-only path: bound
//	mount -o remount,bind,ro $ROOTFS/proc/sys             onto itself, then remounted
//
// These mounts act on procfs for the container, so they are where runc was
// turned into "write any /proc file": CVE-2025-31133 replaced the
// container's /dev/null with a symlink to /proc/sys/kernel/core_pattern,
// and runc bind-mounted that file, writable, where the mask should be. So:
//
//   - each target is resolved inside the root with pathrs-lite, once, to an
//     O_PATH handle, and the mount is made on /proc/self/fd/N (as in mounts.go);
//   - before anything is mounted over it, the target must be on the file
//     system its path promises (fstatfs: procfs under /proc, sysfs under
//     /sys), or the mask would hide, and the read-only bind guard, some
//     other file that merely sits at that path;
//   - /dev/null is opened once the same way, checked with fstat to be the
//     null device (char 1:3), and bound FROM that handle: whatever its path
//     names a moment later is never what gets mounted.
//
// A path this kernel does not have (ENOENT) is skipped: docker's lists name
// files of many kernels. Any other error fails the start.
//
// Why here, at the end of Prepare, rather than just after pivot_root:
// by now every mount of the config is made — /proc, /sys, and the /dev
// whose /dev/null makeDev just created — so the masks go on top of all of
// them, and no later mount can cover one. And every target is still
// resolved from the one root handle all of Prepare uses, the same way as
// every other mount. Nothing the init does after this writes to /proc/sys
// or /sys (sethostname is a system call); a step that must write a sysctl
// has to come before it, or use a procfs handle of its own.

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

// Masks are the paths of the config to hide (linux.maskedPaths) and to
// make read-only (linux.readonlyPaths). Empty lists change nothing.
type Masks struct {
	Masked   []string
	Readonly []string
}

// MasksOf takes the lists from the config's linux section, which may be
// absent.
func MasksOf(linux *specs.Linux) Masks {
	if linux == nil {
		return Masks{}
	}
	return Masks{Masked: linux.MaskedPaths, Readonly: linux.ReadonlyPaths}
}

// applyMasks makes the read-only paths read-only, then masks the masked
// ones, so that a mask is always the top mount at its path (runc's order).
func applyMasks(root *os.File, masks Masks, tr *trace.Tracer) error {
	for _, p := range masks.Readonly {
		if err := readonlyPath(root, p, tr); err != nil {
			return fmt.Errorf("make %s read-only: %w", p, err)
		}
	}
	if len(masks.Masked) == 0 {
		return nil
	}
	null, err := openDevNull(root, tr)
	if err != nil {
		return err
	}
	defer null.Close()
	for _, p := range masks.Masked {
		if err := maskPath(root, null, p, tr); err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	return nil
}

// maskPath hides p: a file behind the null device, a directory behind an
// empty read-only tmpfs.
func maskPath(root, null *os.File, p string, tr *trace.Tracer) error {
	target, err := openTarget(root, p, tr)
	if err != nil || target == nil {
		return err
	}
	defer target.Close()
	var st unix.Stat_t
	// stat -c %F $ROOTFS/proc/kcore   — a file, or a directory?
	if err := unix.Fstat(int(target.Fd()), &st); err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		// mount -t tmpfs -o ro,nosuid,nodev,noexec tmpfs $ROOTFS/proc/acpi
		return mount(tr, mountCall{Step: "mask " + p, Shell: "mount -t tmpfs -o ro,nosuid,nodev,noexec tmpfs $ROOTFS" + p,
			Source: "tmpfs", Target: procSelfFd(target), Shown: p, FSType: "tmpfs",
			Flags: unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC})
	}
	// mount --bind $ROOTFS/dev/null $ROOTFS/proc/kcore — from the handle
	// that was checked, not from the name /dev/null.
	return mount(tr, mountCall{Step: "mask " + p, Shell: "mount --bind $ROOTFS/dev/null $ROOTFS" + p,
		Source: procSelfFd(null), Target: procSelfFd(target), Shown: p, Flags: unix.MS_BIND})
}

// openDevNull opens the masks' source: the container's /dev/null, the
// node makeDev made on the container's own /dev, and checks that it is
// the null device.
//
// Not the host's /dev/null: bound into the container, the host's node
// would be chmod-able by the container's root (CAP_FOWNER) for the whole
// host. In a user namespace it is the host's node, bound in by makeDev
// (mknod is refused there), and that is safe: the container's root has no
// CAP_FOWNER over a node of the host's root, who is unmapped there; the
// check below passes it, for it is char 1:3. The container's /dev/null is
// the config's to decide, though — a device in the config (run --device
// /dev/zero:/dev/null), or a bundle with no tmpfs on /dev whose image has
// /dev/null -> /proc/sys/kernel/core_pattern, as in CVE-2025-31133. Hence
// the check, on the handle that is mounted.
func openDevNull(root *os.File, tr *trace.Tracer) (*os.File, error) {
	// The O_PATH handle of $ROOTFS/dev/null, symlinks resolved inside the root.
	null, err := pathrs.OpenatInRoot(root, "/dev/null")
	if err != nil {
		return nil, fmt.Errorf("open /dev/null in rootfs, the source of masks: %w", err)
	}
	var st unix.Stat_t
	// stat -c '%F %t:%T' $ROOTFS/dev/null   — character special file 1:3
	err = unix.Fstat(int(null.Fd()), &st)
	if err == nil && (st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3)) {
		err = fmt.Errorf("it is %s, not the null device (character device 1:3)", describeNode(&st))
	}
	tr.Step("check /dev/null, the source of masks", "stat -c '%F %t:%T' $ROOTFS/dev/null", "unix.Fstat(null, &st)", err)
	if err != nil {
		null.Close()
		return nil, fmt.Errorf("check /dev/null, the source of masks: %w", err)
	}
	return null, nil
}

// readonlyPath binds p onto itself, which gives it a mount of its own, and
// remounts that mount read-only.
func readonlyPath(root *os.File, p string, tr *trace.Tracer) error {
	target, err := openTarget(root, p, tr)
	if err != nil || target == nil {
		return err
	}
	defer target.Close()
	// mount --rbind $ROOTFS/proc/sys $ROOTFS/proc/sys — recursive, so that
	// what is already mounted below p stays visible on top of the bind.
	fdPath := procSelfFd(target)
	if err := mount(tr, mountCall{Step: "bind " + p + " onto itself", Shell: "mount --rbind $ROOTFS" + p + " $ROOTFS" + p,
		Source: fdPath, Target: fdPath, Shown: p, Flags: unix.MS_BIND | unix.MS_REC}); err != nil {
		return err
	}
	bound, err := reopenBound(root, target, p)
	if err != nil {
		return err
	}
	defer bound.Close()
	// mount -o remount,bind,ro,nosuid,nodev,noexec $ROOTFS/proc/sys
	return remountBind(tr, p, bound, unix.MS_RDONLY)
}

// reopenBound resolves p again, to reach the bind just made on it. A handle
// keeps naming what it was opened on — the file now under the bind — and a
// remount through it fails with EINVAL (not a mount point). The new handle
// must be the same file on a new mount, whose root it is: the bind itself,
// not something put at p in between.
func reopenBound(root, under *os.File, p string) (*os.File, error) {
	bound, err := pathrs.OpenatInRoot(root, p)
	if err != nil {
		return nil, fmt.Errorf("reopen after the bind: %w", err)
	}
	var was, is unix.Statx_t
	const mask = unix.STATX_INO | unix.STATX_MNT_ID
	// stat -c %i of each, and findmnt -no ID: the inode, and the mount it is on
	err = errors.Join(
		unix.Statx(int(under.Fd()), "", unix.AT_EMPTY_PATH, mask, &was),
		unix.Statx(int(bound.Fd()), "", unix.AT_EMPTY_PATH, mask, &is))
	if err == nil && (is.Ino != was.Ino || is.Dev_major != was.Dev_major || is.Dev_minor != was.Dev_minor ||
		is.Mnt_id == was.Mnt_id || is.Attributes&unix.STATX_ATTR_MOUNT_ROOT == 0) {
		err = errors.New("what the path names now is not the bind just made")
	}
	if err != nil {
		bound.Close()
		return nil, fmt.Errorf("reopen after the bind: %w", err)
	}
	return bound, nil
}

// openTarget resolves p inside root to an O_PATH handle and checks where it
// landed: inside the root, on the file system its path promises. A p that
// does not exist gives no handle and no error: it is skipped.
func openTarget(root *os.File, p string, tr *trace.Tracer) (*os.File, error) {
	if !path.IsAbs(p) || path.Clean(p) == "/" {
		return nil, fmt.Errorf("%q must be an absolute path below /", p)
	}
	// The O_PATH handle of $ROOTFS$P, symlinks resolved inside the root.
	target, err := pathrs.OpenatInRoot(root, p)
	if errors.Is(err, unix.ENOENT) {
		tr.Skip("skip "+p+", which this kernel does not have", "test -e $ROOTFS"+p+" || continue")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open in rootfs: %w", err)
	}
	err = checkInside(root, target, p)
	if err == nil {
		err = checkFileSystem(target, p)
	}
	if err != nil {
		target.Close()
		return nil, err
	}
	return target, nil
}

// fileSystems are what a masked or read-only path must be on, by the
// mount it lies under; the first match counts. A path elsewhere (a config
// may name any) is not checked.
var fileSystems = []struct {
	under string
	magic int64 // statfs(2)'s f_type; 0: not checked
	name  string
}{
	{"/proc", unix.PROC_SUPER_MAGIC, "procfs"},
	{"/sys/fs/cgroup", 0, ""}, // cgroup2, or v1's tmpfs of hierarchies: see cgroupfs.go
	{"/sys", unix.SYSFS_MAGIC, "sysfs"},
}

// checkFileSystem refuses a target that is not on the file system of the
// mount its path promises: something else covers it (a bind mount over
// /proc/sys, say, or no proc at all, and the image's own /proc/kcore).
func checkFileSystem(target *os.File, p string) error {
	for _, fs := range fileSystems {
		if p != fs.under && !strings.HasPrefix(p, fs.under+"/") {
			continue
		}
		if fs.magic == 0 {
			return nil
		}
		var st unix.Statfs_t
		// stat -f -c %T $ROOTFS/proc/kcore   — proc
		if err := unix.Fstatfs(int(target.Fd()), &st); err != nil {
			return fmt.Errorf("statfs: %w", err)
		}
		if int64(st.Type) != fs.magic {
			return fmt.Errorf("it is not on %s (file system magic %#x): something else is mounted there", fs.name, st.Type)
		}
		return nil
	}
	return nil
}

// describeNode says what kind of file st is, for an error message.
func describeNode(st *unix.Stat_t) string {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		return fmt.Sprintf("character device %d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	case unix.S_IFBLK:
		return fmt.Sprintf("block device %d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFREG:
		return "a regular file"
	}
	return fmt.Sprintf("a file of type %#o", st.Mode&unix.S_IFMT)
}
