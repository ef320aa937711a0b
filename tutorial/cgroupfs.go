package tutorial

// A container's cgroup, in v1 (one hierarchy per controller, the article's
// Ubuntu 18.04) and v2 (one tree, Ubuntu 22.04+): the cgroup chapter's
// checks and its live CPU gauge read the kernel's own counters through
// kobako's cgroups package, and name the files they come from.

import (
	"fmt"
	"path/filepath"

	"github.com/kobako/kobako/cgroups"
)

// detectCgroups finds this host's cgroup layout as kobako does: "v2"
// when /sys/fs/cgroup is one cgroup2 tree, "v1" otherwise (a hybrid host,
// with an empty cgroup2 at unified/, is v1). No cgroups at all is v1 with
// no layout: doctor blocks the cgroup chapter then.
// Shell twin: stat -f -c %T /sys/fs/cgroup
func detectCgroups() (*cgroups.Layout, string) {
	l, err := cgroups.Detect()
	if err != nil {
		return nil, "v1"
	}
	if l.Mode == cgroups.V2 {
		return l, "v2"
	}
	return l, "v1"
}

// cgroupFile is the path of one control file of the container's cgroup:
// /sys/fs/cgroup/CONTROLLER/PATH/FILE on v1, /sys/fs/cgroup/PATH/FILE on v2.
func cgroupFile(version, controller, path, file string) string {
	if version == "v2" {
		return filepath.Join("/sys/fs/cgroup", path, file)
	}
	return filepath.Join("/sys/fs/cgroup", controller, path, file)
}

// cgroupStats reads the container's cgroup through kobako's own manager:
// the same files kobako stats reads (usage, peak, CPU time, throttling,
// OOM kills), v1 or v2.
func (s *Session) cgroupStats(c *Container) (*cgroups.Stats, error) {
	if s.layout == nil || c.Cgroup == nil {
		return nil, fmt.Errorf("%s has no cgroup to read", c.Name)
	}
	mgr, err := cgroups.New(s.layout, c.Cgroup.Path, nil)
	if err != nil {
		return nil, err
	}
	return mgr.Stats()
}

// limitFiles names the memory limit and CPU quota files of one version, as
// the container sees them at its own /sys/fs/cgroup (its cgroup namespace
// makes its cgroup the root).
func limitFiles(version string) (memory, cpu string) {
	if version == "v2" {
		return "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/cpu.max"
	}
	return "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"
}

// otherVersion is the version this host does not use.
func otherVersion(version string) string {
	if version == "v2" {
		return "v1"
	}
	return "v2"
}
