package container

// The copy itself for `kobako cp`: a tar stream written from the source
// handle and unpacked by unpack.Tar at the destination (see cp.go).

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/rootfs/unpack"
)

// copyTree copies src's file or tree to where dst says.
func copyTree(src, dst end, tr *trace.Tracer) (CopyResult, error) {
	h, r, err := src.openSource()
	if err != nil {
		return CopyResult{}, err
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return CopyResult{}, fmt.Errorf("stat %s: %w", src.path, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR, unix.S_IFBLK, unix.S_IFSOCK:
		return CopyResult{}, src.errorf("cp copies no device nodes or sockets")
	}
	srcDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	name := filepath.Base(r.clean)
	if srcDir && r.contents {
		name = "."
	}
	p, err := dst.placeFor(srcDir, name)
	if err != nil {
		return CopyResult{}, err
	}
	defer p.dir.Close()
	if err := dst.checkOverwrite(p, srcDir); err != nil {
		return CopyResult{}, err
	}
	tr.Note("copy "+src.path+" to "+p.shown, "tar -c -C $SRCDIR "+filepath.Base(r.clean)+" | tar -x -C $DESTDIR")
	return stream(h, p, tr)
}

// errStopped tells the tar writer that the reader has given up.
var errStopped = errors.New("extraction stopped")

// stream is tar -c | tar -x in one process: the tree behind h is written
// as a tar stream into a pipe, and unpack.Tar reads it into p.
func stream(h *os.File, p place, tr *trace.Tracer) (CopyResult, error) {
	pr, pw := io.Pipe()
	a := &archiver{tw: tar.NewWriter(pw), links: map[[2]uint64]string{}}
	done := make(chan error, 1)
	go func() {
		err := a.write(h, p.name)
		pw.CloseWithError(err) // nil: the reader sees EOF
		done <- err
	}()
	// Unpack takes a directory path: /proc/self/fd/N names exactly the
	// handle resolved above, not a path to be resolved again.
	_, err := unpack.Tar(pr, fmt.Sprintf("/proc/self/fd/%d", p.dir.Fd()), unpack.Limits{}, tr)
	pr.CloseWithError(errStopped) // unblocks the writer if Unpack stopped early
	// A failure on the reading side shows in Unpack as a broken stream:
	// the writer's own error says what happened.
	if werr := <-done; werr != nil && !errors.Is(werr, errStopped) {
		return CopyResult{}, werr
	}
	if err != nil {
		return CopyResult{}, fmt.Errorf("copy to %s: %w", p.shown, err)
	}
	return CopyResult{Skipped: a.skipped}, nil
}

// archiver writes a tree as a tar stream, reading it through handles only.
type archiver struct {
	tw      *tar.Writer
	dev     uint64               // the top's file system: mounts below are not entered
	links   map[[2]uint64]string // first name of each file with several links
	skipped []string
	// emptyMounts writes a file mounted over the tree (the /etc/hosts
	// kobako binds into a running container) without its data: export
	// shows the container's own files, as docker export does; cp copies
	// what the container sees.
	emptyMounts bool
}

func (a *archiver) write(h *os.File, name string) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return fmt.Errorf("stat %s: %w", h.Name(), err)
	}
	a.dev = st.Dev
	if err := a.add(h, name, &st); err != nil {
		return err
	}
	return a.tw.Close()
}

// add writes the inode behind h, an O_PATH handle, under name, and the
// tree below it if it is a directory.
func (a *archiver) add(h *os.File, name string, st *unix.Stat_t) error {
	hdr := &tar.Header{
		Name: name, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()), AccessTime: time.Unix(st.Atim.Unix()), Format: tar.FormatPAX,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return a.addDir(h, hdr, st)
	case unix.S_IFREG:
		return a.addFile(h, hdr, st)
	case unix.S_IFLNK:
		// readlink on the handle of the link itself ("" = this descriptor)
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(int(h.Fd()), "", buf)
		if err != nil {
			return fmt.Errorf("readlink %s: %w", name, err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, string(buf[:n])
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		a.skipped = append(a.skipped, name)
		return nil
	}
	return a.tw.WriteHeader(hdr)
}

// addDir writes a directory, then each entry in it, opened relative to it
// without following a symlink.
func (a *archiver) addDir(h *os.File, hdr *tar.Header, st *unix.Stat_t) error {
	hdr.Typeflag = tar.TypeDir
	if err := a.tw.WriteHeader(hdr); err != nil {
		return err
	}
	// Another file system mounted here (a running container's /proc, /sys,
	// /dev): kept as an empty directory, as tar --one-file-system does.
	if st.Dev != a.dev {
		return nil
	}
	dir, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", hdr.Name, err)
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read directory %s: %w", hdr.Name, err)
	}
	slices.Sort(names)
	for _, n := range names {
		fd, err := unix.Openat(int(dir.Fd()), n, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			continue // removed since the listing (a running container)
		}
		if err != nil {
			return fmt.Errorf("open %s/%s: %w", hdr.Name, n, err)
		}
		child := os.NewFile(uintptr(fd), n)
		var cst unix.Stat_t
		if err = unix.Fstat(fd, &cst); err == nil {
			err = a.add(child, path.Join(hdr.Name, n), &cst)
		}
		child.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// addFile writes a regular file: its data, or a hard link to the name
// under which the same inode was written already (or, with emptyMounts, no
// data for a file mounted over the tree).
func (a *archiver) addFile(h *os.File, hdr *tar.Header, st *unix.Stat_t) error {
	if a.emptyMounts {
		mounted, err := isMountRoot(h)
		if err != nil {
			return err
		}
		if mounted {
			hdr.Typeflag = tar.TypeReg
			return a.tw.WriteHeader(hdr)
		}
	}
	if st.Nlink > 1 {
		id := [2]uint64{st.Dev, st.Ino}
		if first, ok := a.links[id]; ok {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			return a.tw.WriteHeader(hdr)
		}
		a.links[id] = hdr.Name
	}
	// The same inode, now readable: a reopen of the handle, not a lookup.
	f, err := pathrs.Reopen(h, unix.O_RDONLY)
	if err != nil {
		return fmt.Errorf("open %s: %w", hdr.Name, err)
	}
	defer f.Close()
	if hdr.PAXRecords, err = fileCapability(f, hdr.Name); err != nil {
		return err
	}
	hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	if err := a.tw.WriteHeader(hdr); err != nil {
		return err
	}
	// A file that grows meanwhile is cut at the size it had; one that
	// shrinks cannot fill its tar entry.
	if n, err := io.CopyN(a.tw, f, st.Size); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s shrank while being copied (%d of %d bytes)", hdr.Name, n, st.Size)
		}
		return fmt.Errorf("copy %s: %w", hdr.Name, err)
	}
	return nil
}

// fileCapability is getfattr -n security.capability FILE: the capabilities
// setcap gave a program (ping's cap_net_raw), as a pax record, the one
// extended attribute docker's tar streams keep.
func fileCapability(f *os.File, name string) (map[string]string, error) {
	value := make([]byte, 64) // struct vfs_ns_cap_data is 24 bytes
	n, err := unix.Fgetxattr(int(f.Fd()), "security.capability", value)
	switch {
	case errors.Is(err, unix.ENODATA) || errors.Is(err, unix.ENOTSUP):
		return nil, nil // none, or a file system without xattrs
	case err != nil:
		return nil, fmt.Errorf("getfattr -n security.capability %s: %w", name, err)
	}
	return map[string]string{"SCHILY.xattr.security.capability": string(value[:n])}, nil
}
