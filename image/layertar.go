// A layer's id, for a layer that kobako made itself (the built-in busybox,
// a commit) rather than unpacked from a tarball: the digest of the tarball
// that layer would be, as docker commit names its layers.
//
// Shell twin, roughly (GNU tar, with the OCI spelling of whiteouts):
//
//	tar -c --sort=name --xattrs -C $LAYER . | sha256sum
//
// — see the OCI image spec's layer.md, "Whiteouts". An overlay whiteout
// (a character device 0,0) is written as an empty file .wh.NAME, an opaque
// directory (trusted.overlay.opaque=y) as an entry DIR/.wh..wh..opq, and
// other xattrs (file capabilities) as PAX records, as import reads them
// back. Names are sorted, so the same tree always gives the same digest.
//
// The tree is walked as layers.go copies one: through handles, never
// following a symlink.
package image

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// layerDigest is the id of the layer tree dir: "sha256:" and the digest
// of it as a tar stream.
func layerDigest(dir string) (string, error) {
	parent, err := openDir(unix.AT_FDCWD, filepath.Dir(dir))
	if err != nil {
		return "", err
	}
	defer parent.Close()
	digest := sha256.New()
	w := &layerWriter{tw: tar.NewWriter(digest), links: map[[2]uint64]string{}}
	if err := w.entry(parent, filepath.Base(dir), "."); err != nil {
		return "", fmt.Errorf("digest of layer %s: %w", dir, err)
	}
	if err := w.tw.Close(); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(digest.Sum(nil)), nil
}

// layerWriter writes one layer as a tar stream.
type layerWriter struct {
	tw    *tar.Writer
	links map[[2]uint64]string // dev and inode of a multiply linked file → its first name
}

// entry writes srcName in dir as name, and what is below it.
func (w *layerWriter) entry(dir *os.File, srcName, name string) error {
	var st unix.Stat_t
	// stat NAME, the symlink itself and not what it points to
	if err := unix.Fstatat(int(dir.Fd()), srcName, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("stat %s: %w", name, err)
	}
	hdr := &tar.Header{
		Name: name, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()), Format: tar.FormatPAX,
	}
	xattrs, err := w.xattrs(dir, srcName)
	if err != nil {
		return fmt.Errorf("xattrs of %s: %w", name, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return w.dir(dir, srcName, hdr, xattrs)
	case unix.S_IFREG:
		return w.file(dir, srcName, hdr, &st, xattrs)
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		// readlink NAME
		n, err := unix.Readlinkat(int(dir.Fd()), srcName, buf)
		if err != nil {
			return fmt.Errorf("readlink %s: %w", name, err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, string(buf[:n])
	case unix.S_IFCHR:
		if st.Rdev == 0 {
			// a whiteout: .wh.NAME, an empty file
			return w.tw.WriteHeader(&tar.Header{Name: path.Join(path.Dir(name), whiteoutPrefix+path.Base(name)),
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
	hdr.PAXRecords = xattrs
	return w.tw.WriteHeader(hdr)
}

// dir writes a directory, its opaque marker, and its entries by name.
func (w *layerWriter) dir(parent *os.File, srcName string, hdr *tar.Header, xattrs map[string]string) error {
	opaque := xattrs != nil && xattrs[paxXattr+opaqueXattr] == "y"
	delete(xattrs, paxXattr+opaqueXattr)
	hdr.Typeflag, hdr.PAXRecords = tar.TypeDir, xattrs
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if opaque {
		// DIR/.wh..wh..opq: hide everything below, from the layers under this one
		marker := &tar.Header{Name: path.Join(hdr.Name, opaqueMarker), Typeflag: tar.TypeReg, ModTime: hdr.ModTime, Format: tar.FormatPAX}
		if err := w.tw.WriteHeader(marker); err != nil {
			return err
		}
	}
	d, err := openDir(int(parent.Fd()), srcName)
	if err != nil {
		return err
	}
	defer d.Close()
	// ls NAME
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("list %s: %w", hdr.Name, err)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := w.entry(d, n, path.Join(hdr.Name, n)); err != nil {
			return err
		}
	}
	return nil
}

// file writes a regular file, or a hard link to its first name.
func (w *layerWriter) file(dir *os.File, srcName string, hdr *tar.Header, st *unix.Stat_t, xattrs map[string]string) error {
	if st.Nlink > 1 {
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := w.links[key]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeLink, first, 0
			return w.tw.WriteHeader(hdr)
		}
		w.links[key] = hdr.Name
	}
	// cat NAME, never through a symlink
	fd, err := unix.Openat(int(dir.Fd()), srcName, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", hdr.Name, err)
	}
	f := os.NewFile(uintptr(fd), srcName)
	defer f.Close()
	hdr.Typeflag, hdr.Size, hdr.PAXRecords = tar.TypeReg, st.Size, xattrs
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := f.WriteTo(w.tw); err != nil {
		return fmt.Errorf("read %s: %w", hdr.Name, err)
	}
	return nil
}

// paxXattr is how PAX tar (GNU tar, docker, import) spells an xattr.
const paxXattr = "SCHILY.xattr."

// xattrs are the entry's xattrs as PAX records, but overlayfs's own other
// than opaque (see keepXattr); nil if it has none.
func (w *layerWriter) xattrs(dir *os.File, srcName string) (map[string]string, error) {
	p := fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), srcName)
	names, err := listXattrs(p)
	if err != nil {
		return nil, err
	}
	var records map[string]string
	for _, name := range names {
		if !keepXattr(name) || name == "trusted.overlay.redirect" {
			continue
		}
		value, err := getXattr(p, name)
		if err != nil {
			return nil, err
		}
		if records == nil {
			records = map[string]string{}
		}
		records[paxXattr+name] = string(value)
	}
	return records, nil
}
