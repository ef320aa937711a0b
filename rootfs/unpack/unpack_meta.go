// Step "コンテナを作ってみよう", continued: owners, modes, extended
// attributes and times.
//
// Shell twin: chown, chmod, setfattr and touch -h, which tar(1) does for each
// entry — see fchown(2), fchmod(2), fsetxattr(2), utimensat(2).
//
// Owner, mode and xattrs are set through a descriptor of the inode itself, and
// times through its parent handle without following the last component, so
// none of these ever lands on what a symlink points at. Directories get
// theirs last, in finishDirs, once nothing more is made inside them.
package unpack

import (
	"archive/tar"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// meta is what tar records about an inode besides its contents.
type meta struct {
	mode         uint32 // permission bits with setuid, setgid and sticky
	uid, gid     int
	atime, mtime time.Time
	xattrs       map[string]string
}

// paxXattr prefixes extended attributes in pax records (GNU tar --xattrs and
// docker both write them so).
const paxXattr = "SCHILY.xattr."

func metaOf(hdr *tar.Header) meta {
	uid, gid := ownerOf(hdr)
	m := meta{mode: uint32(hdr.Mode) & 0o7777, uid: uid, gid: gid, atime: hdr.AccessTime, mtime: hdr.ModTime}
	if m.atime.IsZero() {
		m.atime = m.mtime
	}
	for key, value := range hdr.PAXRecords {
		if name, ok := strings.CutPrefix(key, paxXattr); ok {
			if m.xattrs == nil {
				m.xattrs = map[string]string{}
			}
			m.xattrs[name] = value
		}
	}
	return m
}

// ownerOf is the owner an entry's inode gets: the entry's, when root
// unpacks. A user cannot give files away (chown(2) needs CAP_CHOWN), so,
// like tar(1) run by a user (--no-same-owner), its files stay its own:
// -1, which chown leaves as it is. A rootless container's map makes that
// user root inside, so the image's files are root's there all the same.
func ownerOf(hdr *tar.Header) (uid, gid int) {
	if os.Geteuid() != 0 {
		return -1, -1
	}
	return hdr.Uid, hdr.Gid
}

// setAttrs gives an open inode its owner, mode and extended attributes
// through its descriptor, so nothing is looked up by name again.
func setAttrs(fd int, name string, m meta) error {
	// chown UID:GID NAME — before chmod, because chown clears setuid and setgid
	if err := unix.Fchown(fd, m.uid, m.gid); err != nil {
		return fmt.Errorf("chown %d:%d %s: %w", m.uid, m.gid, name, err)
	}
	// chmod MODE NAME
	if err := unix.Fchmod(fd, m.mode); err != nil {
		return fmt.Errorf("chmod %04o %s: %w", m.mode, name, err)
	}
	for key, value := range m.xattrs {
		// setfattr -n KEY -v VALUE NAME. A filesystem without (this kind of)
		// extended attributes drops them, as tar --xattrs does; on Linux
		// ENOTSUP and EOPNOTSUPP are the same errno. So does a user, who
		// may not set security.* and trusted.* ones (EPERM).
		err := unix.Fsetxattr(fd, key, []byte(value), 0)
		if err != nil && !errors.Is(err, unix.ENOTSUP) && !(errors.Is(err, unix.EPERM) && os.Geteuid() != 0) {
			return fmt.Errorf("setfattr -n %s %s: %w", key, name, err)
		}
	}
	return nil
}

// setTimes is touch -h -d MTIME NAME: utimensat on the parent handle with
// AT_SYMLINK_NOFOLLOW, the one call that sets the times of files, FIFOs,
// directories and symlinks alike without following the last component.
func setTimes(p place, m meta) error {
	atime, err := unix.TimeToTimespec(m.atime)
	if err != nil {
		return fmt.Errorf("access time of %s: %w", p.name, err)
	}
	mtime, err := unix.TimeToTimespec(m.mtime)
	if err != nil {
		return fmt.Errorf("modification time of %s: %w", p.name, err)
	}
	if err := unix.UtimesNanoAt(p.dir, p.base, []unix.Timespec{atime, mtime}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("touch -h %s: %w", p.name, err)
	}
	return nil
}

// finishDirs gives each directory its own mode, owner and times, now that
// nothing more will be made inside. Children go before parents ("a/b" sorts
// after "a"), the order in which tar(1) leaves directories.
func (u *unpacker) finishDirs() error {
	names := slices.Sorted(maps.Keys(u.dirs))
	slices.Reverse(names)
	for _, name := range names {
		if err := u.finishDir(name, u.dirs[name]); err != nil {
			return err
		}
	}
	return nil
}

// finishDir looks a directory up again inside the root and sets its
// metadata through a descriptor.
func (u *unpacker) finishDir(name string, m meta) error {
	// cd $(dirname NAME), resolved inside the root
	parent, err := pathrs.OpenatInRoot(u.root, filepath.Dir(name))
	if replaced(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open parent of %s: %w", name, err)
	}
	defer parent.Close()
	p := place{dir: int(parent.Fd()), base: filepath.Base(name), name: name}
	// O_DIRECTORY|O_NOFOLLOW: the kernel checks that NAME is still a
	// directory, and not a symlink a later entry put in its place.
	fd, err := unix.Openat(p.dir, p.base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if replaced(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer unix.Close(fd)
	if err := setAttrs(fd, name, m); err != nil {
		return err
	}
	return setTimes(p, m)
}

// replaced reports whether a lookup failed because a later entry replaced
// the directory, or one of its parents, with something else. That entry
// won, so the directory's metadata no longer applies.
func replaced(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP)
}
