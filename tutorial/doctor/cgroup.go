package doctor

// The cgroup file system: which version, and which controllers are usable.
// Shell twin (the article's 4.2, and its v2 table):
//
//	stat -f -c %T /sys/fs/cgroup        # tmpfs: v1 (or hybrid); cgroup2fs: v2
//	grep cgroup /proc/self/mountinfo    # one v1 mount per controller, or one cgroup2
//	cat /proc/cgroups                   # the "enabled" column: 0 when off at boot
//	cat /sys/fs/cgroup/cgroup.controllers   # v2: the controllers the root offers
//
// A hybrid host (Ubuntu 18.04/20.04, Debian 10, this project's CI) mounts
// the v1 controllers and, beside them, an empty cgroup2 at
// /sys/fs/cgroup/unified: kobako drives v1 there, as cgroups/detect.go does.

import (
	"bufio"
	"errors"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/kobako/kobako/cgroups"
)

// cgroupMode is what mountinfo says about the cgroup mounts.
type cgroupMode struct {
	Mode string            // "v1", "hybrid", "v2", or "none"
	V1   map[string]string // controller → mount point
	V2   string            // the cgroup2 mount point ("" when none)
	Err  error             // mountinfo could not be read
}

// readCgroupMode: grep cgroup /proc/self/mountinfo.
func readCgroupMode(h Host) cgroupMode {
	f, err := os.Open(h.procPath("self/mountinfo"))
	if err != nil {
		return cgroupMode{Mode: "none", Err: err}
	}
	defer f.Close()
	m, err := parseCgroupMounts(f)
	m.Err = err
	return m
}

// parseCgroupMounts finds the cgroup mounts in a mountinfo listing, as
// kobako itself does (cgroups.ParseMountinfo), and names the mode: a host
// with v1 controllers and a cgroup2 mount beside them is "hybrid", which
// kobako runs as v1.
func parseCgroupMounts(r io.Reader) (cgroupMode, error) {
	l, err := cgroups.ParseMountinfo(r)
	if err != nil {
		if errors.Is(err, cgroups.ErrNoCgroupfs) {
			return cgroupMode{Mode: "none", V1: map[string]string{}}, nil
		}
		return cgroupMode{Mode: "none", V1: map[string]string{}}, err
	}
	m := cgroupMode{V1: l.V1, V2: l.V2}
	switch {
	case len(m.V1) > 0 && m.V2 != "":
		m.Mode = "hybrid"
	case len(m.V1) > 0:
		m.Mode = "v1"
	default:
		m.Mode = "v2"
	}
	return m, nil
}

// checkCgroup reports the version and mode.
func checkCgroup(m cgroupMode) Finding {
	args := map[string]string{"mode": m.Mode, "v2": m.V2}
	if m.Mode == "none" {
		// no cgroups, no limits: kobako run refuses to start a container
		return fail("cgroup", GroupKernel, "none", containerChapters, args)
	}
	return found("cgroup", GroupKernel, OK, m.Mode, args)
}

// neededControllers are those the cgroup chapter uses: memory for the
// 10 MB limit, cpu for the 30 % quota, and on v1 cpuacct, whose usage
// counter the CPU gauge reads (v2 has it in cpu.stat).
func neededControllers(mode string) []string {
	if mode == "v2" {
		return []string{"cpu", "memory"}
	}
	return []string{"cpu", "cpuacct", "memory"}
}

// checkControllers says which controllers are usable: enabled at boot
// (/proc/cgroups) and offered by the hierarchy (a v1 mount, or the v2
// root's cgroup.controllers).
func checkControllers(h Host, m cgroupMode) Finding {
	if m.Mode == "none" {
		return found("cgroup-controllers", GroupKernel, Warn, "unknown", nil)
	}
	enabled := readProcCgroups(h)
	usable := map[string]bool{}
	if m.Mode == "v2" {
		// cat /sys/fs/cgroup/cgroup.controllers
		list, _, _ := readTrimmed(h.sysPath(m.V2 + "/cgroup.controllers"))
		for _, c := range strings.Fields(list) {
			usable[c] = true
		}
		// v2 has no cpuacct: its counters are cpu.stat, always there
	} else {
		for c := range m.V1 {
			usable[c] = true
		}
	}
	for c, on := range enabled {
		if !on {
			delete(usable, c)
		}
	}
	var missing []string
	for _, c := range neededControllers(m.Mode) {
		if !usable[c] {
			missing = append(missing, c)
		}
	}
	args := map[string]string{"controllers": strings.Join(sortedKeys(usable), " "), "missing": strings.Join(missing, " ")}
	if len(missing) == 0 {
		return found("cgroup-controllers", GroupKernel, OK, "ok", args)
	}
	// cat /proc/cmdline: cgroup_disable=memory is the usual reason
	cmdline, _, _ := readTrimmed(h.procPath("cmdline"))
	for _, word := range strings.Fields(cmdline) {
		if strings.HasPrefix(word, "cgroup_disable=") {
			args["cmdline"] = word
			return fail("cgroup-controllers", GroupKernel, "boot", []string{ChapterCgroup}, args)
		}
	}
	return fail("cgroup-controllers", GroupKernel, "off", []string{ChapterCgroup}, args)
}

// readProcCgroups: cat /proc/cgroups — controller → its "enabled" column.
func readProcCgroups(h Host) map[string]bool {
	f, err := os.Open(h.procPath("cgroups"))
	if err != nil {
		return nil
	}
	defer f.Close()
	return parseProcCgroups(f)
}

// parseProcCgroups reads /proc/cgroups:
//
//	#subsys_name	hierarchy	num_cgroups	enabled
//	memory	4	38	1
func parseProcCgroups(r io.Reader) map[string]bool {
	out := map[string]bool{}
	scan := bufio.NewScanner(r)
	for scan.Scan() {
		f := strings.Fields(scan.Text())
		if len(f) < 4 || strings.HasPrefix(f[0], "#") {
			continue
		}
		out[f[0]] = f[3] == "1"
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
