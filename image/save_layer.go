package image

// One layer of the store as a tarball again, for `kobako save`: the
// layer.tar a docker save archive holds, which import unpacks.
//
// Shell twin:
//
//	tar -c --sort=name --xattrs -C $LAYERS/$id . > $ARCHIVE/$id/layer.tar
//
// with overlayfs's whiteouts written back as the image spec's (layer.md,
// "Whiteouts"): a character device 0,0 becomes an empty .wh.NAME, an
// opaque directory an entry DIR/.wh..wh..opq. The entries are the ones
// commit's copy writes into its digest (layers.go), in the same order, so
// a committed layer saves to the tarball its id is the digest of.

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// layerTar writes the layer directory dir to tw.
type layerTar struct {
	tw    *tar.Writer
	links map[[2]uint64]string // dev and inode of a multiply linked file → its first name
}

// writeLayerTar writes the tree at dir as a layer tarball to w.
func writeLayerTar(w io.Writer, dir string) error {
	parent, err := openDir(unix.AT_FDCWD, path.Dir(dir))
	if err != nil {
		return err
	}
	defer parent.Close()
	lt := &layerTar{tw: tar.NewWriter(w), links: map[[2]uint64]string{}}
	if err := lt.entry(parent, path.Base(dir), "."); err != nil {
		return err
	}
	return lt.tw.Close()
}

// entry writes name (in dir, called base there) and, for a directory,
// everything below it.
func (lt *layerTar) entry(dir *os.File, base, name string) error {
	var st unix.Stat_t
	// stat -L is never right here: a symlink is an entry of its own
	if err := unix.Fstatat(int(dir.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("stat %s: %w", name, err)
	}
	xattrs, err := readXattrs(dir, base)
	if err != nil {
		return fmt.Errorf("xattrs of %s: %w", name, err)
	}
	hdr := &tar.Header{
		Name: name, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()), Format: tar.FormatPAX, PAXRecords: paxRecords(xattrs),
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return lt.dir(dir, base, hdr, xattrs)
	case unix.S_IFREG:
		return lt.file(dir, base, hdr, &st)
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		// readlink NAME
		n, err := unix.Readlinkat(int(dir.Fd()), base, buf)
		if err != nil {
			return fmt.Errorf("readlink %s: %w", name, err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, string(buf[:n])
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFCHR:
		if st.Rdev == 0 {
			// an overlay whiteout: .wh.NAME, an empty file
			return lt.tw.WriteHeader(&tar.Header{Name: path.Join(path.Dir(name), whiteoutPrefix+path.Base(name)),
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
	if hdr.Typeflag == tar.TypeChar || hdr.Typeflag == tar.TypeBlock || hdr.Typeflag == tar.TypeFifo {
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	}
	return lt.tw.WriteHeader(hdr)
}

// dir writes a directory, its opaque marker, and its entries by name.
func (lt *layerTar) dir(parent *os.File, base string, hdr *tar.Header, xattrs map[string][]byte) error {
	if err := writeDirHeader(lt.tw, hdr, xattrs); err != nil {
		return err
	}
	d, err := openDir(int(parent.Fd()), base)
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
		if err := lt.entry(d, n, path.Join(hdr.Name, n)); err != nil {
			return err
		}
	}
	return nil
}

// file writes a regular file, or a hard link to one written before.
func (lt *layerTar) file(dir *os.File, base string, hdr *tar.Header, st *unix.Stat_t) error {
	if st.Nlink > 1 {
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := lt.links[key]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Mode, hdr.PAXRecords = tar.TypeLink, first, 0, nil
			return lt.tw.WriteHeader(hdr)
		}
		lt.links[key] = hdr.Name
	}
	// cat NAME, never through a symlink
	fd, err := unix.Openat(int(dir.Fd()), base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", hdr.Name, err)
	}
	f := os.NewFile(uintptr(fd), base)
	defer f.Close()
	hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	if err := lt.tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(lt.tw, f)
	return err
}
