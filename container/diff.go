package container

// `kobako diff`: what a container changed in its file system, read from its
// overlay upper dir.
//
// Shell twin: the article's look at upper/ after "Copy on Write" —
//
//	ls -lR $CONTAINER/upper                                    # A and C
//	find $CONTAINER/upper -type c                              # whiteouts: D
//	getfattr -R -n trusted.overlay.opaque $CONTAINER/upper     # opaque dirs
//
// see the kernel's Documentation/filesystems/overlayfs.rst, fstatat(2),
// fgetxattr(2).
//
// The upper dir holds every change and nothing else: a file the container
// made, or a lower file it wrote to (copied up whole first); a character
// device 0,0 (a "whiteout") where it deleted a lower file; a directory
// marked trusted.overlay.opaque=y where it deleted a lower directory and
// made a new one of that name, which hides everything the lower had there.
// Telling "added" from "changed" needs the lower: a name the image has too
// is C, one only the upper has is A. docker diff prints the same letters.
//
// The upper dir is the container's own data, so it is hostile: every entry
// is looked at with fstatat(AT_SYMLINK_NOFOLLOW) relative to an open
// directory, and a directory is entered with openat(O_NOFOLLOW|O_DIRECTORY),
// so a symlink the container planted is a name to report, never a path the
// host follows. The image's layers are walked the same way, in step: a
// name's lower counterpart is looked up in the lower directory of the same
// path, never by joining strings, which would follow an image's
// "lib -> /usr/lib" into the host's /usr.

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/kobako/kobako/internal/fileutil"
	"golang.org/x/sys/unix"
)

// ChangeKind is the letter of one `kobako diff` line.
type ChangeKind byte

// The letters of docker diff.
const (
	Added   ChangeKind = 'A'
	Changed ChangeKind = 'C'
	Deleted ChangeKind = 'D'
)

// Change is one path the container added, changed or deleted.
type Change struct {
	Kind ChangeKind
	Path string // as the container sees it: "/etc/passwd"
}

func (c Change) String() string { return string(c.Kind) + " " + c.Path }

// Diff lists what c changed in its file system, parents before their
// children. It works on a running container as on a stopped one: the upper
// dir is where it is either way.
func (s *Store) Diff(c *Container) ([]Change, error) {
	s.narrate(c)
	o := c.Overlay
	if o == nil {
		return nil, fmt.Errorf("container %s has no overlay layers on record", c.Name)
	}
	// No bundle lock, unlike cp: diff mounts nothing and only reads, so an
	// rm at the same moment can only cut its listing short.
	changes, err := layerChanges(o.Upper, o.Lower)
	s.tracer.Step("read the container's layer", "ls -lR "+o.Upper,
		"unix.Openat(O_NOFOLLOW), unix.Fstatat(AT_SYMLINK_NOFOLLOW), unix.Fgetxattr", err)
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", c.Name, err)
	}
	return changes, nil
}

// layerChanges compares an upper dir with the lower layers below it (top
// first, as overlayfs stacks them).
func layerChanges(upper string, lower []string) ([]Change, error) {
	up, err := os.OpenFile(upper, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open upper dir: %w", err)
	}
	defer up.Close()
	var lowers []*os.File
	defer func() { closeAll(lowers) }()
	for _, l := range lower {
		dir, err := os.OpenFile(l, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open lower dir: %w", err)
		}
		lowers = append(lowers, dir)
	}
	var changes []Change
	if err := walkLayer(layerDir{upper: up, lower: lowers, path: "/"}, &changes); err != nil {
		return nil, err
	}
	// Parents before children: "/" sorts before every other byte, as if it
	// were NUL, which no name holds ("/etc/x" before "/etc-x").
	slices.SortFunc(changes, func(a, b Change) int {
		return cmp.Compare(strings.ReplaceAll(a.Path, "/", "\x00"), strings.ReplaceAll(b.Path, "/", "\x00"))
	})
	return changes, nil
}

// layerDir is one directory of the walk, in the upper and in the layers
// below.
type layerDir struct {
	upper *os.File
	lower []*os.File // the same path in the lower layers, top first, down to one that hides the rest
	// opaque: the upper hides the lower here (trusted.overlay.opaque=y on
	// this directory or one above it), so whatever the lower holds that
	// the upper does not is gone.
	opaque bool
	path   string // as the container sees it
}

// walkLayer appends the changes in d and below it to changes.
func walkLayer(d layerDir, changes *[]Change) error {
	names, err := d.upper.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read upper dir %s: %w", d.path, err)
	}
	own := map[string]bool{} // names the upper holds, whiteouts aside
	for _, name := range names {
		var st unix.Stat_t
		err := unix.Fstatat(int(d.upper.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if errors.Is(err, unix.ENOENT) {
			continue // deleted since the listing (a running container)
		}
		if err != nil {
			return fmt.Errorf("stat upper %s: %w", path.Join(d.path, name), err)
		}
		isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		below, err := lookBelow(d.lower, name, isDir)
		if err != nil {
			return err
		}
		p := path.Join(d.path, name)
		if isWhiteout(&st) {
			// Under an opaque directory the lower listing below says it.
			if below.exists && !d.opaque {
				*changes = append(*changes, Change{Deleted, p})
			}
			closeAll(below.dirs)
			continue
		}
		own[name] = true
		kind := Added
		if below.exists {
			kind = Changed // a changed directory too: it is here because something in it changed
		}
		*changes = append(*changes, Change{kind, p})
		if isDir {
			err = walkSubdir(d, name, p, below.dirs, changes)
		}
		closeAll(below.dirs)
		if err != nil {
			return err
		}
	}
	if d.opaque {
		return listHidden(d, own, changes)
	}
	return nil
}

// walkSubdir enters the upper's directory name, with lower its lower
// counterparts.
func walkSubdir(d layerDir, name, p string, lower []*os.File, changes *[]Change) error {
	// cd NAME, never through a symlink swapped in since the fstatat
	sub, err := fileutil.OpenDirAt(int(d.upper.Fd()), name)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		return nil // replaced since the listing (a running container)
	}
	if err != nil {
		return fmt.Errorf("open upper %s: %w", p, err)
	}
	defer sub.Close()
	opaque, err := isOpaque(sub)
	if err != nil {
		return fmt.Errorf("read xattrs of upper %s: %w", p, err)
	}
	// Below an opaque directory the lower is still walked: it names what
	// the upper hides.
	return walkLayer(layerDir{upper: sub, lower: lower, opaque: opaque || d.opaque, path: p}, changes)
}

// listHidden reports as deleted what the lower has in the opaque directory
// d and the upper does not. A deleted directory is one line, as rm -rf
// leaves one whiteout.
func listHidden(d layerDir, own map[string]bool, changes *[]Change) error {
	names, err := lowerNames(d.lower, d.path)
	if err != nil {
		return err
	}
	for _, name := range names {
		if !own[name] {
			*changes = append(*changes, Change{Deleted, path.Join(d.path, name)})
		}
	}
	return nil
}

// below is what the lower layers hold under one name.
type below struct {
	exists bool       // the container's image has this name (as anything)
	dirs   []*os.File // if asked for: its directories that merge, top first
}

// lookBelow looks name up in the lower directories, top first, as
// overlayfs does: a whiteout or a non-directory hides everything further
// down, and so does an opaque directory below itself.
func lookBelow(lower []*os.File, name string, wantDirs bool) (below, error) {
	var b below
	for _, l := range lower {
		var st unix.Stat_t
		err := unix.Fstatat(int(l.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return b, fmt.Errorf("stat lower %s: %w", name, err)
		}
		if isWhiteout(&st) {
			return b, nil
		}
		b.exists = true
		if st.Mode&unix.S_IFMT != unix.S_IFDIR || !wantDirs {
			return b, nil
		}
		dir, err := fileutil.OpenDirAt(int(l.Fd()), name)
		if err != nil {
			closeAll(b.dirs)
			return below{}, fmt.Errorf("open lower %s: %w", name, err)
		}
		b.dirs = append(b.dirs, dir)
		if opaque, err := isOpaque(dir); err != nil || opaque {
			return b, err
		}
	}
	return b, nil
}

// lowerNames is ls of the merged lower directories: each name once, those
// a higher layer whited out left out.
func lowerNames(lower []*os.File, dir string) ([]string, error) {
	seen := map[string]bool{}
	var names []string
	for _, l := range lower {
		list, err := l.Readdirnames(-1)
		if err != nil {
			return nil, fmt.Errorf("read lower %s: %w", dir, err)
		}
		for _, name := range list {
			if seen[name] {
				continue
			}
			seen[name] = true
			var st unix.Stat_t
			if err := unix.Fstatat(int(l.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return nil, fmt.Errorf("stat lower %s: %w", path.Join(dir, name), err)
			}
			if !isWhiteout(&st) {
				names = append(names, name)
			}
		}
	}
	return names, nil
}

// isWhiteout says whether st is overlayfs's mark of a deletion: a
// character device 0,0 (what `rm` in the container leaves in upper/).
func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// isOpaque is getfattr -n trusted.overlay.opaque DIR = "y": the directory
// hides the layers below it.
func isOpaque(dir *os.File) (bool, error) {
	value := make([]byte, 1)
	n, err := unix.Fgetxattr(int(dir.Fd()), "trusted.overlay.opaque", value)
	switch {
	case errors.Is(err, unix.ENODATA) || errors.Is(err, unix.ERANGE) || errors.Is(err, unix.ENOTSUP):
		return false, nil // none, something longer than "y", or a file system without xattrs
	case err != nil:
		return false, err
	}
	return n == 1 && value[0] == 'y', nil
}
