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
//  3. The data moves as a tar stream written here and read by unpack.Tar,
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
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
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
	s.narrate(c)
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
