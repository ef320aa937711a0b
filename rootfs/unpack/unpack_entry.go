// Step "コンテナを作ってみよう", continued: make one tar entry inside the root.
//
// Shell twins, one per kind of entry: mkdir, cat > FILE, ln -s, ln and
// mkfifo — see openat(2), mkdirat(2), symlinkat(2), linkat(2), mknod(2);
// owners, modes and times are in unpack_meta.go.
//
// Every call here works on a parent directory handle that pathrs-lite
// resolved inside the root, plus one last path component that is never
// followed. No path string is ever joined under the root and handed to the
// kernel: such a string would be resolved by the host, symlinks and all.
package unpack

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// unpacker holds what one Unpack call has made so far.
type unpacker struct {
	root   *os.File // O_PATH handle of the image root
	limits Limits
	result Result
	dirs   map[string]meta // directories whose metadata waits for the end, by name

	parent     *os.File // handle of the last entry's parent directory …
	parentName string   // … and its name, so the next entry in it can reuse it
}

// place is where an entry goes: a directory handle resolved inside the root
// and the last component of the name, which is never followed.
type place struct {
	dir  int    // parent directory
	base string // last component
	name string // the whole clean name, for messages
}

// entry makes one tar entry.
func (u *unpacker) entry(hdr *tar.Header, data io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // archive-wide pax records (git archive puts its commit id there), not a file
	}
	name, err := localName(hdr.Name)
	if err != nil {
		// %.256q: quote at most 256 characters of a name that may be huge
		return fmt.Errorf("refusing tar entry %.256q: %w", hdr.Name, err)
	}
	if name == "." {
		return u.rootEntry(hdr)
	}
	if !supported(hdr.Typeflag) {
		u.result.Skipped = append(u.result.Skipped, name)
		return nil
	}
	parent, err := u.parentOf(filepath.Dir(name))
	if err != nil {
		return fmt.Errorf("make parent directory of tar entry %q: %w", name, err)
	}
	p := place{dir: int(parent.Fd()), base: filepath.Base(name), name: name}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return u.mkdir(p, hdr)
	case tar.TypeSymlink:
		return symlink(p, hdr)
	case tar.TypeLink:
		return u.link(p, hdr)
	case tar.TypeFifo:
		return mkfifo(p, hdr)
	default:
		return u.writeFile(p, hdr, data)
	}
}

// parentOf returns a handle of the directory dir, made inside the root if
// it is missing. Tarballs list a directory's entries together, so the handle
// is kept for the next entry: it stays a directory inside the root whatever
// those entries do, since they only add or replace its children.
func (u *unpacker) parentOf(dir string) (*os.File, error) {
	if u.parent != nil && u.parentName == dir {
		return u.parent, nil
	}
	u.closeParent()
	// mkdir -p DIR, resolved inside the root. Parents without an entry of
	// their own get 0755, as tar(1) gives them.
	parent, err := pathrs.MkdirAllHandle(u.root, dir, 0o755)
	if err != nil {
		return nil, err
	}
	u.parent, u.parentName = parent, dir
	return parent, nil
}

func (u *unpacker) closeParent() {
	if u.parent != nil {
		u.parent.Close()
		u.parent = nil
	}
}

// supported reports whether kobako makes entries of this type. Character
// and block devices are skipped and listed: kobako makes /dev itself, and a
// /dev/mem or /dev/sda node in an image would be a door to the host's memory
// or disk. Unknown types are skipped too, rather than guessed at.
func supported(typ byte) bool {
	switch typ {
	case tar.TypeDir, tar.TypeReg, tar.TypeGNUSparse, tar.TypeSymlink, tar.TypeLink, tar.TypeFifo:
		return true // archive/tar expands GNU sparse files into plain data
	}
	return false
}

// rootEntry handles "./", the image root itself: its metadata waits for the
// end like any directory's.
func (u *unpacker) rootEntry(hdr *tar.Header) error {
	if hdr.Typeflag != tar.TypeDir {
		return fmt.Errorf("refusing tar entry %q: only a directory can stand for the image root", hdr.Name)
	}
	u.dirs["."] = metaOf(hdr)
	return nil
}

// makeRoom clears the place for a new entry, because a later entry wins, as
// with tar(1). It reports whether an existing directory is kept: a directory
// entry over a directory only updates its metadata.
func makeRoom(p place, dir bool) (keep bool, err error) {
	var st unix.Stat_t
	// stat NAME, not following a symlink: the symlink itself is replaced
	err = unix.Fstatat(p.dir, p.base, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case errors.Is(err, unix.ENOENT):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("stat %s: %w", p.name, err)
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		// rm NAME
		err = unix.Unlinkat(p.dir, p.base, 0)
	case dir:
		return true, nil
	default:
		err = removeAllAt(p.dir, p.base)
	}
	if err != nil {
		return false, fmt.Errorf("remove %s to replace it: %w", p.name, err)
	}
	return false, nil
}

// removeAllAt is rm -rf for the directory base under dirfd. Each level is
// opened with O_NOFOLLOW and emptied with unlinkat relative to it, so a
// symlink inside is removed, never followed.
func removeAllAt(dirfd int, base string) error {
	fd, err := unix.Openat(dirfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", base, err)
	}
	dir := os.NewFile(uintptr(fd), base)
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read directory %s: %w", base, err)
	}
	for _, name := range names {
		// rm NAME; unlink refuses a directory with EISDIR, which is rm -rf's cue
		err := unix.Unlinkat(fd, name, 0)
		if errors.Is(err, unix.EISDIR) {
			err = removeAllAt(fd, name)
		}
		if err != nil {
			return fmt.Errorf("remove %s/%s: %w", base, name, err)
		}
	}
	// rmdir BASE
	return unix.Unlinkat(dirfd, base, unix.AT_REMOVEDIR)
}

// mkdir makes a directory entry 0700; its own mode, owner and times wait for
// finishDirs. So a 0000 or 0555 directory still takes the entries that
// follow, and until the end no other user can step into the tree.
func (u *unpacker) mkdir(p place, hdr *tar.Header) error {
	keep, err := makeRoom(p, true)
	if err != nil {
		return err
	}
	if !keep {
		// mkdir -m 0700 NAME
		if err := unix.Mkdirat(p.dir, p.base, 0o700); err != nil {
			return fmt.Errorf("mkdir %s: %w", p.name, err)
		}
	}
	u.dirs[p.name] = metaOf(hdr)
	return nil
}

// writeFile makes a regular file and copies its data, within the byte limit.
func (u *unpacker) writeFile(p place, hdr *tar.Header, data io.Reader) error {
	room := u.limits.MaxBytes - u.result.Bytes
	if hdr.Size > room {
		return u.errTooBig(p.name)
	}
	if _, err := makeRoom(p, false); err != nil {
		return err
	}
	// cat > NAME, with O_EXCL|O_NOFOLLOW: always a new inode, never one a
	// symlink points at
	fd, err := unix.Openat(p.dir, p.base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", p.name, err)
	}
	f := os.NewFile(uintptr(fd), p.name)
	defer f.Close()
	// archive/tar stops at hdr.Size already; counting while copying keeps
	// the limit true whatever the reader does, and never reads it all first.
	n, err := io.Copy(f, io.LimitReader(data, room+1))
	u.result.Bytes += n
	if err != nil {
		return fmt.Errorf("extract %s: %w", p.name, err)
	}
	if n > room {
		return u.errTooBig(p.name)
	}
	m := metaOf(hdr)
	if err := setAttrs(fd, p.name, m); err != nil {
		return err
	}
	if err := setTimes(p, m); err != nil {
		return err
	}
	return f.Close()
}

func (u *unpacker) errTooBig(name string) error {
	return fmt.Errorf("tar stream exceeds the limit of %d bytes of file data at entry %q", u.limits.MaxBytes, name)
}

// symlink makes a symbolic link. Its target is stored as written, absolute
// or not: it is resolved when the container runs, inside its own root.
func symlink(p place, hdr *tar.Header) error {
	if _, err := makeRoom(p, false); err != nil {
		return err
	}
	// ln -s TARGET NAME
	if err := unix.Symlinkat(hdr.Linkname, p.dir, p.base); err != nil {
		return fmt.Errorf("symlink %s -> %s: %w", p.name, hdr.Linkname, err)
	}
	// chown -h UID:GID NAME: the link itself, never what it points at.
	// There is no chmod: Linux symlinks are always 0777.
	uid, gid := ownerOf(hdr)
	if err := unix.Fchownat(p.dir, p.base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown -h %d:%d %s: %w", uid, gid, p.name, err)
	}
	return setTimes(p, metaOf(hdr))
}

// link makes a hard link. Its target must be a name inside the image too: a
// hard link to /etc/shadow would be the host's shadow file, seen and written
// from the container.
func (u *unpacker) link(p place, hdr *tar.Header) error {
	target, err := localName(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("refusing tar entry %q: hard link target %.256q: %w", p.name, hdr.Linkname, err)
	}
	// cd $(dirname TARGET), resolved inside the root
	from, err := pathrs.OpenatInRoot(u.root, filepath.Dir(target))
	if err != nil {
		return fmt.Errorf("hard link %s to %s: %w", p.name, target, err)
	}
	defer from.Close()
	if _, err := makeRoom(p, false); err != nil {
		return err
	}
	// ln TARGET NAME, without AT_SYMLINK_FOLLOW: a link to a symlink is a
	// second name for the symlink, not for what it points at
	if err := unix.Linkat(int(from.Fd()), filepath.Base(target), p.dir, p.base, 0); err != nil {
		return fmt.Errorf("hard link %s to %s: %w", p.name, target, err)
	}
	return nil
}

// mkfifo makes a named pipe: harmless, and some images ship one.
func mkfifo(p place, hdr *tar.Header) error {
	if _, err := makeRoom(p, false); err != nil {
		return err
	}
	// mkfifo -m 0600 NAME
	if err := unix.Mknodat(p.dir, p.base, unix.S_IFIFO|0o600, 0); err != nil {
		return fmt.Errorf("mkfifo %s: %w", p.name, err)
	}
	// Open it to set owner and mode through a descriptor: O_NONBLOCK, or the
	// open would wait for a writer; O_NOFOLLOW, so it is the FIFO just made.
	fd, err := unix.Openat(p.dir, p.base, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", p.name, err)
	}
	defer unix.Close(fd)
	m := metaOf(hdr)
	if err := setAttrs(fd, p.name, m); err != nil {
		return err
	}
	return setTimes(p, m)
}
