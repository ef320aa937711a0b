package container

// Orphans: what a kobako killed between two system calls leaves that no
// record leads to. Create writes the record before it makes anything
// else (create.go), so a kill almost always leaves a record, which ps -a
// shows and rm -f removes. What is left is the gap before the record and
// the odd leftover of an older kobako:
//
//	ls $DATA_ROOT/containers/$ID          # no container.json in it
//	readlink $DATA_ROOT/names/$NAME        # an id whose directory is gone
//	ls $ROOT/$ID                           # exec.fifo, no state.json
//	ls /sys/fs/cgroup/*/kobako/$ID         # no process in it
//
// The next kobako that takes the store's lock for a change (run, create,
// rm, prune) removes them, and says so in one line; system prune also
// removes idle cgroups under /kobako that nothing here names.
//
// Shell twin of the whole sweep:
//
//	flock $DATA_ROOT/containers sh -c '
//	  for d in containers/*; do [ -e $d/container.json ] || rm -rf $d; done
//	  for n in names/*; do [ -d containers/$(readlink $n) ] || rm $n; done'
//	flock $ROOT sh -c 'for d in $ROOT/*; do
//	  [ -e $d/state.json ] || flock -n $d rm -rf $d; done'

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/runtime"
)

// strayAge is how long a cgroup under /kobako that nothing in this store
// names must have been left unchanged before system prune removes it: it
// may be another store's (another --root and --data-root), whose
// container stopped or is being made right now. Its own kobako never
// leaves one that long.
const strayAge = 10 * time.Minute

// lockStore takes the store's lock, flock of <data-root>/containers: a
// create takes it shared while it makes a directory and its record, a
// sweep whole while it looks, so a sweep never meets a directory without
// a record that is still being made. (A user namespace's range is claimed
// under it too, whole: userns.go.)
func (s *Store) lockStore(how int) (unlock func(), err error) {
	if err := os.MkdirAll(s.containersDir(), 0o700); err != nil {
		return nil, err
	}
	return fileutil.FlockDir(s.containersDir(), how)
}

// Sweep removes what killed kobako commands left that no record leads to,
// and returns of how many containers. With strays, it also removes the
// idle cgroups under kobako's parent that no container of this store
// names (system prune). Records, even of containers whose maker died, are
// left alone: ps -a shows them, rm removes them.
func (s *Store) Sweep(strays bool) (int, error) {
	gone := map[string]bool{}
	var errs []error
	unlock, err := fileutil.FlockDir(s.containersDir(), unix.LOCK_EX)
	switch {
	case err == nil:
		// Held until the end: the store's lock, then the runtime's,
		// always in this order.
		defer unlock()
		errs = append(errs, s.sweepDirs(gone), s.sweepNames())
	case !errors.Is(err, os.ErrNotExist):
		return 0, err
	}
	ids, err := s.rt.RemoveAborted()
	for _, id := range ids {
		gone[id] = true
	}
	errs = append(errs, err, s.sweepCgroups(gone, strays))
	return len(gone), errors.Join(errs...)
}

// sweepDirs removes the container directories without a record: made by
// a create killed before it wrote one. A directory whose lock is held is
// being removed by rm right now (remove.go).
func (s *Store) sweepDirs(gone map[string]bool) error {
	ids, err := s.ids()
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		dir := filepath.Join(s.containersDir(), id)
		if _, err := os.Lstat(filepath.Join(dir, "container.json")); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		unlock, err := fileutil.FlockDir(dir, unix.LOCK_EX|unix.LOCK_NB)
		if err != nil {
			continue // rm is at it, or it is gone already
		}
		// rm -rf $CONTAINER
		err = os.RemoveAll(dir)
		unlock()
		s.tracer.Step("remove a container dir without a record", "rm -rf "+dir, "os.RemoveAll(dir)", err)
		if err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", dir, err))
			continue
		}
		gone[id] = true
	}
	return errors.Join(errs...)
}

// sweepNames removes the names that lead to no directory: claimed by an
// older kobako before its record, left by one killed in its rm, or by
// sweepDirs just now. A name alone is no container: it is not counted
// (a name that leads nowhere is no container to rm either).
func (s *Store) sweepNames() error {
	entries, err := os.ReadDir(s.namesDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", s.namesDir(), err)
	}
	for _, e := range entries {
		s.dropStaleName(e.Name())
	}
	return nil
}

// sweepCgroups removes the idle cgroups of the ids whose leftovers went —
// theirs by their id — and, with strays, the idle ones under the parent
// that nothing of this store names and that nothing changed for strayAge.
func (s *Store) sweepCgroups(gone map[string]bool, strays bool) error {
	if len(gone) == 0 && !strays {
		return nil
	}
	parent, err := cgroupParent()
	if err != nil || parent == "" {
		return err // no cgroups of ours here (a user's without delegation)
	}
	var errs []error
	for id := range gone {
		if validHexID(id) {
			_, err := s.rt.RemoveIdleCgroup(parent+"/"+id, 0)
			errs = append(errs, err)
		}
	}
	if !strays {
		return errors.Join(errs...)
	}
	children, err := runtime.CgroupChildren(parent)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, id := range children {
		if !validHexID(id) || gone[id] || s.knows(id) {
			continue
		}
		removed, err := s.rt.RemoveIdleCgroup(parent+"/"+id, strayAge)
		if removed {
			gone[id] = true
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// knows says whether this store has anything of id: its directory, or
// its runtime state.
func (s *Store) knows(id string) bool {
	for _, dir := range []string{filepath.Join(s.containersDir(), id), filepath.Join(s.root, id)} {
		if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
			return true
		}
	}
	return false
}
