package rootfs

// The container's /dev. The article binds the host's /dev/null, tty and
// ptmx into the rootfs one by one; a runtime mounts a fresh tmpfs on /dev
// (see the config's mounts) and makes in it exactly the devices a program
// expects, plus those the config asks for (run --device), and no others:
// the host's disks are simply not there.
//
//	mknod -m 666 $ROOTFS/dev/null c 1 3   … and so on
//	ln -s pts/ptmx $ROOTFS/dev/ptmx
//	ln -s /proc/self/fd $ROOTFS/dev/fd
//	mkdir -p $ROOTFS/dev/sub && mknod -m 660 $ROOTFS/dev/sub/sda b 8 0 && chown 0:6 $ROOTFS/dev/sub/sda
//
// In a user namespace mknod(2) of a device is refused (EPERM: it needs
// CAP_MKNOD of the host's namespace), and a node made there would not open
// anyway (its tmpfs belongs to the namespace: "nodev"). There the article's
// way is the only one, and runc's and podman's rootless way too: the
// host's node is bound in.
//
//	touch $ROOTFS/dev/null && mount --bind /dev/null $ROOTFS/dev/null
//
// The container's root cannot chmod or chown it: its owner, the host's
// root, is unmapped there, and the node keeps the host's mode and owner.
//
// See mknod(2), and the runtime spec's "Devices" (config-linux.md).

import (
	"errors"
	"fmt"
	"os"
	"path"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// defaultDevices are the OCI spec's default devices, with their numbers
// from the kernel's Documentation/admin-guide/devices.txt; no file mode
// means 666, no owner root.
var defaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0},
}

// defaultLinks are the symlinks programs expect in /dev.
var defaultLinks = []struct{ name, target string }{
	{"ptmx", "pts/ptmx"}, // the container's own devpts, not the host's
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
}

// deviceTypes are the config's device types kobako can make, as mknod(2)
// file types. (The spec also has "u" and "p"; nothing kobako runs asks
// for them.)
var deviceTypes = map[string]struct {
	mode   uint32
	goName string
}{
	"c": {unix.S_IFCHR, "unix.S_IFCHR"},
	"b": {unix.S_IFBLK, "unix.S_IFBLK"},
}

// makeDev fills /dev: the default devices and links, then the config's
// devices. Those come last so that one at a default's path replaces it.
func makeDev(root *os.File, devices []specs.LinuxDevice, tr *trace.Tracer) error {
	for _, d := range defaultDevices {
		if err := makeDevice(root, d, tr); err != nil {
			return err
		}
	}
	if err := makeDevLinks(root, tr); err != nil {
		return err
	}
	for _, d := range devices {
		if err := makeDevice(root, d, tr); err != nil {
			return err
		}
	}
	return nil
}

func makeDevLinks(root *os.File, tr *trace.Tracer) error {
	dev, err := pathrs.MkdirAllHandle(root, "/dev", 0o755)
	if err != nil {
		return fmt.Errorf("open /dev in rootfs: %w", err)
	}
	defer dev.Close()
	dirfd := int(dev.Fd())
	for _, l := range defaultLinks {
		removeNonDir(dirfd, l.name)
		// ln -s $TARGET $ROOTFS/dev/$NAME
		err := unix.Symlinkat(l.target, dirfd, l.name)
		tr.Step("link /dev/"+l.name, "ln -s "+l.target+" $ROOTFS/dev/"+l.name, fmt.Sprintf("unix.Symlinkat(%q, dev, %q)", l.target, l.name), err)
		if err != nil {
			return fmt.Errorf("symlink /dev/%s: %w", l.name, err)
		}
	}
	return nil
}

// makeDevice makes the node d.Path inside root, its parent directories
// first. The parent is resolved inside root, like a mount's target, so a
// symlink in the image never leads the node out of the container; and
// mknodat never follows the last name, it only creates it.
func makeDevice(root *os.File, d specs.LinuxDevice, tr *trace.Tracer) error {
	typ, ok := deviceTypes[d.Type]
	if !ok {
		return fmt.Errorf("device %s: type %q is not supported by kobako (only c and b)", d.Path, d.Type)
	}
	p := path.Clean(d.Path)
	if !path.IsAbs(p) || p == "/" {
		return fmt.Errorf("device %q: the path must be absolute, like /dev/mynull", d.Path)
	}
	// mkdir -p $ROOTFS$(dirname $PATH)
	dir, err := pathrs.MkdirAllHandle(root, path.Dir(p), 0o755)
	if err != nil {
		return fmt.Errorf("make %s in rootfs: %w", path.Dir(p), err)
	}
	defer dir.Close()
	dirfd, name, perm := int(dir.Fd()), path.Base(p), devicePerm(d)
	removeNonDir(dirfd, name)
	// mknod -m $PERM $ROOTFS$PATH $TYPE $MAJOR $MINOR
	err = unix.Mknodat(dirfd, name, typ.mode|perm, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor))))
	if tr.Enabled() {
		tr.Step("make "+p, fmt.Sprintf("mknod -m %o $ROOTFS%s %s %d %d", perm, p, d.Type, d.Major, d.Minor),
			fmt.Sprintf("unix.Mknodat(dir, %q, %s|0o%o, unix.Mkdev(%d, %d))", name, typ.goName, perm, d.Major, d.Minor), err)
	}
	if errors.Is(err, unix.EPERM) {
		// A user namespace: bind the host's node instead (see the top).
		return bindDevice(dirfd, name, p, d, typ.mode, tr)
	}
	if err != nil {
		return fmt.Errorf("mknod %s: %w", p, err)
	}
	// chmod $PERM: mknod's mode passed through the umask.
	if err := unix.Fchmodat(dirfd, name, perm, 0); err != nil {
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	return chownDevice(dirfd, name, p, d, tr)
}

// bindDevice binds the host's node of d onto an empty file made at name in
// dirfd, the container's directory resolved inside the root. The host's
// node is found by its numbers, not trusted by its name: d.Path on the host
// (/dev/null) if that is the same device, else udev's /dev/char/1:3 or
// /dev/block/8:0 link, else any node of /dev (--device /dev/zero:/dev/mynull
// on a host without udev); fstat must confirm it.
func bindDevice(dirfd int, name, p string, d specs.LinuxDevice, mode uint32, tr *trace.Tracer) error {
	source, err := openHostDevice(d, mode)
	if err != nil {
		return err
	}
	defer source.Close()
	// touch $ROOTFS$PATH — never through a symlink, and only a new file
	fd, err := unix.Openat(dirfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("make mount point %s: %w", p, err)
	}
	target := os.NewFile(uintptr(fd), p)
	defer target.Close()
	// mount --bind /dev/null $ROOTFS/dev/null — from the handle that was checked
	return mount(tr, mountCall{Step: "bind the host's " + source.Name(), Shell: "mount --bind " + source.Name() + " $ROOTFS" + p,
		Source: procSelfFd(source), Target: procSelfFd(target), Shown: p, Flags: unix.MS_BIND})
}

// openHostDevice opens (O_PATH) the host's node of d: the first of its
// candidate paths that is a device of d's type and numbers.
func openHostDevice(d specs.LinuxDevice, mode uint32) (*os.File, error) {
	kind := map[uint32]string{unix.S_IFCHR: "char", unix.S_IFBLK: "block"}[mode]
	candidates := []string{path.Clean(d.Path), fmt.Sprintf("/dev/%s/%d:%d", kind, d.Major, d.Minor)}
	// ls /dev — its nodes, after the two likely names
	if entries, err := os.ReadDir("/dev"); err == nil {
		for _, e := range entries {
			if e.Type()&os.ModeDevice != 0 {
				candidates = append(candidates, "/dev/"+e.Name())
			}
		}
	}
	for _, c := range candidates {
		f, err := os.OpenFile(c, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		// stat -c '%F %t:%T' /dev/null
		if unix.Fstat(int(f.Fd()), &st) == nil && st.Mode&unix.S_IFMT == mode && st.Rdev == unix.Mkdev(uint32(d.Major), uint32(d.Minor)) {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("device %s (%s %d:%d): mknod is not allowed in a user namespace, and the host's /dev has no such node to bind",
		d.Path, d.Type, d.Major, d.Minor)
}

// devicePerm is the node's permission bits: the config's, or 666.
func devicePerm(d specs.LinuxDevice) uint32 {
	if d.FileMode == nil {
		return 0o666
	}
	return uint32(d.FileMode.Perm())
}

// chownDevice gives the node the config's owner. mknod made it root's, the
// default, so only another owner needs the call (like the host's
// root:disk on a disk).
func chownDevice(dirfd int, name, p string, d specs.LinuxDevice, tr *trace.Tracer) error {
	var uid, gid uint32
	if d.UID != nil {
		uid = *d.UID
	}
	if d.GID != nil {
		gid = *d.GID
	}
	if uid == 0 && gid == 0 {
		return nil
	}
	// chown $UID:$GID $ROOTFS$PATH
	err := unix.Fchownat(dirfd, name, int(uid), int(gid), unix.AT_SYMLINK_NOFOLLOW)
	tr.Step("own "+p, fmt.Sprintf("chown %d:%d $ROOTFS%s", uid, gid, p), fmt.Sprintf("unix.Fchownat(dir, %q, %d, %d, unix.AT_SYMLINK_NOFOLLOW)", name, uid, gid), err)
	if err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	return nil
}

// removeNonDir clears a name the image may already have put in /dev (when
// the config mounts no tmpfs there). Directories are left for the caller to
// fail on.
func removeNonDir(dirfd int, name string) {
	// rm -f $ROOTFS/dev/$NAME — ENOENT is the usual answer; a directory
	// stays, and the mknod or symlink after this fails naming it.
	_ = unix.Unlinkat(dirfd, name, 0)
}

// BindConsole binds the container's pty slave onto /dev/console, after
// pivot_root: programs that write to the console reach the terminal.
func BindConsole(slave string, tr *trace.Tracer) error {
	// touch /dev/console
	f, err := os.OpenFile("/dev/console", os.O_CREATE|os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("make /dev/console: %w", err)
	}
	f.Close()
	// mount --bind /dev/pts/N /dev/console
	return mount(tr, mountCall{Step: "bind the console", Shell: "mount --bind " + slave + " /dev/console",
		Source: slave, Target: "/dev/console", Shown: "/dev/console", Flags: unix.MS_BIND})
}
