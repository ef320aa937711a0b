package container

// `kobako export`: a container's file system as one flat tarball, the
// article's way to get a root file system out of docker.
//
// Shell twin: docker container export $CID > bash.tar (§2.1), which for a
// kobako container is
//
//	tar -c --one-file-system -C /proc/$PID/root . > x.tar        # running
//	mount -t overlay overlay -o lowerdir=$UPPER:$IMAGE,ro $MNT    # stopped
//	tar -c -C $MNT . > x.tar
//
// — see tar(1), overlayfs, statx(2) STATX_ATTR_MOUNT_ROOT.
//
// The tarball holds what the container sees at / — image and upper dir
// merged, deleted files gone — so `kobako import` of it makes an image with
// the container's changes in its one layer: the flattening of "Copy on
// Write" §7.3, done after the fact. The root is reached as cp reaches it
// (cp_root.go), and written by cp's archiver (cp_tar.go), which reads the
// tree through handles only: a symlink the container planted is written as
// a symlink, never followed to a host file.
//
// What the container has mounted is not its file system, and is left out
// as docker export leaves it out: /proc, /sys and /dev (and any volume) of
// a running container are written as empty directories, and a file bound
// over the root (its /etc/hosts, /etc/hostname, /etc/resolv.conf) as an
// empty file. A stopped container has no such mounts.

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Export writes c's file system, running or stopped, to w as a tar stream.
func (s *Store) Export(c *Container, w io.Writer) (CopyResult, error) {
	s.narrate(c)
	root, release, err := s.openRoot(c, false)
	if err != nil {
		return CopyResult{}, err
	}
	defer release()
	s.tracer.Note("export "+c.Name, "tar -c --one-file-system -C $ROOT . > x.tar")
	res, err := writeRoot(root, w)
	if err != nil {
		return CopyResult{}, fmt.Errorf("export %s: %w", c.Name, err)
	}
	return res, nil
}

// writeRoot writes the tree behind root, an O_PATH handle, as a tar stream
// whose names are relative to it ("./", "bin", "bin/sh" …).
func writeRoot(root *os.File, w io.Writer) (CopyResult, error) {
	// tar writes 512-byte blocks: one write(2) each would be slow.
	buf := bufio.NewWriterSize(w, 1<<20)
	a := &archiver{tw: tar.NewWriter(buf), links: map[[2]uint64]string{}, emptyMounts: true}
	if err := a.write(root, "."); err != nil {
		return CopyResult{}, err
	}
	if err := buf.Flush(); err != nil {
		return CopyResult{}, fmt.Errorf("write tar stream: %w", err)
	}
	return CopyResult{Skipped: a.skipped}, nil
}

// isMountRoot says whether h is the root of a mount — for a file, that a
// file is bound over it. st_dev cannot tell: overlayfs gives a file the
// st_dev of its layer when the layers span file systems.
func isMountRoot(h *os.File) (bool, error) {
	var stx unix.Statx_t
	// stat NAME, asking statx(2) for the attribute ("" and AT_EMPTY_PATH: h itself)
	err := unix.Statx(int(h.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS, &stx)
	if err != nil {
		return false, fmt.Errorf("statx %s: %w", h.Name(), err)
	}
	return stx.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0, nil
}
