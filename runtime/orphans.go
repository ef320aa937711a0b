package runtime

// What a create that was killed half-way leaves behind, and how it is
// found again without a record of it: the state dir (made first, with
// the exec fifo) and, in the worst case, a cgroup. runc leaves both to
// its engine; kobako's people layer has no engine, so it sweeps them.
//
//	ls /run/kobako/$ID                           # exec.fifo, no state.json
//	flock -n /run/kobako/$ID rm -rf /run/kobako/$ID   # only if nobody holds it
//	cat /sys/fs/cgroup/*/kobako/$ID/cgroup.procs  # empty: no process left
//	rmdir /sys/fs/cgroup/*/kobako/$ID
//
// Who owns what is decided by locks, never by guessing: a create holds
// its state dir's flock from the moment the directory exists until it
// returns (create.go), so a state dir without state.json whose lock is
// free is one whose creator died. A state dir with state.json is never
// swept: it is a container, an engine's or a person's, that delete
// removes.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/internal/fileutil"
)

// RemoveAborted removes the state dirs of creates that died before they
// wrote state.json, and returns their ids. Their init, if it was cloned,
// ended when its sync socket closed with the creator; no cgroup was made
// yet (that comes after state.json).
func (r *Runtime) RemoveAborted() ([]string, error) {
	// flock $ROOT: no create is between its mkdir and its flock now.
	unlock, err := fileutil.FlockDir(r.Root, unix.LOCK_EX)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // no state root yet: nothing ever made here
	}
	if err != nil {
		return nil, err
	}
	defer unlock()
	entries, err := os.ReadDir(r.Root)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", r.Root, err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || checkID(e.Name()) != nil {
			continue
		}
		gone, err := r.removeIfAborted(e.Name())
		if gone {
			removed = append(removed, e.Name())
		}
		errs = append(errs, err)
	}
	return removed, errors.Join(errs...)
}

// removeIfAborted removes <root>/<id> if it has no state.json and nobody
// holds its lock.
func (r *Runtime) removeIfAborted(id string) (bool, error) {
	dir := r.dir(id)
	if _, err := os.Lstat(filepath.Join(dir, stateFile)); !errors.Is(err, os.ErrNotExist) {
		return false, nil // a container (or unreadable: not ours to judge)
	}
	// flock -n $ROOT/$ID: held by a create under way
	unlock, err := fileutil.FlockDir(dir, unix.LOCK_EX|unix.LOCK_NB)
	if err != nil {
		return false, nil // being made, or removed meanwhile
	}
	defer unlock()
	// rm -rf /run/kobako/$ID
	err = os.RemoveAll(dir)
	r.Tracer.Step("remove the state of a create that was killed", "rm -rf "+dir, fmt.Sprintf("os.RemoveAll(%q)", dir), err)
	if err != nil {
		return false, fmt.Errorf("remove %s: %w", dir, err)
	}
	return true, nil
}

// CgroupChildren lists the cgroups directly below parent ("/kobako"), in
// any hierarchy: ls /sys/fs/cgroup/*/kobako. A cgroup a kill left half-made
// may be in some hierarchies only.
func CgroupChildren(parent string) ([]string, error) {
	layout, err := cgroups.Detect()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var names []string
	for _, root := range hierarchyRoots(layout) {
		entries, err := os.ReadDir(root + parent)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.IsDir() && !seen[e.Name()] {
				seen[e.Name()] = true
				names = append(names, e.Name())
			}
		}
	}
	return names, nil
}

// RemoveIdleCgroup removes the cgroup at cgroupPath in every hierarchy,
// if no process is in it in any of them and, with minAge > 0, if none of
// its directories changed for minAge. It reports whether there was one
// to remove. A cgroup with a process in it stays: something runs there,
// and only the record of its container may say what.
func (r *Runtime) RemoveIdleCgroup(cgroupPath string, minAge time.Duration) (bool, error) {
	layout, err := cgroups.Detect()
	if err != nil {
		return false, err
	}
	found := false
	for _, root := range hierarchyRoots(layout) {
		idle, exists, err := idleCgroup(root+cgroupPath, minAge)
		if err != nil || (exists && !idle) {
			return false, err
		}
		found = found || exists
	}
	if !found {
		return false, nil
	}
	mgr, err := cgroups.New(layout, cgroupPath, r.Tracer)
	if err != nil {
		return false, err
	}
	// cgdelete: rmdir in every hierarchy
	return true, mgr.Destroy()
}

// idleCgroup says whether the cgroup directory dir exists, and whether it
// holds no process and is older than minAge.
func idleCgroup(dir string, minAge time.Duration) (idle, exists bool, err error) {
	info, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if minAge > 0 && time.Since(info.ModTime()) < minAge {
		return false, true, nil
	}
	// cat $CGROUP/cgroup.procs
	procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if errors.Is(err, os.ErrNotExist) {
		return false, false, nil // removed meanwhile
	}
	if err != nil {
		return false, true, err
	}
	return strings.TrimSpace(string(procs)) == "", true, nil
}

// hierarchyRoots are the mount points a cgroup path is joined to: v2's
// one tree, or each v1 hierarchy.
func hierarchyRoots(l *cgroups.Layout) []string {
	if l.Mode == cgroups.V2 {
		return []string{l.V2}
	}
	var roots []string
	for mnt := range l.Hierarchies() {
		roots = append(roots, mnt)
	}
	return roots
}
