package cgroups

import (
	"strings"
	"testing"
)

const hybridMountinfo = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

const ubuntu18Mountinfo = `25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup rw
31 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct
`

const unifiedMountinfo = `22 1 0:21 / /sys rw - sysfs sysfs rw
25 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`

func TestParseMountinfo(t *testing.T) {
	tests := []struct {
		name, mountinfo string
		mode            Mode
		v1              map[string]string
		v2              string
	}{
		{"hybrid (CI)", hybridMountinfo, V1, map[string]string{
			"cpu": "/sys/fs/cgroup/cpu", "cpuacct": "/sys/fs/cgroup/cpuacct",
			"memory": "/sys/fs/cgroup/memory", "pids": "/sys/fs/cgroup/pids"}, "/sys/fs/cgroup/unified"},
		{"ubuntu 18.04, co-mounted", ubuntu18Mountinfo, V1, map[string]string{
			"cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct"}, "/sys/fs/cgroup/unified"},
		{"unified (22.04+)", unifiedMountinfo, V2, map[string]string{}, "/sys/fs/cgroup"},
	}
	for _, tt := range tests {
		l, err := ParseMountinfo(strings.NewReader(tt.mountinfo))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if l.Mode != tt.mode || l.V2 != tt.v2 || len(l.V1) != len(tt.v1) {
			t.Errorf("%s: got mode %v v2 %q v1 %v", tt.name, l.Mode, l.V2, l.V1)
		}
		for c, m := range tt.v1 {
			if l.V1[c] != m {
				t.Errorf("%s: controller %s at %q, want %q", tt.name, c, l.V1[c], m)
			}
		}
	}
	if _, err := ParseMountinfo(strings.NewReader("22 1 0:21 / /sys rw - sysfs sysfs rw\n")); err == nil {
		t.Error("no cgroup mounts: want an error")
	}
	l, _ := ParseMountinfo(strings.NewReader(ubuntu18Mountinfo))
	if h := l.Hierarchies(); h["/sys/fs/cgroup/cpu,cpuacct"] != "cpu,cpuacct" || len(h) != 1 {
		t.Errorf("Hierarchies() = %v", h)
	}
}
