package container

// `kobako update`: new limits for a container, running or not. docker's
// update, and runc's (whose `update --resources` the OCI layer adds).
//
// Shell twin, for a running container (cgroup v1, the article's files):
//
//	cgset -r memory.limit_in_bytes=20971520 kobako/$ID
//	cgset -r cpu.cfs_quota_us=50000 kobako/$ID
//
// The limits are also written into the container's config.json, so that
// inspect shows them and its next start applies them again.

import (
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/internal/fileutil"
)

// Update sets the limits r gives (nil fields keep theirs) on c: into its
// cgroup first, where the kernel may refuse them, then into config.json.
func (s *Store) Update(c *Container, r *specs.LinuxResources) error {
	s.narrate(c)
	unlock, err := fileutil.LockDir(c.Bundle)
	if err != nil {
		return err
	}
	defer unlock()
	spec, err := c.Spec()
	if err != nil {
		return err
	}
	if spec.Linux == nil || spec.Linux.CgroupsPath == "" {
		return fmt.Errorf("container %s has no cgroup of its own (a rootless container without a delegated cgroup), so it has no limits to update", c.Name)
	}
	st, err := s.Status(c)
	if err != nil {
		return err
	}
	if st.State == specs.StateRunning {
		mgr, err := s.liveCgroup(c, "updated")
		if err != nil {
			return err
		}
		// cgset -r FILE=VALUE, for just the limits asked for
		if err := mgr.Set(r); err != nil {
			return fmt.Errorf("update container %s: %w", c.Name, err)
		}
	}
	if spec.Linux.Resources == nil {
		spec.Linux.Resources = &specs.LinuxResources{}
	}
	mergeResources(spec.Linux.Resources, r)
	return fileutil.WriteJSON(filepath.Join(c.Bundle, "config.json"), spec)
}

// mergeResources sets in to what r asks for: memory and pids as a whole,
// the CPU settings one by one (--cpus changes the quota and the period
// but keeps --cpu-shares and --cpuset-cpus).
func mergeResources(to, r *specs.LinuxResources) {
	if r.Memory != nil {
		to.Memory = r.Memory
	}
	if r.Pids != nil {
		to.Pids = r.Pids
	}
	if r.CPU == nil {
		return
	}
	if to.CPU == nil {
		to.CPU = &specs.LinuxCPU{}
	}
	if r.CPU.Quota != nil {
		to.CPU.Quota = r.CPU.Quota
	}
	if r.CPU.Period != nil {
		to.CPU.Period = r.CPU.Period
	}
	if r.CPU.Shares != nil {
		to.CPU.Shares = r.CPU.Shares
	}
	if r.CPU.Cpus != "" {
		to.CPU.Cpus = r.CPU.Cpus
	}
}
