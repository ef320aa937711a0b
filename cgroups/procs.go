package cgroups

// Which processes are in a container's cgroup: what `kobako top` lists
// (and what an engine's `ps` and `kill --all` will).
//
// Shell twin:
//
//	cat /sys/fs/cgroup/pids/kobako/$ID/cgroup.procs      # v1: any hierarchy
//	cat /sys/fs/cgroup/kobako/$ID/cgroup.procs           # v2
//
// The pids are the host's: cgroup.procs is read from the host's side.

import (
	"fmt"
	"strconv"
	"strings"
)

// Procs reads cgroup.procs of one hierarchy: every process of the
// container, as the host numbers them. pids is always there when mounted,
// and is the one kobako limits; any hierarchy would do.
func (m *v1) Procs() ([]int, error) {
	for _, c := range []string{"pids", "memory", "freezer", "cpu"} {
		if dir := m.dir(c); dir != "" {
			return readProcs(dir)
		}
	}
	return nil, fmt.Errorf("no cgroup hierarchy is mounted to list the processes of %s", m.path)
}

// Procs reads cgroup.procs: every process of the container.
func (m *v2) Procs() ([]int, error) {
	return readProcs(m.dir())
}

// readProcs reads dir/cgroup.procs, one pid a line.
func readProcs(dir string) ([]int, error) {
	text, err := readFile(dir, "cgroup.procs")
	if err != nil {
		return nil, fmt.Errorf("read %s/cgroup.procs: %w", dir, err)
	}
	return parseProcs(text)
}

// parseProcs reads the pids of a cgroup.procs listing.
func parseProcs(text string) ([]int, error) {
	var pids []int
	for _, line := range strings.Fields(text) {
		pid, err := strconv.Atoi(line)
		if err != nil {
			return nil, fmt.Errorf("cgroup.procs: %q is not a pid", line)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}
