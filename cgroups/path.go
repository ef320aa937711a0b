package cgroups

// Where a container's cgroup is, and how it comes to be there. Shell twin
// for an engine's nested path, in each v1 hierarchy:
//
//	mkdir -p /sys/fs/cgroup/memory/libpod_parent/libpod-$ID      # every missing level
//	cat /sys/fs/cgroup/cpuset/cpuset.cpus > /sys/fs/cgroup/cpuset/libpod_parent/cpuset.cpus
//	…                                                            # (cpuset: level by level)
//	rmdir /sys/fs/cgroup/memory/libpod_parent/libpod-$ID         # delete: the leaf only
//
// kobako's own containers go under /kobako (ContainerParent). An engine
// names its own path in config.json ("/default/<id>" from containerd,
// "/docker/<id>", "/libpod_parent/libpod-<id>"): kobako makes whatever is
// missing of it, and on delete removes only the leaf, as runc does — the
// parents are the engine's, and its other containers may be in them.

import (
	"errors"
	"fmt"
	"os"
	"path"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fault"
	"github.com/kobako/kobako/internal/trace"
)

// Parent is the cgroup kobako's own containers live under, at the root of
// each hierarchy: never under the caller's own cgroup, which belongs to
// whoever started kobako.
const Parent = "/kobako"

// ContainerParent is where the cgroup of a container that kobako itself
// creates goes — the one place that decides it (an engine decides its own,
// in config.json). A kobako run by root puts it at the root of each
// hierarchy: /kobako. A user's goes into the subtree delegated to the user
// on cgroup v2 (<delegated>/kobako); where there is none — always on v1 —
// the error wraps ErrNotDelegated and says why, and the caller either runs
// the container in no cgroup of its own or refuses limits.
func ContainerParent(l *Layout, euid int) (string, error) {
	if euid == 0 {
		return Parent, nil
	}
	return DelegatedParent(l)
}

// checkPath accepts only a clean absolute path below the root: a path is
// joined to /sys/fs/cgroup/…, and "../" must not lead out of it.
func checkPath(p string) error {
	if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
		return fmt.Errorf("cgroups path %q must be a clean absolute path like /kobako/<id>", p)
	}
	return nil
}

// levels lists the cgroups from the top down to p, p included:
// "/a/b/c" gives "/a", "/a/b", "/a/b/c".
func levels(p string) []string {
	var out []string
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return out
}

// makePath makes every missing cgroup of cgroupPath under root (a
// hierarchy's mount point), from the top down, and calls prepare(parent,
// dir) after each level: a v1 cpuset copies its CPUs down, v2 enables
// controllers in the parent. A level that exists already is prepared too,
// since whoever made it may not have done so (prepare writes only what is
// missing).
//
// Another kobako may be destroying a container at the same moment, and
// take an empty /kobako with it between our mkdir of /kobako and the one
// below it: then the lower mkdir fails with ENOENT, or prepare with ENOENT,
// or with ENODEV if the cgroup went while one of its files was open (the
// kernel's answer to reading a removed cgroup's file). Start again from
// the top, a few times.
func makePath(tr *trace.Tracer, root, cgroupPath string, prepare func(parent, dir string) error) error {
	// fault point cgroup-mkdir (internal/fault): a test build fails here;
	// cgroup-mkdir:N in the Nth hierarchy this process makes a cgroup in
	if err := fault.Check("cgroup-mkdir"); err != nil {
		return fmt.Errorf("mkdir %s: %w", root+cgroupPath, err)
	}
	var err error
	for try := 0; try < 10; try++ {
		if err = makeLevels(tr, root, cgroupPath, prepare); err == nil || !parentGone(err) {
			break
		}
	}
	return err
}

// makeLevels is one try of makePath.
func makeLevels(tr *trace.Tracer, root, cgroupPath string, prepare func(parent, dir string) error) error {
	parent := root
	for _, level := range levels(cgroupPath) {
		dir := root + level
		// mkdir $DIR (mkdir -p, one level at a time)
		if err := mkdir(tr, dir); err != nil {
			return err
		}
		if prepare != nil {
			if err := prepare(parent, dir); err != nil {
				return err
			}
		}
		parent = dir
	}
	return nil
}

// parentGone says whether err is what a cgroup removed under us gives.
func parentGone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENODEV)
}

// removeOwnParent removes the parent of cgroupPath under root once no
// container is left in it — if it is kobako's own (/kobako, or a user's
// <delegated>/kobako). An engine's parents (/default, /docker,
// /libpod_parent) stay, as runc leaves them: they are the engine's.
// Another kobako may be creating a container in /kobako right now: then
// rmdir fails (ENOTEMPTY or EBUSY) and /kobako stays, which is right; the
// creating side starts again if /kobako vanished under it (makePath).
func removeOwnParent(tr *trace.Tracer, root, cgroupPath string) {
	parent := path.Dir(cgroupPath)
	if path.Base(parent) != path.Base(Parent) {
		return
	}
	dir := root + parent
	// rmdir $PARENT (fails, and is meant to, while a container is left)
	if err := os.Remove(dir); err == nil {
		tr.Step("remove the parent cgroup", "rmdir "+dir, fmt.Sprintf("os.Remove(%q)", dir), nil)
	}
}
