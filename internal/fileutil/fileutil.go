// Package fileutil holds the two file habits every kobako state file keeps:
// written atomically, changed under a lock.
package fileutil

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// WriteJSON writes v as JSON to path atomically: a reader sees the old file
// or the new one, never half of one (write a temporary file, rename it).
//
// There is no fsync, as in runc's state files: these files are runtime
// state, written on every container start, and an fsync costs milliseconds
// here. Atomicity protects against a kobako that is killed or two that race;
// after a power cut, a record may be lost, never seen half-written.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	renamed = true
	return nil
}

// ReadJSON decodes the JSON file at path into v.
func ReadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// OpenDirAt opens the directory name in dir for reading, refusing a
// symlink (ELOOP) or anything else that is not a directory (ENOTDIR): the
// step of every walk through a tree that may be hostile.
func OpenDirAt(dir int, name string) (*os.File, error) {
	fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// LockDir takes an exclusive flock on a directory, so that two kobako
// commands never change one container at once. The lock lives as long as
// the returned unlock is not called (or the process lives).
func LockDir(dir string) (unlock func(), err error) {
	return FlockDir(dir, unix.LOCK_EX)
}

// FlockDir is flock(2) of a directory, with how = LOCK_SH or LOCK_EX, and
// LOCK_NB not to wait: then a lock held elsewhere is an error that
// errors.Is(err, unix.EWOULDBLOCK).
func FlockDir(dir string, how int) (unlock func(), err error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	// flock [-s] [-n] $DIR
	if err := unix.Flock(fd, how); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("flock %s: %w", dir, err)
	}
	return func() { unix.Close(fd) }, nil
}
