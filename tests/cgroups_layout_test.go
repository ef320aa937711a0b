package tests

// Finding a container's cgroup directories from the host, on v1 and v2,
// for cgroups_test.go. Only reading: kobako alone writes cgroup files.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cgroupLayout is what the host mounts: v1 controller hierarchies, or (v2)
// one cgroup2 tree holding every controller.
type cgroupLayout struct {
	v2     bool
	mounts []string          // every cgroup and cgroup2 mount point, unified included
	v1     map[string]string // v1: controller → its hierarchy's mount point
	root   string            // v2: the cgroup2 mount point
}

// parseCgroupLayout picks the cgroup mounts out of mountinfo lines. Which
// words of a v1 mount's super options are controllers ("rw,cpu,cpuacct",
// "rw,name=systemd") is told by known, the kernel's list (/proc/cgroups).
// A hybrid host — v1 controllers beside a controller-less cgroup2 — is v1.
func parseCgroupLayout(t *testing.T, mountinfo []string, known map[string]bool) cgroupLayout {
	t.Helper()
	l := cgroupLayout{v1: map[string]string{}}
	for _, line := range mountinfo {
		m := parseMountinfoLine(t, line)
		switch m.fsType {
		case "cgroup":
			fields := strings.Fields(line) // the super options come last
			for _, opt := range strings.Split(fields[len(fields)-1], ",") {
				if known[opt] {
					l.v1[opt] = m.mountPoint
				}
			}
		case "cgroup2":
			if l.root == "" || m.mountPoint == "/sys/fs/cgroup" {
				l.root = m.mountPoint
			}
		default:
			continue
		}
		l.mounts = append(l.mounts, m.mountPoint)
	}
	l.v2 = len(l.v1) == 0 && l.root != ""
	return l
}

// parseProcCgroups returns the controller names of /proc/cgroups
// ("#subsys_name hierarchy num_cgroups enabled", then one line each).
func parseProcCgroups(data string) map[string]bool {
	names := map[string]bool{}
	for _, line := range strings.Split(data, "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
			names[f[0]] = true
		}
	}
	return names
}

// hostCgroups reads the host's cgroup layout. A host without a cgroup file
// system, or a guest that is not the v2 one it says, cannot run the tests.
func hostCgroups(t *testing.T) cgroupLayout {
	t.Helper()
	data, err := os.ReadFile("/proc/cgroups")
	if err != nil {
		missing(t, "/proc/cgroups: %v", err)
	}
	l := parseCgroupLayout(t, readMountinfo(t), parseProcCgroups(string(data)))
	if !l.v2 && len(l.v1) == 0 {
		missing(t, "no cgroup file system is mounted")
	}
	if inGuest() && !l.v2 {
		t.Fatalf("KOBAKO_GUEST=cgroup2, but the host mounts cgroup v1 hierarchies: %v", l.v1)
	}
	return l
}

// inGuest says whether the tests run in the cgroup v2 guest, under TCG,
// where CPU-bound code is 20–35× slower than on the host.
func inGuest() bool { return os.Getenv("KOBAKO_GUEST") == "cgroup2" }

// dir is the container's cgroup directory that holds controller's files:
// v1 in that controller's hierarchy, v2 in the one tree.
func (l cgroupLayout) dir(t *testing.T, controller, id string) string {
	t.Helper()
	if l.v2 {
		return filepath.Join(l.root, "kobako", id)
	}
	mnt, ok := l.v1[controller]
	if !ok {
		missing(t, "the cgroup v1 %s controller is not mounted", controller)
	}
	return filepath.Join(mnt, "kobako", id)
}

// containerDirs lists where the container's cgroup must be: in every v1
// hierarchy holding a controller, as runc does, or in the v2 tree.
func (l cgroupLayout) containerDirs(id string) []string {
	if l.v2 {
		return []string{filepath.Join(l.root, "kobako", id)}
	}
	var dirs []string
	for _, mnt := range l.v1 {
		if dir := filepath.Join(mnt, "kobako", id); !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	slices.Sort(dirs)
	return dirs
}

// kobakoDirs lists the cgroup directories kobako/<prefix>* in every
// cgroup mount: a container's, found by its id or a prefix of it.
func (l cgroupLayout) kobakoDirs(t *testing.T, prefix string) []string {
	t.Helper()
	var dirs []string
	for _, mnt := range l.mounts {
		for _, name := range dirEntries(t, filepath.Join(mnt, "kobako")) {
			p := filepath.Join(mnt, "kobako", name)
			if fi, err := os.Stat(p); err == nil && fi.IsDir() && strings.HasPrefix(name, prefix) {
				dirs = append(dirs, p)
			}
		}
	}
	return dirs
}

// expectGone fails the test if a cgroup of the container id (or id prefix)
// is left in any hierarchy after what.
func (l cgroupLayout) expectGone(t *testing.T, id, what string) {
	t.Helper()
	if !regexp.MustCompile(`^[0-9a-f]{12,64}$`).MatchString(id) {
		t.Fatalf("after %s: %q is not a container id", what, id)
	}
	if left := l.kobakoDirs(t, id); len(left) > 0 {
		t.Errorf("cgroups left after %s: %v", what, left)
	}
}

// readCgroupFile reads one cgroup file, trimmed.
func readCgroupFile(t *testing.T, dir, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// parseFlatKeyed reads a "key value" per line file such as cpu.stat,
// pids.events or memory.events.
func parseFlatKeyed(data string) map[string]uint64 {
	m := map[string]uint64{}
	scan := bufio.NewScanner(strings.NewReader(data))
	for scan.Scan() {
		if f := strings.Fields(scan.Text()); len(f) == 2 {
			if v, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				m[f[0]] = v
			}
		}
	}
	return m
}

// cgroupCounter reads one counter of a flat-keyed file of the container's
// cgroup, such as cpu.stat nr_throttled.
func (l cgroupLayout) cgroupCounter(t *testing.T, controller, id, file, key string) uint64 {
	t.Helper()
	stat := parseFlatKeyed(readCgroupFile(t, l.dir(t, controller, id), file))
	v, ok := stat[key]
	if !ok {
		t.Fatalf("%s of %s has no %s", file, id, key)
	}
	return v
}

// cpuUsage is the CPU time the container's cgroup has used, by the
// kernel's own accounting: v1 cpuacct.usage (ns), v2 cpu.stat usage_usec.
func (l cgroupLayout) cpuUsage(t *testing.T, id string) time.Duration {
	t.Helper()
	if l.v2 {
		return time.Duration(l.cgroupCounter(t, "cpu", id, "cpu.stat", "usage_usec")) * time.Microsecond
	}
	ns, err := strconv.ParseInt(readCgroupFile(t, l.dir(t, "cpuacct", id), "cpuacct.usage"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(ns)
}

// checkPlacement reads /proc/<pid>/cgroup from the host: the container's
// init is in /kobako/<id> in every controller's hierarchy (v1), or in the
// one tree (v2, the "0::" line).
func (l cgroupLayout) checkPlacement(t *testing.T, pid int, id string) {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	want := "/kobako/" + id
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		hier, path, _ := strings.Cut(line, ":")        // "4:memory:/kobako/<id>"
		controllers, path, _ := strings.Cut(path, ":") // "0::/kobako/<id>" on v2
		ours := controllers != "" && !strings.HasPrefix(controllers, "name=")
		if l.v2 {
			ours = hier == "0"
		}
		if ours && path != want {
			t.Errorf("/proc/%d/cgroup: %q, want %s", pid, line, want)
		}
	}
}

// cgroupFile is one value that kobako must have written.
type cgroupFile struct {
	controller, name, value string
	optional                bool // a file that needs a kernel option (swap accounting)
}

// expectPresent fails the test unless the container's cgroup is in every
// hierarchy.
func (l cgroupLayout) expectPresent(t *testing.T, id string) {
	t.Helper()
	for _, dir := range l.containerDirs(id) {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("the container's cgroup: %v", err)
		}
	}
}

// checkFiles compares the container's cgroup files with what the flags asked.
func (l cgroupLayout) checkFiles(t *testing.T, id string, files []cgroupFile, flags string) {
	t.Helper()
	for _, f := range files {
		dir := l.dir(t, f.controller, id)
		if _, err := os.Stat(filepath.Join(dir, f.name)); err != nil && f.optional {
			t.Logf("%s: %v (the kernel's option for it is off)", f.name, err)
			continue
		}
		if got := readCgroupFile(t, dir, f.name); got != f.value {
			t.Errorf("%s with %s: %q, want %q", f.name, flags, got, f.value)
		}
	}
}
