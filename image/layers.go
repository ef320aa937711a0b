// Copying an overlay layer: a container's upper dir, exactly, into a new
// image's layer/.
//
// Shell twin: cp -a --preserve=all $CONTAINER/upper $IMAGE/layer — see
// cp(1), openat(2), mknodat(2), linkat(2), lsetxattr(2).
//
// A layer is more than its files: a whiteout is a character device 0,0, an
// opaque directory is a trusted.overlay.opaque=y xattr, and a file may
// carry capabilities (security.capability) or have hard links. All of it
// is copied: owners, modes, times, xattrs, device nodes, FIFOs, symlinks
// as symlinks, hard links as hard links.
//
// The upper dir is the container's data, so it is hostile, as diff treats
// it (container/diff.go): every entry is looked at with
// fstatat(AT_SYMLINK_NOFOLLOW) relative to an open directory and entered
// with openat(O_NOFOLLOW), so a planted symlink is copied, never followed.
package image

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// layerCopy is one copy under way.
type layerCopy struct {
	top   *os.File             // the directory the new layer is made in, which hard links are made relative to
	links map[[2]uint64]string // dev and inode of a multiply linked file → its copy, relative to top
	owner func(uid, gid uint32) (uint32, uint32, error)
	size  int64 // bytes of regular files copied
}

// copyLayer copies the directory src to dst, which must not exist, and
// returns the bytes of regular files it copied. owner gives the owner a
// copy gets for the source's.
func copyLayer(src, dst string, owner func(uid, gid uint32) (uint32, uint32, error)) (int64, error) {
	srcParent, err := openDir(unix.AT_FDCWD, filepath.Dir(src))
	if err != nil {
		return 0, err
	}
	defer srcParent.Close()
	top, err := openDir(unix.AT_FDCWD, filepath.Dir(dst))
	if err != nil {
		return 0, err
	}
	defer top.Close()
	c := &layerCopy{top: top, links: map[[2]uint64]string{}, owner: owner}
	err = c.entry(srcParent, top, filepath.Base(src), filepath.Base(dst), filepath.Base(dst))
	return c.size, err
}

// openDir opens the directory name under dir, never through a symlink.
func openDir(dir int, name string) (*os.File, error) {
	fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open directory %s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// entry copies srcName in srcDir to dstName in dstDir; rel is the copy's
// path relative to c.top.
func (c *layerCopy) entry(srcDir, dstDir *os.File, srcName, dstName, rel string) error {
	var st unix.Stat_t
	// stat -L is never right here: a symlink is an entry of its own
	if err := unix.Fstatat(int(srcDir.Fd()), srcName, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("stat %s: %w", rel, err)
	}
	var err error
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		err = c.dir(srcDir, dstDir, srcName, dstName, rel)
	case unix.S_IFREG:
		var linked bool
		if linked, err = c.link(dstDir, dstName, rel, &st); linked || err != nil {
			return err // a hard link shares the attributes of the file it links to
		}
		err = c.file(srcDir, dstDir, srcName, dstName)
		c.size += st.Size
	case unix.S_IFLNK:
		err = copySymlink(srcDir, dstDir, srcName, dstName)
	default:
		// mknod NAME c 0 0 — a whiteout; or a device, a FIFO, a socket the
		// container made: one call makes any of them from its mode and rdev
		err = unix.Mknodat(int(dstDir.Fd()), dstName, st.Mode, int(st.Rdev))
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", rel, err)
	}
	return c.attrs(srcDir, dstDir, srcName, dstName, rel, &st)
}

// dir copies a directory and everything in it.
func (c *layerCopy) dir(srcDir, dstDir *os.File, srcName, dstName, rel string) error {
	// mkdir NAME — 0700 until attrs gives it its own mode, after its
	// entries: a 0555 directory would refuse them
	if err := unix.Mkdirat(int(dstDir.Fd()), dstName, 0o700); err != nil {
		return err
	}
	from, err := openDir(int(srcDir.Fd()), srcName)
	if err != nil {
		return err
	}
	defer from.Close()
	to, err := openDir(int(dstDir.Fd()), dstName)
	if err != nil {
		return err
	}
	defer to.Close()
	names, err := from.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("list %s: %w", rel, err)
	}
	for _, name := range names {
		if err := c.entry(from, to, name, name, rel+"/"+name); err != nil {
			return err
		}
	}
	return nil
}

// link makes dstName a hard link of an earlier copy of the same file, if
// the source has other links and one of them was copied already.
func (c *layerCopy) link(dstDir *os.File, dstName, rel string, st *unix.Stat_t) (bool, error) {
	if st.Nlink < 2 {
		return false, nil
	}
	key := [2]uint64{st.Dev, st.Ino}
	first, ok := c.links[key]
	if !ok {
		c.links[key] = rel
		return false, nil
	}
	// ln FIRST NAME
	if err := unix.Linkat(int(c.top.Fd()), first, int(dstDir.Fd()), dstName, 0); err != nil {
		return false, fmt.Errorf("link %s to %s: %w", rel, first, err)
	}
	return true, nil
}

// file copies a regular file's content.
func (c *layerCopy) file(srcDir, dstDir *os.File, srcName, dstName string) error {
	fd, err := unix.Openat(int(srcDir.Fd()), srcName, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	from := os.NewFile(uintptr(fd), srcName)
	defer from.Close()
	fd, err = unix.Openat(int(dstDir.Fd()), dstName, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	to := os.NewFile(uintptr(fd), dstName)
	defer to.Close()
	if _, err := io.Copy(to, from); err != nil {
		return err
	}
	return to.Close()
}

// copySymlink is ln -s $(readlink SRC) DST.
func copySymlink(srcDir, dstDir *os.File, srcName, dstName string) error {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(int(srcDir.Fd()), srcName, buf)
	if err != nil {
		return err
	}
	return unix.Symlinkat(string(buf[:n]), int(dstDir.Fd()), dstName)
}

// attrs gives the copy the source's owner, mode, xattrs and times. The
// order matters: chown(2) clears the setuid bits and security.capability,
// so mode and xattrs come after it; and the times come last, because
// setting an xattr changes none of them but a directory's entries did.
func (c *layerCopy) attrs(srcDir, dstDir *os.File, srcName, dstName, rel string, st *unix.Stat_t) error {
	dst := int(dstDir.Fd())
	uid, gid, err := c.owner(st.Uid, st.Gid)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	// chown -h UID:GID NAME
	if err := unix.Fchownat(dst, dstName, int(uid), int(gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown %s: %w", rel, err)
	}
	// chmod MODE NAME — a symlink has no mode of its own
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := unix.Fchmodat(dst, dstName, st.Mode&0o7777, 0); err != nil {
			return fmt.Errorf("chmod %s: %w", rel, err)
		}
	}
	if err := copyXattrs(srcDir, dstDir, srcName, dstName); err != nil {
		return fmt.Errorf("copy xattrs of %s: %w", rel, err)
	}
	// touch -h -d MTIME NAME
	times := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(dst, dstName, times, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times of %s: %w", rel, err)
	}
	return nil
}

// copyXattrs is getfattr -h -d -m - SRC | setfattr -h --restore=-, for
// every kind of entry. The l*xattr calls take a path and do not follow its
// last name; the path goes through the open directory's /proc/self/fd
// link, so no other name on the way is looked up again.
func copyXattrs(srcDir, dstDir *os.File, srcName, dstName string) error {
	src := fmt.Sprintf("/proc/self/fd/%d/%s", srcDir.Fd(), srcName)
	dst := fmt.Sprintf("/proc/self/fd/%d/%s", dstDir.Fd(), dstName)
	names, err := listXattrs(src)
	if err != nil {
		return err
	}
	for _, name := range names {
		if !keepXattr(name) {
			continue
		}
		value, err := getXattr(src, name)
		if err != nil {
			return err
		}
		if err := unix.Lsetxattr(dst, name, value, 0); err != nil {
			return fmt.Errorf("lsetxattr %s: %w", name, err)
		}
	}
	return nil
}

// keepXattr says whether an xattr belongs in the copy. Of overlayfs's own
// (trusted.overlay.*), opaque and redirect say how the layer merges with
// the ones below, which are the same in the image; the others (origin,
// impure, nlink …) describe inodes of the upper dir's file system, and
// overlayfs makes them again where it needs them.
func keepXattr(name string) bool {
	switch name {
	case "trusted.overlay.opaque", "trusted.overlay.redirect":
		return true
	}
	return !strings.HasPrefix(name, "trusted.overlay.")
}

// listXattrs is llistxattr(2), with a buffer as large as it needs.
func listXattrs(path string) ([]string, error) {
	for {
		size, err := unix.Llistxattr(path, nil)
		if err != nil || size == 0 {
			return nil, ignoreUnsupported(err, "llistxattr")
		}
		buf := make([]byte, size)
		n, err := unix.Llistxattr(path, buf)
		if errors.Is(err, unix.ERANGE) {
			continue // one was added meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("llistxattr: %w", err)
		}
		return strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00"), nil
	}
}

// getXattr is lgetxattr(2), with a buffer as large as it needs.
func getXattr(path, name string) ([]byte, error) {
	for {
		size, err := unix.Lgetxattr(path, name, nil)
		if err != nil {
			return nil, fmt.Errorf("lgetxattr %s: %w", name, err)
		}
		buf := make([]byte, size)
		n, err := unix.Lgetxattr(path, name, buf)
		if errors.Is(err, unix.ERANGE) {
			continue // it grew meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("lgetxattr %s: %w", name, err)
		}
		return buf[:n], nil
	}
}

// ignoreUnsupported: a file system without xattrs has none to copy.
func ignoreUnsupported(err error, call string) error {
	if err == nil || errors.Is(err, unix.ENOTSUP) {
		return nil
	}
	return fmt.Errorf("%s: %w", call, err)
}
