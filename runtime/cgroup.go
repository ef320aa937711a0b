package runtime

// The parent's part of the cgroup chapter: before the init may go on, put
// it into its cgroup and write the limits — the article's `cgexec`, which
// joins first and runs the command after, so that the command never runs
// a moment unlimited. The init then unshares its cgroup namespace, and its
// cgroup becomes its "/".

import (
	"errors"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/internal/undo"
	"github.com/kobako/kobako/rootfs"
	"github.com/kobako/kobako/runtime/initproc"
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

// checkCgroup refuses at create time, before anything is made, what
// joinCgroup would refuse later (cgroups.Check): an engine must hear "no"
// before it is told "created". Limits with no cgroupsPath are refused
// too: they would be silently not applied. (runc would then make a cgroup
// under its own; kobako never nests under its caller's cgroup, so the
// caller chooses: cgroups.ContainerParent.)
func checkCgroup(linux *specs.Linux) error {
	if linux == nil {
		return nil
	}
	if linux.CgroupsPath == "" {
		if asksForLimits(linux.Resources) {
			return errors.New("linux.resources needs linux.cgroupsPath: set it (like /kobako/<id>), or drop the limits")
		}
		return nil
	}
	layout, err := cgroups.Detect()
	if err != nil {
		return err
	}
	return cgroups.Check(layout, linux.CgroupsPath, linux.Resources)
}

// asksForLimits says whether r asks the cgroup for anything.
func asksForLimits(r *specs.LinuxResources) bool {
	return r != nil && (r.Memory != nil || r.CPU != nil || r.Pids != nil || r.BlockIO != nil || len(r.Devices) > 0 ||
		len(r.Unified) > 0 || len(r.HugepageLimits) > 0 || r.Network != nil || len(r.Rdma) > 0)
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
	// Without a cgroup namespace of its own (podman's and docker's configs)
	// a fresh mount would show the host's root: bind the container's own.
	bindOwn := !initproc.NewNamespace(linux, specs.CgroupNamespace)
	if l.Mode == cgroups.V2 {
		return &rootfs.Cgroupfs{V2: true, Host: l.V2, Path: cgroupPath, BindOwn: bindOwn}
	}
	cg := rootfs.Cgroupfs{Path: cgroupPath, BindOwn: bindOwn}
	for mnt, controllers := range l.Hierarchies() {
		cg.V1 = append(cg.V1, rootfs.CgroupHierarchy{Dir: filepath.Base(mnt), Host: mnt, Controllers: controllers})
	}
	return &cg
}
