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

// mountInRoot makes one mount of the config under the root: a bind (plain
// or idmapped), a tmpfs that starts with a copy of the image's directory,
// or any other new file system; then runc's recursive attributes and the
// propagation, each a call of its own.
func mountInRoot(root *os.File, m specs.Mount, tr *trace.Tracer) error {
	// The same check as at create: an unknown word never reaches the kernel.
	if err := checkMount(m); err != nil {
		return fmt.Errorf("mount %s: %w", m.Destination, err)
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
	switch {
	case opts.isBind(m.Type) && isIdmapped(m, opts):
		err = mountIdmapped(root, m, opts, tr)
	case opts.isBind(m.Type):
		err = mountBind(root, m, opts, tr)
	case opts.tmpcopyup:
		err = mountTmpcopyup(root, m, opts, tr)
	default:
		err = mountNew(root, m, opts, tr)
	}
	if err == nil && !opts.recursive.empty() {
		err = setRecursive(root, m.Destination, opts.recursive, tr)
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
	return mount(tr, mountCall{Step: "mount " + m.Destination, Shell: shellTwin(m),
		Source: m.Source, Target: procSelfFd(target), Shown: m.Destination, FSType: m.Type, Flags: opts.flags, Data: opts.dataString()})
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
	if err := mount(tr, mountCall{Step: "bind " + m.Destination, Shell: shellTwin(m),
		Source: procSelfFd(source), Target: procSelfFd(target), Shown: m.Destination, Flags: uintptr(bindFlags)}); err != nil {
		return fmt.Errorf("bind %s: %w", m.Source, err)
	}
	return remountBound(root, m.Destination, opts, tr)
}

// remountBound gives a bind just made the flags its first call could not
// set (ro, nosuid, nosymfollow …).
func remountBound(root *os.File, dest string, opts mountOptions, tr *trace.Tracer) error {
	rest := opts.flags &^ (unix.MS_BIND | unix.MS_REC)
	if rest == 0 {
		return nil
	}
	// The old handle names what lies under the new mount, and a remount
	// through it would act on that mount, not ours (EINVAL for a mount
	// that is no bind): resolve again, to the bind just made.
	bound, err := pathrs.OpenatInRoot(root, dest)
	if err != nil {
		return fmt.Errorf("reopen mount %s: %w", dest, err)
	}
	defer bound.Close()
	if err := remountBind(tr, dest, bound, rest); err != nil {
		return err
	}
	if opts.flags&unix.MS_REC == 0 || rest&unix.MS_RDONLY == 0 || opts.recursive.set&unix.MOUNT_ATTR_RDONLY != 0 {
		return nil
	}
	// rbind,ro: the remount reached the top mount only, and the mounts
	// that came along (the host's under /sys, say) would stay writable.
	// Docker 25 makes them read-only too, with the call of "rro".
	return setRecursiveOn(tr, dest, bound, recursiveAttrs{set: unix.MOUNT_ATTR_RDONLY, words: []string{"rro"}})
}

// setRecursive applies runc's recursive words (rro, rnosuid …) to the
// mount at dest and to every mount below it.
func setRecursive(root *os.File, dest string, attrs recursiveAttrs, tr *trace.Tracer) error {
	// The mount just made, not what lies under it: resolve again.
	target, err := pathrs.OpenatInRoot(root, dest)
	if err != nil {
		return fmt.Errorf("reopen mount %s: %w", dest, err)
	}
	defer target.Close()
	return setRecursiveOn(tr, dest, target, attrs)
}

// setRecursiveOn calls mount_setattr(2) with AT_RECURSIVE (Linux 5.12):
// unlike a remount, it reaches every mount of the tree at once.
func setRecursiveOn(tr *trace.Tracer, dest string, target *os.File, attrs recursiveAttrs) error {
	tr.Helper()
	attr := unix.MountAttr{Attr_set: attrs.set, Attr_clr: attrs.clear}
	// mount -o remount,bind,ro=recursive $ROOTFS$DEST (util-linux 2.39)
	err := unix.MountSetattr(int(target.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr)
	step := "set " + attrs.String() + " on " + dest + ", all the way down"
	if attrs.String() == "rro" {
		step = "make " + dest + " read-only all the way down"
	}
	tr.Step(step,
		"mount -o remount,bind,"+attrs.shellWords()+" $ROOTFS"+dest,
		fmt.Sprintf("unix.MountSetattr(fd, \"\", AT_EMPTY_PATH|AT_RECURSIVE, {set: %#x, clear: %#x})", attrs.set, attrs.clear), err)
	if err != nil {
		return fmt.Errorf("mount_setattr %s %s, recursively: %w", dest, attrs, err)
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
	return mount(tr, mountCall{Step: "set propagation of " + dest, Shell: "mount --make-" + propagationName(flags) + " $ROOTFS" + dest,
		Target: procSelfFd(target), Shown: dest, Flags: flags})
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

// shellTwin writes a mount the way mount(8) takes it: runc's own words
// (tmpcopyup, rro …) are steps of their own, and not mount(8)'s.
func shellTwin(m specs.Mount) string {
	var b strings.Builder
	b.WriteString("mount")
	if m.Type != "" && m.Type != "bind" {
		b.WriteString(" -t " + m.Type)
	}
	var words []string
	for _, o := range m.Options {
		if _, runcs := recursiveFlags[o]; !runcs && o != "tmpcopyup" && o != "idmap" && o != "ridmap" {
			words = append(words, o)
		}
	}
	if len(words) > 0 {
		b.WriteString(" -o " + strings.Join(words, ","))
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
