package tests

// The soak's kills. Its targets are found the way kobako finds them — a
// monitor by the command line it was started with (container/monitor.go:
// `kobako --root R … monitor FRESH ID`), an init by the pid and start time
// in <root>/<id>/state.json (runtime/state.go) or, before kobako wrote
// that, as the "kobako init" child of the container's kobako run or
// monitor — and killed through a pidfd: opened first, then the process
// checked again, then signalled, so that a pid reused in between is never
// hit (pidfd_open(2), pidfd_send_signal(2)).

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// soakProc is a process as /proc shows it. A pid and its start time
// name one process; a pid alone may be a later one's.
type soakProc struct {
	pid, ppid int
	state     byte
	start     uint64 // field 22 of /proc/<pid>/stat, in clock ticks after boot
	args      []string
}

// soakParseStat reads the state, the parent and the start time from the
// text of /proc/<pid>/stat: "pid (comm) S ppid … starttime …", where comm
// may hold spaces and parentheses, so fields count from the last ')'.
func soakParseStat(stat string) (state byte, ppid int, start uint64, err error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, 0, fmt.Errorf("stat %q: no ')'", stat)
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 20 || f[0] == "" {
		return 0, 0, 0, fmt.Errorf("stat %q: %d fields after comm", stat, len(f))
	}
	if ppid, err = strconv.Atoi(f[1]); err != nil {
		return 0, 0, 0, fmt.Errorf("stat ppid: %w", err)
	}
	if start, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return 0, 0, 0, fmt.Errorf("stat starttime: %w", err)
	}
	return f[0][0], ppid, start, nil
}

// soakReadProc reads one process.
func soakReadProc(pid int) (soakProc, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return soakProc{}, err
	}
	p := soakProc{pid: pid}
	if p.state, p.ppid, p.start, err = soakParseStat(string(stat)); err != nil {
		return soakProc{}, err
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return soakProc{}, err
	}
	p.args = strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	return p, nil
}

// soakProcesses is the process table; processes gone while it is read are
// left out.
func soakProcesses() []soakProc {
	entries, _ := os.ReadDir("/proc")
	var procs []soakProc
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		if p, err := soakReadProc(pid); err == nil {
			procs = append(procs, p)
		}
	}
	return procs
}

// soakKill SIGKILLs p if it is still p, and says whether it did.
func soakKill(p soakProc) bool {
	fd, err := unix.PidfdOpen(p.pid, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	// The pidfd holds this pid's process from here on: if it is still
	// the one we read, it is the one we signal.
	now, err := soakReadProc(p.pid)
	if err != nil || now.start != p.start || now.state == 'Z' {
		return false
	}
	return unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0) == nil
}

// killWhenFound kills d's target — l's monitor or init — at d's moment, or
// as soon as it exists: a fault planned before kobako made the target
// hits it at its first instant. It gives up once the target cannot come
// any more.
func (s *soak) killWhenFound(l *soakLife, run *soakRun, d soakDone) soakDone {
	find, what := s.findInit, "init"
	if d.kind == soakKillMonitor {
		find, what = s.findMonitor, "monitor"
	}
	deadline := l.t0.Add(time.Duration(l.plan.sleep)*time.Second + time.Second)
	for {
		if p, ok := find(l, run); ok {
			s.remember(p)
			at := time.Since(l.t0) // before the signal: what follows it comes after
			if soakKill(p) {
				d.at, d.hit, d.target = at, true, fmt.Sprintf("%s %d", what, p.pid)
				return d
			}
		}
		// A foreground run that ended by itself waited for its init.
		l.mu.Lock()
		over := !run.running() && !l.plan.detached && !l.runKilled
		l.mu.Unlock()
		if over || time.Now().After(deadline) {
			return d
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// remember keeps a process kobako started for the soak: it must be gone
// at the end.
func (s *soak) remember(p soakProc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.seen, func(q soakProc) bool { return q.pid == p.pid && q.start == p.start }) {
		s.seen = append(s.seen, p)
	}
}

// isMonitor says whether p is a monitor of the soak's, for id.
func (s *soak) isMonitor(p soakProc, id string) bool {
	return s.isOurs(p) && slices.Contains(p.args, "monitor") && p.args[len(p.args)-1] == id
}

// isOurs says whether p is a kobako of the soak's: its --root.
func (s *soak) isOurs(p soakProc) bool {
	i := slices.Index(p.args, "--root")
	return i >= 0 && i+1 < len(p.args) && p.args[i+1] == s.e.root
}

func (s *soak) findMonitor(l *soakLife, _ *soakRun) (soakProc, bool) {
	id := s.ids.idOf(l.plan.name)
	if id == "" {
		return soakProc{}, false
	}
	for _, p := range soakProcesses() {
		if s.isMonitor(p, id) && p.state != 'Z' {
			return p, true
		}
	}
	return soakProc{}, false
}

// findInit finds l's init: the one its state.json names, or before that
// the "kobako init" child of its kobako run (while that lives: its pid is
// ours only until we reap it) or of its monitor.
func (s *soak) findInit(l *soakLife, run *soakRun) (soakProc, bool) {
	id := s.ids.idOf(l.plan.name)
	if id == "" {
		return soakProc{}, false
	}
	if p, ok := s.initOfState(id); ok {
		return p, true
	}
	parents := map[int]bool{}
	if run.running() {
		parents[run.cmd.Process.Pid] = true
	}
	procs := soakProcesses()
	for _, p := range procs {
		if s.isMonitor(p, id) {
			parents[p.pid] = true
		}
	}
	for _, p := range procs {
		if parents[p.ppid] && len(p.args) >= 2 && p.args[0] == "kobako" && p.args[1] == "init" && p.state != 'Z' {
			return p, true
		}
	}
	return soakProc{}, false
}

// initOfState reads <root>/<id>/state.json and returns its init, if that
// still lives: the same pid with the same start time.
func (s *soak) initOfState(id string) (soakProc, bool) {
	data, err := os.ReadFile(filepath.Join(s.e.root, id, "state.json"))
	if err != nil {
		return soakProc{}, false
	}
	var st struct {
		Pid           int    `json:"pid"`
		InitStartTime uint64 `json:"initStartTime"`
	}
	if json.Unmarshal(data, &st) != nil || st.Pid <= 0 {
		return soakProc{}, false
	}
	p, err := soakReadProc(st.Pid)
	if err != nil || p.start != st.InitStartTime || p.state == 'Z' {
		return soakProc{}, false
	}
	return p, true
}
