package tutorial

// Reading a container's cgroup files, in v1 (one hierarchy per controller,
// the article's Ubuntu 18.04) and v2 (one tree, Ubuntu 22.04+): the cgroup
// chapter's checks and its live CPU gauge read the kernel's own counters.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// cgroupVersion is "v2" when /sys/fs/cgroup is a cgroup2 file system, "v1"
// otherwise (a hybrid host, with an empty cgroup2 at unified/, is v1).
// Shell twin: stat -f -c %T /sys/fs/cgroup
func cgroupVersion() string {
	var fs unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &fs); err == nil && fs.Type == unix.CGROUP2_SUPER_MAGIC {
		return "v2"
	}
	return "v1"
}

// cgroupFile is the path of one control file of the container's cgroup:
// /sys/fs/cgroup/CONTROLLER/PATH/FILE on v1, /sys/fs/cgroup/PATH/FILE on v2.
func cgroupFile(version, controller, path, file string) string {
	if version == "v2" {
		return filepath.Join("/sys/fs/cgroup", path, file)
	}
	return filepath.Join("/sys/fs/cgroup", controller, path, file)
}

// flatKey reads "key value" lines (memory.events, cpu.stat,
// memory.oom_control) and returns one key's value.
// Shell twin: awk '$1 == "KEY" {print $2}' FILE
func flatKey(file, key string) (uint64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == key {
			return strconv.ParseUint(fields[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", file, key)
}

// oomKills is how many times the kernel's OOM killer killed a process of
// the cgroup: v1 memory.oom_control, v2 memory.events, both "oom_kill N".
func oomKills(version, path string) (uint64, error) {
	if version == "v2" {
		return flatKey(cgroupFile(version, "memory", path, "memory.events"), "oom_kill")
	}
	return flatKey(cgroupFile(version, "memory", path, "memory.oom_control"), "oom_kill")
}

// cpuUsage is the CPU time the cgroup has used, in nanoseconds: v1
// cpuacct.usage, v2 cpu.stat's usage_usec.
func cpuUsage(version, path string) (uint64, error) {
	if version == "v2" {
		usec, err := flatKey(cgroupFile(version, "cpu", path, "cpu.stat"), "usage_usec")
		return usec * 1000, err
	}
	data, err := os.ReadFile(cgroupFile(version, "cpuacct", path, "cpuacct.usage"))
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
}

// throttled is how many periods the quota stopped the cgroup (cpu.stat's
// nr_throttled, in both versions).
func throttled(version, path string) (uint64, error) {
	return flatKey(cgroupFile(version, "cpu", path, "cpu.stat"), "nr_throttled")
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
