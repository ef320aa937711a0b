// Copying an overlay layer: a container's upper dir, exactly, into a new
// layer of the store — and, in the same walk, the layer's id.
//
// Shell twin:
//
//	cp -a --preserve=all $CONTAINER/upper $TMP/layer
//	tar -c --sort=name --xattrs -C $TMP/layer . | sha256sum     # its id
//
// — see cp(1), openat(2), mknodat(2), linkat(2), lsetxattr(2), and the OCI
// image spec's layer.md, "Whiteouts".
//
// A layer is more than its files: a whiteout is a character device 0,0, an
// opaque directory is a trusted.overlay.opaque=y xattr, and a file may
// carry capabilities (security.capability) or have hard links. All of it
// is copied: owners, modes, times, xattrs, device nodes, FIFOs, symlinks
// as symlinks, hard links as hard links.
//
// The id is the digest of the tarball the copy would be, as docker commit
// names its layers: a whiteout is written as an empty file .wh.NAME, an
// opaque directory as an entry DIR/.wh..wh..opq, other xattrs as PAX
// records, as import reads them back. Names are sorted, so the same layer
// always gives the same id. The copy and the tar stream are made from one
// read of each file.
//
// The upper dir is the container's data, so it is hostile, as diff treats
// it (container/diff.go): every entry is looked at with
// fstatat(AT_SYMLINK_NOFOLLOW) relative to an open directory and entered
// with openat(O_NOFOLLOW), so a planted symlink is copied, never followed.
package image

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
)

// paxXattr is how PAX tar (GNU tar, docker, import) spells an xattr.
const paxXattr = "SCHILY.xattr."

// layerCopy is one copy under way.
type layerCopy struct {
	top     *os.File             // the directory the new layer is made in, which hard links are made relative to
	topName string               // the new layer's name in top
	links   map[[2]uint64]string // dev and inode of a multiply linked file → the tar name of its copy
	owner   func(uid, gid uint32) (uint32, uint32, error)
	size    int64       // bytes of regular files copied
	tw      *tar.Writer // the copy as a tar stream, into its digest
}

// copyLayer copies the directory src to dst, which must not exist, and
// returns the bytes of regular files it copied and the new layer's id:
// "sha256:" and the digest of it as a tar stream. owner gives the owner a
// copy gets for the source's.
func copyLayer(src, dst string, owner func(uid, gid uint32) (uint32, uint32, error)) (int64, string, error) {
	srcParent, err := openDir(unix.AT_FDCWD, filepath.Dir(src))
	if err != nil {
		return 0, "", err
	}
	defer srcParent.Close()
	top, err := openDir(unix.AT_FDCWD, filepath.Dir(dst))
	if err != nil {
		return 0, "", err
	}
	defer top.Close()
	digest := sha256.New()
	c := &layerCopy{top: top, topName: filepath.Base(dst), links: map[[2]uint64]string{}, owner: owner, tw: tar.NewWriter(digest)}
	if err := c.entry(srcParent, top, filepath.Base(src), c.topName, "."); err != nil {
		return 0, "", err
	}
	if err := c.tw.Close(); err != nil {
		return 0, "", err
	}
	return c.size, "sha256:" + hex.EncodeToString(digest.Sum(nil)), nil
}

// openDir opens the directory name under dir, never through a symlink.
func openDir(dir int, name string) (*os.File, error) {
	f, err := fileutil.OpenDirAt(dir, name)
	if err != nil {
		return nil, fmt.Errorf("open directory %s: %w", name, err)
	}
	return f, nil
}

// entry copies srcName in srcDir to dstName in dstDir, and writes it to
// the tar stream as name ("." for the top, "a/b" below it).
func (c *layerCopy) entry(srcDir, dstDir *os.File, srcName, dstName, name string) error {
	var st unix.Stat_t
	// stat -L is never right here: a symlink is an entry of its own
	if err := unix.Fstatat(int(srcDir.Fd()), srcName, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("stat %s: %w", name, err)
	}
	uid, gid, err := c.owner(st.Uid, st.Gid)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	xattrs, err := readXattrs(srcDir, srcName)
	if err != nil {
		return fmt.Errorf("xattrs of %s: %w", name, err)
	}
	hdr := &tar.Header{
		Name: name, Mode: int64(st.Mode & 0o7777), Uid: int(uid), Gid: int(gid),
		ModTime: time.Unix(st.Mtim.Unix()), Format: tar.FormatPAX,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		err = c.dir(srcDir, dstDir, srcName, dstName, hdr, xattrs)
	case unix.S_IFREG:
		var linked bool
		if linked, err = c.link(dstDir, dstName, hdr, &st); linked || err != nil {
			return err // a hard link shares the attributes of the file it links to
		}
		err = c.file(srcDir, dstDir, srcName, dstName, hdr, st.Size, xattrs)
	case unix.S_IFLNK:
		err = c.symlink(srcDir, dstDir, srcName, dstName, hdr, &st, xattrs)
	default:
		err = c.node(dstDir, dstName, hdr, &st, xattrs)
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", name, err)
	}
	return c.attrs(dstDir, dstName, name, &st, uid, gid, xattrs)
}

// dir copies a directory and everything in it, by name.
func (c *layerCopy) dir(srcDir, dstDir *os.File, srcName, dstName string, hdr *tar.Header, xattrs map[string][]byte) error {
	// mkdir NAME — 0700 until attrs gives it its own mode, after its
	// entries: a 0555 directory would refuse them
	if err := unix.Mkdirat(int(dstDir.Fd()), dstName, 0o700); err != nil {
		return err
	}
	hdr.PAXRecords = paxRecords(xattrs)
	if err := writeDirHeader(c.tw, hdr, xattrs); err != nil {
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
	// ls NAME
	names, err := from.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("list %s: %w", hdr.Name, err)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := c.entry(from, to, n, n, path.Join(hdr.Name, n)); err != nil {
			return err
		}
	}
	return nil
}

// link makes dstName a hard link of an earlier copy of the same file, if
// the source has other links and one of them was copied already.
func (c *layerCopy) link(dstDir *os.File, dstName string, hdr *tar.Header, st *unix.Stat_t) (bool, error) {
	if st.Nlink < 2 {
		return false, nil
	}
	key := [2]uint64{st.Dev, st.Ino}
	first, ok := c.links[key]
	if !ok {
		c.links[key] = hdr.Name
		return false, nil
	}
	// ln FIRST NAME
	if err := unix.Linkat(int(c.top.Fd()), filepath.Join(c.topName, first), int(dstDir.Fd()), dstName, 0); err != nil {
		return false, fmt.Errorf("link %s to %s: %w", hdr.Name, first, err)
	}
	hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeLink, first, 0
	return true, c.tw.WriteHeader(hdr)
}

// file copies a regular file's content, into the copy and the tar stream
// from one read.
func (c *layerCopy) file(srcDir, dstDir *os.File, srcName, dstName string, hdr *tar.Header, size int64, xattrs map[string][]byte) error {
	// cat NAME, never through a symlink
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
	hdr.Typeflag, hdr.Size, hdr.PAXRecords = tar.TypeReg, size, paxRecords(xattrs)
	if err := c.tw.WriteHeader(hdr); err != nil {
		return err
	}
	// cat NAME > COPY, and into the tar stream
	n, err := io.Copy(io.MultiWriter(to, c.tw), from)
	c.size += n
	if err != nil {
		return err
	}
	return to.Close()
}

// symlink is ln -s $(readlink SRC) DST.
func (c *layerCopy) symlink(srcDir, dstDir *os.File, srcName, dstName string, hdr *tar.Header, st *unix.Stat_t, xattrs map[string][]byte) error {
	buf := make([]byte, unix.PathMax)
	// readlink NAME
	n, err := unix.Readlinkat(int(srcDir.Fd()), srcName, buf)
	if err != nil {
		return err
	}
	if err := unix.Symlinkat(string(buf[:n]), int(dstDir.Fd()), dstName); err != nil {
		return err
	}
	hdr.Typeflag, hdr.Linkname, hdr.PAXRecords = tar.TypeSymlink, string(buf[:n]), paxRecords(xattrs)
	hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	return c.tw.WriteHeader(hdr)
}

// node copies a whiteout, or a device, a FIFO, a socket the container made.
func (c *layerCopy) node(dstDir *os.File, dstName string, hdr *tar.Header, st *unix.Stat_t, xattrs map[string][]byte) error {
	// mknod NAME c 0 0 — a whiteout; or a device, a FIFO, a socket the
	// container made: one call makes any of them from its mode and rdev
	if err := unix.Mknodat(int(dstDir.Fd()), dstName, st.Mode, int(st.Rdev)); err != nil {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		if st.Rdev == 0 {
			// a whiteout: .wh.NAME, an empty file
			return c.tw.WriteHeader(&tar.Header{Name: path.Join(path.Dir(hdr.Name), whiteoutPrefix+path.Base(hdr.Name)),
				Typeflag: tar.TypeReg, ModTime: hdr.ModTime, Format: tar.FormatPAX})
		}
		hdr.Typeflag = tar.TypeChar
	case unix.S_IFBLK:
		hdr.Typeflag = tar.TypeBlock
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		return nil // a socket: tar has no kind for it
	}
	hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	hdr.PAXRecords = paxRecords(xattrs)
	return c.tw.WriteHeader(hdr)
}

// attrs gives the copy its owner, the source's mode, xattrs and times.
// The order matters: chown(2) clears the setuid bits and
// security.capability, so mode and xattrs come after it; and the times
// come last, because setting an xattr changes none of them but a
// directory's entries did.
func (c *layerCopy) attrs(dstDir *os.File, dstName, name string, st *unix.Stat_t, uid, gid uint32, xattrs map[string][]byte) error {
	dst := int(dstDir.Fd())
	// chown -h UID:GID NAME
	if err := unix.Fchownat(dst, dstName, int(uid), int(gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown %s: %w", name, err)
	}
	// chmod MODE NAME — a symlink has no mode of its own
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := unix.Fchmodat(dst, dstName, st.Mode&0o7777, 0); err != nil {
			return fmt.Errorf("chmod %s: %w", name, err)
		}
	}
	// setfattr -h -n KEY -v VALUE NAME, each; through the open
	// directory's /proc/self/fd link, so no other name is looked up again
	dstPath := fmt.Sprintf("/proc/self/fd/%d/%s", dstDir.Fd(), dstName)
	for _, key := range slices.Sorted(maps.Keys(xattrs)) {
		if err := unix.Lsetxattr(dstPath, key, xattrs[key], 0); err != nil {
			return fmt.Errorf("copy xattrs of %s: lsetxattr %s: %w", name, key, err)
		}
	}
	// touch -h -d MTIME NAME
	times := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(dst, dstName, times, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times of %s: %w", name, err)
	}
	return nil
}

// writeDirHeader writes a directory's entry, and the image spec's opaque
// marker after it when overlayfs marked the directory opaque.
func writeDirHeader(tw *tar.Writer, hdr *tar.Header, xattrs map[string][]byte) error {
	hdr.Typeflag = tar.TypeDir
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if string(xattrs[opaqueXattr]) == "y" {
		// DIR/.wh..wh..opq: hide everything below, from the layers under this one
		marker := &tar.Header{Name: path.Join(hdr.Name, opaqueMarker), Typeflag: tar.TypeReg, ModTime: hdr.ModTime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(marker); err != nil {
			return err
		}
	}
	return nil
}

// readXattrs is getfattr -h -d -m - NAME: the entry's xattrs that belong
// in a copy (keepXattr), for every kind of entry. The l*xattr calls take a
// path and do not follow its last name; the path goes through the open
// directory's /proc/self/fd link, so no other name on the way is looked
// up again.
func readXattrs(dir *os.File, name string) (map[string][]byte, error) {
	p := fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), name)
	names, err := listXattrs(p)
	if err != nil {
		return nil, err
	}
	var xattrs map[string][]byte
	for _, key := range names {
		if !keepXattr(key) {
			continue
		}
		value, err := getXattr(p, key)
		if err != nil {
			return nil, err
		}
		if xattrs == nil {
			xattrs = map[string][]byte{}
		}
		xattrs[key] = value
	}
	return xattrs, nil
}

// paxRecords are the xattrs as the tar stream has them: overlayfs's own
// are not (opaque is a marker entry; redirect names a path of this upper
// dir's file system), the others are PAX records; nil if none is left.
func paxRecords(xattrs map[string][]byte) map[string]string {
	var records map[string]string
	for key, value := range xattrs {
		if strings.HasPrefix(key, "trusted.overlay.") {
			continue
		}
		if records == nil {
			records = map[string]string{}
		}
		records[paxXattr+key] = string(value)
	}
	return records
}

// keepXattr says whether an xattr belongs in the copy. Of overlayfs's own
// (trusted.overlay.*), opaque and redirect say how the layer merges with
// the ones below, which are the same in the image; the others (origin,
// impure, nlink …) describe inodes of the upper dir's file system, and
// overlayfs makes them again where it needs them.
func keepXattr(name string) bool {
	switch name {
	case opaqueXattr, "trusted.overlay.redirect":
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
