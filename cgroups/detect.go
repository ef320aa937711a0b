// Package cgroups is the article's cgroup chapter: it limits what a
// container may use (memory, CPU, processes) by creating a directory in the
// cgroup file system, writing limits into its files and moving the
// container's init into it — by hand, file by file, so that each write can
// be read next to its shell twin.
//
// Linux has two cgroup file systems. Ubuntu 18.04 and 20.04 (the article's)
// mount cgroup v1: one hierarchy per controller, /sys/fs/cgroup/memory,
// /sys/fs/cgroup/cpu … Ubuntu 22.04 and later mount cgroup v2: one tree at
// /sys/fs/cgroup holding every controller's files. v1.go and v2.go do the
// same job for each, behind one Manager.
package cgroups

// Detection: which cgroup file system does this host use? Shell twin:
//
//	stat -f -c %T /sys/fs/cgroup     # cgroup2fs on v2, tmpfs on v1
//	grep cgroup /proc/self/mountinfo
//
// A "hybrid" host (v1 controllers, plus an empty cgroup2 at
// /sys/fs/cgroup/unified, as Ubuntu 18.04 and the CI machines have) is v1:
// the v2 tree there holds no controllers and limits nothing.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Mode is the cgroup version kobako drives.
type Mode int

const (
	V1 Mode = 1
	V2 Mode = 2
)

func (m Mode) String() string { return fmt.Sprintf("cgroup v%d", int(m)) }

// Layout is where the host mounts its cgroup file systems.
type Layout struct {
	Mode Mode
	// V1: controller → mount point, e.g. "memory" → /sys/fs/cgroup/memory.
	// Co-mounted controllers ("cpu,cpuacct") share one mount point.
	V1 map[string]string
	// V2: the mount point of the cgroup2 tree.
	V2 string
}

// Detect reads /proc/self/mountinfo — once per process: the host's cgroup
// mounts do not change under a running kobako, and state, kill, ps and
// pause ask for them for every container they look at. The Layout it
// returns is shared: read it, never change it.
func Detect() (*Layout, error) {
	return detectOnce()
}

var detectOnce = sync.OnceValues(func() (*Layout, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseMountinfo(f)
})

// ErrNoCgroupfs is ParseMountinfo's answer for a host with no cgroup
// file system mounted at all.
var ErrNoCgroupfs = errors.New("no cgroup file system is mounted: mount cgroup2 on /sys/fs/cgroup")

// ParseMountinfo finds the cgroup mounts in a mountinfo listing (see
// proc(5): the fields after " - " are type, source and super options).
func ParseMountinfo(r io.Reader) (*Layout, error) {
	l := &Layout{V1: map[string]string{}}
	scan := bufio.NewScanner(r)
	for scan.Scan() {
		fields := strings.Fields(scan.Text())
		sep := indexOf(fields, "-")
		if sep < 5 || sep+3 >= len(fields) {
			continue
		}
		mountPoint, fstype, superOpts := fields[4], fields[sep+1], fields[sep+3]
		switch fstype {
		case "cgroup":
			for _, opt := range strings.Split(superOpts, ",") {
				if knownV1Controller[opt] {
					l.V1[opt] = mountPoint
				}
			}
		case "cgroup2":
			if l.V2 == "" || mountPoint == "/sys/fs/cgroup" {
				l.V2 = mountPoint
			}
		}
	}
	if err := scan.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	switch {
	case len(l.V1) > 0:
		l.Mode = V1
	case l.V2 != "":
		l.Mode = V2
	default:
		return nil, ErrNoCgroupfs
	}
	return l, nil
}

func indexOf(fields []string, s string) int {
	for i, f := range fields {
		if f == s {
			return i
		}
	}
	return -1
}

// knownV1Controller lists the v1 controllers (the super options of a v1
// mount also hold words like "rw" and "name=systemd", which are not).
var knownV1Controller = map[string]bool{
	"cpu": true, "cpuacct": true, "cpuset": true, "memory": true, "devices": true,
	"freezer": true, "net_cls": true, "net_prio": true, "blkio": true, "perf_event": true,
	"hugetlb": true, "pids": true, "rdma": true, "misc": true,
}

// Controllers lists the controllers available, sorted.
func (l *Layout) Controllers() ([]string, error) {
	if l.Mode == V1 {
		names := make([]string, 0, len(l.V1))
		for c := range l.V1 {
			names = append(names, c)
		}
		sort.Strings(names)
		return names, nil
	}
	// cat /sys/fs/cgroup/cgroup.controllers
	data, err := os.ReadFile(filepath.Join(l.V2, "cgroup.controllers"))
	if err != nil {
		return nil, err
	}
	names := strings.Fields(string(data))
	sort.Strings(names)
	return names, nil
}

// Hierarchies lists the v1 mount points, each once, with the controllers
// mounted there ("/sys/fs/cgroup/cpu,cpuacct" → "cpu,cpuacct").
func (l *Layout) Hierarchies() map[string]string {
	byMount := map[string][]string{}
	for c, m := range l.V1 {
		byMount[m] = append(byMount[m], c)
	}
	out := make(map[string]string, len(byMount))
	for m, cs := range byMount {
		sort.Strings(cs)
		out[m] = strings.Join(cs, ",")
	}
	return out
}
