package container

// `kobako cp`: files between the host and a container, both ways.
//
// Shell twin: tar -c -C $SRCDIR NAME | tar -x -C /proc/$PID/root$DESTDIR —
// see tar(1), openat2(2) RESOLVE_IN_ROOT, fsopen(2), fsmount(2).
//
// That shell line is CVE-2018-15664 (docker cp, security-tests.md B9): the
// host resolves "/proc/$PID/root/w/d" as a string, so a symlink the
// container plants, or swaps in at the right moment (w/d -> /), sends the
// host's tar into the host's own /. Docker first resolved the path "in
// scope", then handed the resulting string to the kernel, which resolved it
// again: the container won the race between the two. kobako never resolves
// a container path as a string:
//
//  1. Each side is a root *handle* and a path. The container's root is
//     opened once, O_PATH. Every path under it is resolved by pathrs-lite
//     (openat2 with RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS): the kernel walks
//     it once, relative to that handle, and "/", ".." and absolute symlink
//     targets stop at the container's root, as chroot would. Everything
//     afterwards works on the descriptor that walk returned (fstat, reopen
//     through /proc/self/fd, *at calls), so a rename racing with us can only
//     change which file *inside* the container we copy.
//  2. The source's last component is not followed — a symlink is copied as a
//     symlink — unless the path ends in "/" or "/." (docker's rule). Inside a
//     copied tree each entry is opened openat(dir, name, O_NOFOLLOW): a
//     symlink there is data, never a door.
//  3. The data moves as a tar stream written here and read by rootfs.Unpack,
//     the extractor that imports hostile images, rooted at the destination
//     directory handle. Writing into a container gets all of its checks, and
//     so does writing onto the host a tree the container provided.
//
// Where the container's root comes from:
//
//   - Running (or created): /proc/<pid>/root, the magic link that *is* the
//     init's root — the overlay with its /proc and /dev mounted, as the
//     container sees it. Opened from the host, no setns needed.
//   - Stopped: the overlay was mounted inside the container's mount
//     namespace and went with it. kobako mounts the same layers again as a
//     detached mount (fsopen, fsconfig, fsmount): a mount in no namespace's
//     tree, reachable only through the returned descriptor and gone when it
//     is closed — nothing to unmount, nothing left if kobako is killed. The
//     kernel's overlayfs handles whiteouts and opaque directories itself. A
//     read stacks the container's layer read-only on the image
//     (lowerdir=upper:image); a write mounts upper and work as the container
//     does, so new files land in its layer, copy-up and all, and are there
//     at the next `kobako start`.
import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/rootfs"
)

// CopyResult says what a copy left out.
type CopyResult struct {
	Skipped []string // device nodes and sockets: tar-like, cp makes none
}

// CopyFrom copies path in c (a file, a symlink or a directory tree) to
// hostPath on the host.
func (s *Store) CopyFrom(c *Container, path, hostPath string) (CopyResult, error) {
	return s.copy(c, false, path, hostPath)
}

// CopyTo copies hostPath on the host to path in c.
func (s *Store) CopyTo(hostPath string, c *Container, path string) (CopyResult, error) {
	return s.copy(c, true, path, hostPath)
}

func (s *Store) copy(c *Container, toContainer bool, ctrPath, hostPath string) (CopyResult, error) {
	if ctrPath == "" || hostPath == "" {
		return CopyResult{}, errors.New("cp: empty path")
	}
	hostPath, err := absolute(hostPath)
	if err != nil {
		return CopyResult{}, err
	}
	root, release, err := s.openRoot(c, toContainer)
	if err != nil {
		return CopyResult{}, err
	}
	defer release()
	// The host's side is resolved the same way, in the host's own "/".
	hostRoot, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return CopyResult{}, fmt.Errorf("open /: %w", err)
	}
	defer hostRoot.Close()
	ctr := end{root: root, path: ctrPath, where: "container " + c.Name}
	host := end{root: hostRoot, path: hostPath}
	if toContainer {
		return copyTree(host, ctr, s.tracer)
	}
	return copyTree(ctr, host, s.tracer)
}

// absolute makes a host path absolute without cleaning it: a trailing "/"
// or "/." still means what it meant.
func absolute(p string) (string, error) {
	if filepath.IsAbs(p) {
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getcwd: %w", err)
	}
	return wd + "/" + p, nil
}

// openRoot returns an O_PATH handle of c's root as its processes see it,
// and the function that lets it go. write says the copy goes into c.
func (s *Store) openRoot(c *Container, write bool) (*os.File, func(), error) {
	st, err := s.Status(c)
	if err != nil {
		return nil, nil, err
	}
	if st.State != specs.StateStopped {
		root, err := s.openLiveRoot(c, st.Pid)
		if err != nil {
			return nil, nil, err
		}
		return root, func() { root.Close() }, nil
	}
	// The bundle lock keeps rm (and a second cp) away from the layers
	// while they are mounted here.
	unlock, err := fileutil.LockDir(c.Bundle)
	if err != nil {
		return nil, nil, err
	}
	if st, err = s.Status(c); err == nil && st.State != specs.StateStopped {
		err = fmt.Errorf("container %s started while cp was preparing: try again", c.Name)
	}
	var root *os.File
	if err == nil {
		root, err = mountLayers(c, write, s.tracer)
	}
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return root, func() { root.Close(); unlock() }, nil
}

// openLiveRoot opens /proc/<pid>/root of a running container's init.
func (s *Store) openLiveRoot(c *Container, pid int) (*os.File, error) {
	link := fmt.Sprintf("/proc/%d/root", pid)
	// cd /proc/$PID/root
	root, err := os.OpenFile(link, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	s.tracer.Step("open the container's root", "cd "+link, "os.OpenFile(O_PATH)", err)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", link, err)
	}
	// The pid was read before the open. Had the init died and its pid gone
	// to another process meanwhile, this would be that process's root — the
	// host's "/", likely. Status checks the init's start time: the init
	// alive now, under the same pid, was alive at the open.
	st, err := s.Status(c)
	if err == nil && (st.State == specs.StateStopped || st.Pid != pid) {
		err = fmt.Errorf("container %s stopped while cp was starting: try again", c.Name)
	}
	if err != nil {
		root.Close()
		return nil, err
	}
	return root, nil
}

// mountLayers mounts c's overlay as a detached mount and returns its root.
func mountLayers(c *Container, write bool, tr *trace.Tracer) (*os.File, error) {
	o := c.Overlay
	if o == nil {
		return nil, fmt.Errorf("container %s has no overlay layers on record", c.Name)
	}
	if _, err := o.Options(); err != nil { // no ',' or ':' in a layer path
		return nil, err
	}
	params := [][2]string{{"lowerdir", strings.Join(append([]string{o.Upper}, o.Lower...), ":")}}
	attrs := unix.MOUNT_ATTR_RDONLY
	if write {
		params = [][2]string{{"lowerdir", strings.Join(o.Lower, ":")}, {"upperdir", o.Upper}, {"workdir", o.Work}}
		attrs = 0
	}
	var opts []string
	for _, p := range params {
		opts = append(opts, p[0]+"="+p[1])
	}
	shell := "mount -t overlay overlay -o " + strings.Join(opts, ",") + " (detached: no mount point)"
	fd, err := detachedMount("overlay", params, attrs)
	tr.Step("mount the container's layers", shell, "unix.Fsopen, unix.FsconfigSetString, unix.Fsmount", err)
	if err != nil {
		return nil, fmt.Errorf("mount the layers of stopped container %s: %w", c.Name, err)
	}
	return os.NewFile(uintptr(fd), "overlay of "+c.Name), nil
}

// detachedMount is fsopen + fsconfig + fsmount: a new mount of fstype that
// is attached nowhere (no move_mount follows).
func detachedMount(fstype string, params [][2]string, attrs int) (int, error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen %s: %w", fstype, err)
	}
	defer unix.Close(fsfd)
	for _, p := range params {
		if err := unix.FsconfigSetString(fsfd, p[0], p[1]); err != nil {
			return -1, fmt.Errorf("fsconfig %s=%s: %w", p[0], p[1], err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, fmt.Errorf("fsconfig create %s: %w", fstype, err)
	}
	fd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, attrs)
	if err != nil {
		return -1, fmt.Errorf("fsmount %s: %w", fstype, err)
	}
	return fd, nil
}

// end is one side of a copy.
type end struct {
	root  *os.File // O_PATH handle: the container's root, or the host's "/"
	path  string   // as the person wrote it
	where string   // "container web"; "" for the host
}

// errorf is a message about e's path: "no such file or directory in
// container web: /x".
func (e end) errorf(what string) error { return e.errorAt(e.path, what) }

func (e end) errorAt(p, what string) error {
	if e.where == "" {
		return fmt.Errorf("%s: %s", what, p)
	}
	return fmt.Errorf("%s in %s: %s", what, e.where, p)
}

// ref is a path taken apart: docker cp gives meaning to a trailing "/" (the
// last component is followed) and "/." (a directory's contents).
type ref struct {
	clean    string // absolute and clean, within the root
	follow   bool   // ends in "/" or "/.": follow the last component
	contents bool   // ends in "/.", or is "/": the directory's contents, not itself
}

func parseRef(p string) ref {
	r := ref{clean: filepath.Clean("/" + p)}
	r.contents = p == "." || strings.HasSuffix(p, "/.") || r.clean == "/"
	r.follow = r.contents || strings.HasSuffix(p, "/")
	return r
}

// openSource resolves the source inside its root and returns an O_PATH
// handle of it.
func (e end) openSource() (*os.File, ref, error) {
	r := parseRef(e.path)
	var h *os.File
	var err error
	if r.follow {
		h, err = pathrs.OpenatInRoot(e.root, r.clean)
	} else {
		h, err = openNoFollow(e.root, r.clean)
	}
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil, r, e.errorf("no such file or directory")
	case errors.Is(err, unix.ENOTDIR):
		return nil, r, e.errorf("not a directory")
	case err != nil:
		return nil, r, fmt.Errorf("resolve %s: %w", e.path, err)
	}
	return h, r, nil
}

// openNoFollow resolves every component of clean but the last inside
// root, and opens the last one itself, a symlink as a symlink.
func openNoFollow(root *os.File, clean string) (*os.File, error) {
	parent, err := pathrs.OpenatInRoot(root, filepath.Dir(clean))
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), filepath.Base(clean), unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("openat %s: %w", clean, err)
	}
	return os.NewFile(uintptr(fd), clean), nil
}

// place is where a copy lands: a directory handle resolved inside the
// destination's root, and the name the copy takes in it ("." to fill the
// directory itself).
type place struct {
	dir   *os.File
	name  string
	shown string // the path, for messages
}

// placeFor applies docker cp's rules: into an existing directory the copy
// goes under its own name (or, for "src/.", its contents do); otherwise it
// takes the destination's name, replacing a file or a symlink there (never
// writing through it).
func (e end) placeFor(srcDir bool, srcName string) (place, error) {
	r := parseRef(e.path)
	// Resolved inside the root, symlinks followed: a symlink to a directory
	// is that directory — inside the root, wherever it points.
	target, err := pathrs.OpenatInRoot(e.root, r.clean)
	switch {
	case err == nil && isDir(target):
		return place{dir: target, name: srcName, shown: path.Join(r.clean, srcName)}, nil
	case err == nil:
		target.Close()
		if r.follow {
			return place{}, e.errorf("not a directory")
		}
		if srcDir {
			return place{}, e.errorf("cannot copy a directory onto a file")
		}
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP):
		if r.follow {
			return place{}, e.errorf("no such directory")
		}
	default:
		return place{}, fmt.Errorf("resolve %s: %w", e.path, err)
	}
	parent, err := pathrs.OpenatInRoot(e.root, filepath.Dir(r.clean))
	if err == nil && !isDir(parent) {
		parent.Close()
		err = unix.ENOTDIR
	}
	if err != nil {
		return place{}, e.errorf("no such directory")
	}
	return place{dir: parent, name: filepath.Base(r.clean), shown: r.clean}, nil
}

// checkOverwrite refuses to put a directory over a non-directory or the
// reverse, as cp and docker cp do; the extractor would replace it.
func (e end) checkOverwrite(p place, srcDir bool) error {
	var st unix.Stat_t
	if p.name == "." || unix.Fstatat(int(p.dir.Fd()), p.name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return nil
	}
	switch dir := st.Mode&unix.S_IFMT == unix.S_IFDIR; {
	case dir && !srcDir:
		return e.errorAt(p.shown, "cannot overwrite a directory with a non-directory")
	case !dir && srcDir:
		return e.errorAt(p.shown, "cannot overwrite a non-directory with a directory")
	}
	return nil
}

func isDir(h *os.File) bool {
	var st unix.Stat_t
	return unix.Fstat(int(h.Fd()), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

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
// as a tar stream into a pipe, and rootfs.Unpack reads it into p.
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
	_, err := rootfs.Unpack(pr, fmt.Sprintf("/proc/self/fd/%d", p.dir.Fd()), rootfs.Limits{}, tr)
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
// under which the same inode was written already.
func (a *archiver) addFile(h *os.File, hdr *tar.Header, st *unix.Stat_t) error {
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
