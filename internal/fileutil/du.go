package fileutil

// DiskUsage: the space a tree takes on disk.
//
// Shell twin: du -s -x -B1 DIR — see stat(2) for st_blocks.

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
)

// DiskUsage returns the bytes of disk that the tree at root takes, as du
// counts them: st_blocks (512-byte units, whatever the file system's block
// size) of every file and directory, each inode once however many hard
// links it has. It reads links, never follows them (lstat(2)), and, like
// du -x, stays on root's file system: a running container's rootfs/ is an
// overlay mount, whose image below is counted with the image. A tree that
// is not there takes 0 bytes; a file removed while we walk is skipped.
func DiskUsage(root string) (int64, error) {
	var total int64
	var rootDev uint64
	seen := map[[2]uint64]bool{} // {dev, ino} of files with more than one link
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		info, err := d.Info() // lstat PATH
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("lstat %s: no stat_t", path)
		}
		if path == root {
			rootDev = st.Dev
		} else if st.Dev != rootDev {
			// A mount point: another file system's space. (SkipDir from a
			// file would skip the rest of its directory.)
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if st.Nlink > 1 && !d.IsDir() {
			key := [2]uint64{st.Dev, st.Ino}
			if seen[key] {
				return nil
			}
			seen[key] = true
		}
		total += st.Blocks * 512
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("disk usage of %s: %w", root, err)
	}
	return total, nil
}
