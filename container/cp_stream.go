package container

// `kobako cp CTR:PATH -` and `kobako cp - CTR:PATH`: the tar stream of
// cp.go, without the other half on the host. Out of the container it goes
// to stdout, for whatever reads it; into the container it comes from stdin
// and is unpacked by unpack.Tar, the extractor that imports hostile
// images, rooted at a directory handle resolved inside the container —
// the stream may come from anyone, and no name in it ("../x", "/etc",
// a symlink and then a file through it) lands outside that directory.
//
// Shell twin: tar -c -C /proc/$PID/root$DIR NAME > out.tar;
// tar -x -C /proc/$PID/root$DIR < in.tar — but resolved as cp.go says.

import (
	"archive/tar"
	"fmt"
	"io"
	"path/filepath"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/rootfs/unpack"
)

// CopyOut writes path in c (a file, a symlink or a tree) to w as a tar
// stream, under its own name (or, for "DIR/.", its contents under ".").
func (s *Store) CopyOut(c *Container, path string, w io.Writer) (CopyResult, error) {
	s.narrate(c)
	root, release, err := s.openRoot(c, false)
	if err != nil {
		return CopyResult{}, err
	}
	defer release()
	src := end{root: root, path: path, where: "container " + c.Name}
	h, r, err := src.openSource()
	if err != nil {
		return CopyResult{}, err
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return CopyResult{}, fmt.Errorf("stat %s: %w", path, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR, unix.S_IFBLK, unix.S_IFSOCK:
		return CopyResult{}, src.errorf("cp copies no device nodes or sockets")
	}
	name := filepath.Base(r.clean)
	if st.Mode&unix.S_IFMT == unix.S_IFDIR && r.contents {
		name = "."
	}
	s.tracer.Note("write "+path+" as a tar stream", "tar -c -C $DIR "+name)
	a := &archiver{tw: tar.NewWriter(w), links: map[[2]uint64]string{}}
	if err := a.write(h, name); err != nil {
		return CopyResult{}, fmt.Errorf("write the tar stream of %s: %w", path, err)
	}
	return CopyResult{Skipped: a.skipped}, nil
}

// CopyIn unpacks the tar stream r into the directory path in c, as docker
// cp - does: the directory must exist.
func (s *Store) CopyIn(r io.Reader, c *Container, path string) (CopyResult, error) {
	s.narrate(c)
	root, release, err := s.openRoot(c, true)
	if err != nil {
		return CopyResult{}, err
	}
	defer release()
	// Symlinks followed, inside the root: a link to a directory is that
	// directory, wherever in the container it points.
	dir, err := pathrs.OpenatInRoot(root, parseRef(path).clean)
	if err != nil {
		return CopyResult{}, fmt.Errorf("no directory %s in container %s: cp - unpacks into a directory that exists", path, c.Name)
	}
	defer dir.Close()
	if !isDir(dir) {
		return CopyResult{}, fmt.Errorf("%s in container %s is not a directory: cp - unpacks into a directory", path, c.Name)
	}
	s.tracer.Note("unpack a tar stream from stdin into "+path, "tar -x -C $DIR")
	// /proc/self/fd/N names exactly the handle resolved above.
	res, err := unpack.Tar(r, fmt.Sprintf("/proc/self/fd/%d", dir.Fd()), unpack.DefaultLimits(), s.tracer)
	if err != nil {
		return CopyResult{}, fmt.Errorf("unpack into %s in container %s: %w", path, c.Name, err)
	}
	return CopyResult{Skipped: res.Skipped}, nil
}
