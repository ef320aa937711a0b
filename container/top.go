package container

// `kobako top`: a container's processes as the host sees them, with the
// host's pids. Docker's answer, and kobako's: ask the cgroup who is in it,
// then let the host's ps describe them.
//
// Shell twin:
//
//	cat /sys/fs/cgroup/pids/kobako/$ID/cgroup.procs     # the pids
//	ps -ef | awk 'NR==1 || the PID column is one of them'
//
// A container without a cgroup of its own (rootless, on cgroup v1) has
// a PID namespace of its own: its processes are those whose
// /proc/<pid>/ns/pid is the init's (the article's `ls -l /proc/$$/ns`).

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Pids lists the host pids of c's processes, lowest first.
func (s *Store) Pids(c *Container) ([]int, error) {
	st, err := s.Status(c)
	if err != nil {
		return nil, err
	}
	if st.State != specs.StateRunning {
		return nil, fmt.Errorf("container %s is not running", c.Name)
	}
	var pids []int
	mgr, err := s.rt.Cgroup(c.ID)
	switch {
	case err != nil:
		return nil, err
	case mgr != nil:
		// cat cgroup.procs
		pids, err = mgr.Procs()
	default:
		pids, err = pidNamespaceMembers(st.Pid)
	}
	slices.Sort(pids)
	return pids, err
}

// pidNamespaceMembers finds the processes in init's PID namespace by
// comparing every /proc/<pid>/ns/pid link with the init's.
func pidNamespaceMembers(init int) ([]int, error) {
	want, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", init))
	if err != nil {
		return nil, fmt.Errorf("read the PID namespace of %d: %w", init, err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // not a process
		}
		// readlink /proc/$PID/ns/pid — a process gone meanwhile is skipped
		if ns, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && ns == want {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// ErrNoPIDColumn says ps was asked for columns without the pid.
var ErrNoPIDColumn = errors.New("the ps options give no PID column: add one, like -o pid,comm")

// FilterPS keeps, of the host's ps output, the header and the lines whose
// PID column is one of pids: what docker top does with ps -ef. The last
// column (CMD, COMMAND) may hold spaces; every other is one word.
func FilterPS(output string, pids []int) (header []string, rows [][]string, err error) {
	lines := strings.Split(strings.TrimRight(output, "\n"), "\n")
	header = strings.Fields(lines[0])
	col := slices.Index(header, "PID")
	if col < 0 {
		return nil, nil, ErrNoPIDColumn
	}
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) <= col {
			continue
		}
		pid, err := strconv.Atoi(fields[col])
		if err != nil || !slices.Contains(pids, pid) {
			continue
		}
		if len(fields) > len(header) {
			// the command's own words go back together
			last := len(header) - 1
			fields = append(fields[:last], strings.Join(fields[last:], " "))
		}
		rows = append(rows, fields)
	}
	return header, rows, nil
}
