// Step "コンテナを作ってみよう": unpack the image into a directory.
//
// Shell twin: docker export $(docker create busybox) | tar -x -C $ROOTFS
// — see tar(1), and openat(2), mkdirat(2), symlinkat(2), linkat(2) for how.
//
// The article unpacks a tarball it made itself and trusts it. kobako imports
// tarballs from anywhere, so it treats each one as hostile: a name like
// "../../etc/cron.d/x", a symlink "l -> /etc" followed by a file "l/passwd",
// a hard link to /etc/shadow, a device node for /dev/mem, or a gzip bomb
// must not write, link or chown anything outside the image root. Three rules
// make that so:
//
//  1. Names are checked lexically before anything is made (filepath.IsLocal).
//  2. Every parent directory is looked up *inside* the root with pathrs-lite,
//     so a symlink planted by an earlier entry resolves as it would inside
//     the container (like chroot, or openat2's RESOLVE_IN_ROOT), never out.
//  3. The last component is made with a *at call relative to that parent
//     handle and never followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW).
//
// This file reads the stream and checks names and limits; unpack_entry.go
// makes each kind of entry, and unpack_meta.go gives it owner, mode and times.
//
// Package unpack is kobako's tar extractor: kobako import, pull, build,
// cp and volumes all unpack through Tar. It is not part of rootfs, which
// the container's init links: archive/tar, gzip and sha256 would cost
// every container start for nothing.
package unpack

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// maxNameLen is PATH_MAX: no name in a real image is longer, and a longer one
// could not be opened by path inside the container anyway.
const maxNameLen = 4096

// Limits bound what one tarball may make; zero fields mean the defaults
// (DefaultLimits).
type Limits struct {
	MaxBytes   int64 // total bytes of regular-file data
	MaxEntries int   // tar headers of any type, skipped ones included
}

// DefaultLimits are generous for real images (a full Debian with a desktop
// is a few GiB and a few hundred thousand files) and still stop a bomb
// before it fills the disk.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 64 << 30, MaxEntries: 2_000_000}
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes == 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxEntries == 0 {
		l.MaxEntries = d.MaxEntries
	}
	return l
}

// UnpackResult says what Unpack made.
type Result struct {
	Entries int      // tar headers read; 0 for an empty layer, which images have
	Bytes   int64    // bytes of regular-file data written
	Skipped []string // entries neutralised (device nodes, unknown types), by name
	// DiffID is "sha256:" and the digest of the uncompressed tar stream,
	// as an image config's rootfs.diff_ids names a layer: the layer's
	// name in the image store.
	DiffID string
}

// Unpack extracts a tar stream (plain or gzip, sniffed from the first bytes)
// into dest, an existing empty directory, and hashes the stream as it goes
// (sha256sum of the uncompressed tar). It refuses the whole stream on the
// first entry that would reach outside dest, and does not clean dest on
// error: the caller builds into a temporary directory and removes it. An
// empty stream is no error here: an image may have an empty layer, and the
// callers for whom a tarball must hold something say so.
func Tar(r io.Reader, dest string, limits Limits, tr *trace.Tracer) (Result, error) {
	res, err := unpack(r, dest, limits.withDefaults(), tr)
	tr.Step("unpack image", "tar -x -C "+dest,
		fmt.Sprintf("unpack.Tar: %d entries by openat/mkdirat/symlinkat/linkat inside the root", res.Entries), err)
	return res, err
}

// maxTrailer is how much may follow a tarball's end marker: tar pads to
// its record size (10 KiB by default); 1 MiB leaves room for any writer.
const maxTrailer = 1 << 20

func unpack(r io.Reader, dest string, limits Limits, tr *trace.Tracer) (Result, error) {
	compressed, err := decompress(r, tr)
	if err != nil {
		return Result{}, err
	}
	// tar -x, with sha256sum of the same bytes on the way (readahead.go)
	stream := newReadAhead(compressed)
	defer stream.Close()
	// cd DEST — an O_PATH handle: every later lookup starts from this inode,
	// whatever happens to the path string dest.
	root, err := os.OpenFile(dest, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return Result{}, fmt.Errorf("open image root: %w", err)
	}
	defer root.Close()

	u := &unpacker{root: root, limits: limits, dirs: map[string]meta{}}
	defer u.closeParent()
	if err := u.readAll(tar.NewReader(stream)); err != nil {
		return u.result, err
	}
	// The digest is of the whole stream: tar stops reading at its end
	// marker, the padding after it counts too (and gzip checks its CRC).
	// Padding is a few KiB; a stream that goes on for more after the end
	// marker is no tarball but a way to burn CPU (a gzip of zeros).
	n, err := io.Copy(io.Discard, io.LimitReader(stream, maxTrailer+1))
	if err != nil {
		return u.result, fmt.Errorf("read the end of the tar stream: %w", err)
	}
	if n > maxTrailer {
		return u.result, fmt.Errorf("more than %d KiB after the tar's end marker: not a tarball kobako imports", maxTrailer>>10)
	}
	u.result.DiffID = stream.Sum()
	// Directory modes, owners and times come last: filling a directory
	// changes its mtime, and until then each one is 0700, root's alone.
	return u.result, u.finishDirs()
}

// readAll makes every entry of the archive, in order.
func (u *unpacker) readAll(archive *tar.Reader) error {
	for {
		hdr, err := archive.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read tar header after %d entries (kobako reads plain or gzip-compressed tarballs): %w",
				u.result.Entries, err)
		}
		u.result.Entries++
		if u.result.Entries > u.limits.MaxEntries {
			return fmt.Errorf("tar stream exceeds the limit of %d entries", u.limits.MaxEntries)
		}
		if err := u.entry(hdr, archive); err != nil {
			return err
		}
	}
	return nil
}

// decompress returns r itself for a plain tar and a gunzipping reader for a
// gzip stream, told apart by gzip's magic number 1f 8b.
func decompress(r io.Reader, tr *trace.Tracer) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read tar stream: %w", err)
	}
	if !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return br, nil
	}
	// gzip -d
	zr, err := gzip.NewReader(br)
	tr.Step("decompress image", "gzip -d", "gzip.NewReader", err)
	if err != nil {
		return nil, fmt.Errorf("read gzip header: %w", err)
	}
	return zr, nil
}

// localName turns a tar name into a clean path relative to the image root:
// "./usr/bin/" becomes "usr/bin", and "./" or "." stands for the root itself.
// It refuses names that climb out ("../x", "a/../../x") and absolute ones
// ("/etc/passwd"): archive/tar passes both through unless
// GODEBUG=tarinsecurepath=0, so the check is ours to make.
func localName(name string) (string, error) {
	if len(name) > maxNameLen {
		return "", fmt.Errorf("name longer than %d bytes", maxNameLen)
	}
	clean := filepath.Clean(name)
	if clean != "." && !filepath.IsLocal(clean) {
		return "", errors.New("path escapes the image root")
	}
	return clean, nil
}
