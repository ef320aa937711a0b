package rootfs

// The container's /dev. The article binds the host's /dev/null, tty and
// ptmx into the rootfs one by one; a runtime mounts a fresh tmpfs on /dev
// (see the config's mounts) and makes in it exactly the devices a program
// expects and no others: the host's disks are simply not there.
//
//	mknod -m 666 $ROOTFS/dev/null c 1 3   … and so on
//	ln -s pts/ptmx $ROOTFS/dev/ptmx
//	ln -s /proc/self/fd $ROOTFS/dev/fd

import (
	"fmt"
	"os"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// defaultDevices are the OCI spec's default devices, with their numbers
// from the kernel's Documentation/admin-guide/devices.txt.
var defaultDevices = []struct {
	name         string
	major, minor uint32
}{
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
}

// defaultLinks are the symlinks programs expect in /dev.
var defaultLinks = []struct{ name, target string }{
	{"ptmx", "pts/ptmx"}, // the container's own devpts, not the host's
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
}

func makeDev(root *os.File, tr *trace.Tracer) error {
	dev, err := pathrs.MkdirAllHandle(root, "/dev", 0o755)
	if err != nil {
		return fmt.Errorf("open /dev in rootfs: %w", err)
	}
	defer dev.Close()
	dirfd := int(dev.Fd())
	for _, d := range defaultDevices {
		if err := mknodDevice(dirfd, d.name, d.major, d.minor, tr); err != nil {
			return err
		}
	}
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

func mknodDevice(dirfd int, name string, major, minor uint32, tr *trace.Tracer) error {
	removeNonDir(dirfd, name)
	// mknod $ROOTFS/dev/$NAME c $MAJOR $MINOR
	err := unix.Mknodat(dirfd, name, unix.S_IFCHR|0o666, int(unix.Mkdev(major, minor)))
	if tr.Enabled() {
		tr.Step("make /dev/"+name, fmt.Sprintf("mknod -m 666 $ROOTFS/dev/%s c %d %d", name, major, minor),
			fmt.Sprintf("unix.Mknodat(dev, %q, unix.S_IFCHR|0o666, unix.Mkdev(%d, %d))", name, major, minor), err)
	}
	if err != nil {
		return fmt.Errorf("mknod /dev/%s: %w", name, err)
	}
	// chmod 666: mknod's mode passed through the umask.
	if err := unix.Fchmodat(dirfd, name, 0o666, 0); err != nil {
		return fmt.Errorf("chmod /dev/%s: %w", name, err)
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
	return mount(tr, "bind the console", "mount --bind "+slave+" /dev/console", slave, "/dev/console", "/dev/console", "", unix.MS_BIND, "")
}
