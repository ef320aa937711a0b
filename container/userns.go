package container

// A container of root's with a user namespace (`run --userns`): its uids
// and gids 0–65535 are a range of host ids that no other container of this
// store uses (podman's --userns=auto), so that neither the host nor its
// neighbours are anything to its root. The ranges come from the
// subordinate ids of the user "kobako":
//
//	echo kobako:2147483647:2147483648 >> /etc/subuid    (and /etc/subgid)
//
// With no such line kobako takes that very pool, the upper half of the id
// space, which podman's documentation suggests for the same purpose:
// far above what useradd hands out (SUB_UID_MAX 600100000 in Debian's
// login.defs), so no user's own rootless containers share it.
//
// The container's layer then belongs to its root (chown), and the way to
// it must be open to that root, who is nobody to the host's directories.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/runtime"
)

// rangeSize is the ids one container gets: 0–65535, what images use.
const rangeSize = 65536

// defaultPool is the ranges taken when /etc/subuid has none for "kobako".
var defaultPool = []runtime.IDRange{{Start: 2147483647, Count: 2147483648}}

// poolOwner is the user whose subordinate ids are the pool.
const poolOwner = "kobako"

// mapUserNamespace gives a spec's user namespace its maps, where the spec
// leaves them to kobako: a free range, claimed while the caller holds the
// store's lock and until config.json is written. It returns the unlock.
func (s *Store) mapUserNamespace(spec *specs.Spec, id string) (unlock func(), err error) {
	unlock = func() {}
	if !hasUserNamespace(spec) || len(spec.Linux.UIDMappings) > 0 {
		return unlock, nil
	}
	// flock $DATA_ROOT/containers — one allocation at a time
	if unlock, err = fileutil.LockDir(s.containersDir()); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unlock()
		}
	}()
	usedUIDs, usedGIDs, err := s.usedRanges(id)
	if err != nil {
		return nil, err
	}
	uid, err := freeRange("/etc/subuid", usedUIDs, s.tracer.Note)
	if err != nil {
		return nil, err
	}
	gid, err := freeRange("/etc/subgid", usedGIDs, s.tracer.Note)
	if err != nil {
		return nil, err
	}
	spec.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uid, Size: rangeSize}}
	spec.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: gid, Size: rangeSize}}
	return unlock, nil
}

func hasUserNamespace(spec *specs.Spec) bool {
	if spec.Linux == nil {
		return false
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.UserNamespace {
			return true
		}
	}
	return false
}

// usedRanges collects the host ranges other containers of the store map.
func (s *Store) usedRanges(self string) (uids, gids []specs.LinuxIDMapping, err error) {
	ids, err := s.ids()
	if err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		if id == self {
			continue
		}
		var spec specs.Spec
		err := fileutil.ReadJSON(filepath.Join(s.containersDir(), id, "config.json"), &spec)
		if errors.Is(err, os.ErrNotExist) {
			continue // being made or removed right now; its range is not claimed
		}
		if err != nil {
			return nil, nil, err
		}
		if spec.Linux != nil {
			uids = append(uids, spec.Linux.UIDMappings...)
			gids = append(gids, spec.Linux.GIDMappings...)
		}
	}
	return uids, gids, nil
}

// freeRange picks the first rangeSize block of the pool in file that no
// used range overlaps.
func freeRange(file string, used []specs.LinuxIDMapping, note func(what, shell string)) (uint32, error) {
	pool, err := runtime.SubIDRanges(file, poolOwner, -1)
	if err != nil {
		return 0, err
	}
	if len(pool) == 0 {
		note(fmt.Sprintf("%s has no range for %q: using %d:%d", file, poolOwner, defaultPool[0].Start, defaultPool[0].Count),
			"grep ^"+poolOwner+": "+file)
		pool = defaultPool
	}
	if start, ok := pickBlock(pool, used, rangeSize); ok {
		return start, nil
	}
	return 0, fmt.Errorf("--userns: every range of %d ids in %s for %q is taken by another container: add one there, or remove a container", rangeSize, file, poolOwner)
}

// pickBlock is the first block of size ids, from the start of one of the
// pool's ranges on, that overlaps none of used.
func pickBlock(pool []runtime.IDRange, used []specs.LinuxIDMapping, size uint32) (uint32, bool) {
	for _, r := range pool {
		end := uint64(r.Start) + uint64(r.Count)
		for start := uint64(r.Start); start+uint64(size) <= end; start += uint64(size) {
			if !overlapsAny(start, uint64(size), used) {
				return uint32(start), true
			}
		}
	}
	return 0, false
}

func overlapsAny(start, size uint64, used []specs.LinuxIDMapping) bool {
	for _, u := range used {
		if start < uint64(u.HostID)+uint64(u.Size) && uint64(u.HostID) < start+size {
			return true
		}
	}
	return false
}

// giveLayerToRoot makes the container's layer its root's, when root makes
// a container with a user namespace (a user's kobako owns it already, and
// its map makes that user root). The container's root needs to write
// upper and work, and to walk to them and to the rootfs mount point; the
// host's root keeps the bundle, which only the container's root group may
// enter (0710), so that no other user of the host reads its files.
func (s *Store) giveLayerToRoot(spec *specs.Spec, bundle string, layer []string) error {
	uid, gid, ok := runtime.NamespaceRoot(spec.Linux)
	if !ok || os.Geteuid() != 0 {
		return nil
	}
	if err := checkSearchable(filepath.Dir(s.dataRoot)); err != nil {
		return fmt.Errorf("--userns: the container's root (uid %d on the host) must reach %s: %w", uid, s.dataRoot, err)
	}
	// chmod 0711 $DATA_ROOT $DATA_ROOT/containers — pass through, not list
	for _, dir := range []string{s.dataRoot, s.containersDir()} {
		if err := os.Chmod(dir, 0o711); err != nil {
			return err
		}
	}
	// chown root:$GID $BUNDLE && chmod 0710 $BUNDLE
	if err := os.Chown(bundle, 0, gid); err != nil {
		return err
	}
	if err := os.Chmod(bundle, 0o710); err != nil {
		return err
	}
	for _, dir := range layer {
		// chown $UID:$GID upper work rootfs
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// checkSearchable refuses a directory, or one above it, that others may
// not walk through (no o+x): the container's root is "others" to it.
func checkSearchable(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for d := abs; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("%s is closed to other users (%v): chmod o+x %s, or choose another --data-root", d, fi.Mode().Perm(), d)
		}
		if d == "/" {
			return nil
		}
	}
}
