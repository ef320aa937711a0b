package runtime

// The parent's part of the cgroup chapter: before the init may go on, put
// it into its cgroup and write the limits — the article's `cgexec`, which
// joins first and runs the command after, so that the command never runs
// a moment unlimited. The init then unshares its cgroup namespace, and its
// cgroup becomes its "/".

import (
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/internal/undo"
	"github.com/kobako/kobako/rootfs"
)

// joinCgroup creates the spec's cgroup, moves the init in and sets the
// limits. A spec without cgroupsPath gets no cgroup of its own.
func (r *Runtime) joinCgroup(spec *specs.Spec, layout *cgroups.Layout, p *Process, u *undo.Stack) error {
	if spec.Linux == nil || spec.Linux.CgroupsPath == "" {
		return nil
	}
	mgr, err := cgroups.New(layout, spec.Linux.CgroupsPath, r.Tracer)
	if err != nil {
		return err
	}
	r.Tracer.Note("this host uses "+layout.Mode.String(), "stat -f -c %T /sys/fs/cgroup")
	// Undo: the init must be gone before its cgroup can be removed.
	u.Push(func() error { p.kill(); return mgr.Destroy() })
	if err := mgr.Apply(p.Pid); err != nil {
		return fmt.Errorf("join cgroup %s: %w", spec.Linux.CgroupsPath, err)
	}
	if err := mgr.Set(spec.Linux.Resources); err != nil {
		return fmt.Errorf("set cgroup limits: %w", err)
	}
	return nil
}

// Cgroup returns the manager of a container's cgroup, or nil if it has
// none, for usage and out-of-memory reports.
func (r *Runtime) Cgroup(id string) (cgroups.Manager, error) {
	st, err := r.loadState(id)
	if err != nil {
		return nil, err
	}
	return r.managerOf(st)
}

func (r *Runtime) managerOf(st *State) (cgroups.Manager, error) {
	if st.CgroupsPath == "" {
		return nil, nil
	}
	layout, err := cgroups.Detect()
	if err != nil {
		return nil, err
	}
	return cgroups.New(layout, st.CgroupsPath, r.Tracer)
}

// cgroupfsFor tells the init how to mount /sys/fs/cgroup: what this host
// has, v2's one tree or v1's hierarchies, and the container's own cgroup
// there ("" for none: it sees none).
func cgroupfsFor(l *cgroups.Layout, linux *specs.Linux) *rootfs.Cgroupfs {
	var cgroupPath string
	if linux != nil {
		cgroupPath = linux.CgroupsPath
	}
	if l.Mode == cgroups.V2 {
		return &rootfs.Cgroupfs{V2: true, Host: l.V2, Path: cgroupPath}
	}
	cg := rootfs.Cgroupfs{Path: cgroupPath}
	for mnt, controllers := range l.Hierarchies() {
		cg.V1 = append(cg.V1, rootfs.CgroupHierarchy{Dir: filepath.Base(mnt), Host: mnt, Controllers: controllers})
	}
	return &cg
}
