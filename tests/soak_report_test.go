package tests

// The soak's report, in markdown: for the test log, SOAK_REPORT, and the
// table in docs/reliability.md.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// soakStats are the counts of the report's table.
type soakStats struct {
	foreground, detached, bridged, published, limited, autoRemoved int
	planned, injected                                              map[string]int
	commands                                                       map[string]int
}

func (s *soak) stats() soakStats {
	st := soakStats{planned: map[string]int{}, injected: map[string]int{}, commands: map[string]int{}}
	for _, l := range s.lives {
		p := l.plan
		st.detached += soakB2I(p.detached)
		st.foreground += soakB2I(!p.detached)
		st.bridged += soakB2I(p.bridge)
		st.published += soakB2I(p.publish != 0)
		st.limited += soakB2I(p.limits)
		st.autoRemoved += soakB2I(p.autoRemove)
		for _, d := range l.done {
			switch d.kind {
			case soakKillRun, soakKillMonitor, soakKillInit:
				st.planned[d.kind]++
				st.injected[d.kind] += soakB2I(d.hit)
			default:
				st.commands[d.kind]++
			}
		}
	}
	return st
}

func soakB2I(b bool) int {
	if b {
		return 1
	}
	return 0
}

func soakSum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// report is the whole report.
func (s *soak) report(wall time.Duration) string {
	st := s.stats()
	var b strings.Builder
	fmt.Fprintf(&b, "### kobako soak: %d containers, seed %d\n\n| measure | value |\n|---|---|\n", s.cfg.n, s.cfg.seed)
	row := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "| %s | %s |\n", name, fmt.Sprintf(format, args...))
	}
	row("containers run", "%d: %d foreground, %d detached (-d); %d bridged (%d with -p), %d with --memory/--pids-limit, %d with --rm",
		len(s.lives), st.foreground, st.detached, st.bridged, st.published, st.limited, st.autoRemoved)
	row("kills injected", "%d of %d planned: kobako run %d of %d, monitor %d of %d, init %d of %d (the others found their target gone, or not yet made)",
		soakSum(st.injected), soakSum(st.planned), st.injected[soakKillRun], st.planned[soakKillRun],
		st.injected[soakKillMonitor], st.planned[soakKillMonitor], st.injected[soakKillInit], st.planned[soakKillInit])
	row("commands beside them", "%d: rm -f %d, stop -t 1 %d, exec %d, cp %d",
		soakSum(st.commands), st.commands[soakRmOp], st.commands[soakStopOp], st.commands[soakExecOp], st.commands[soakCpIn]+st.commands[soakCpOut])
	row("failures", "%d", len(s.failures))
	row("leaks", "%d", len(s.leaks))
	if slowest, ok := s.slowestRm(); ok {
		row("slowest rm -f", "%v (%s)", slowest.took.Round(time.Millisecond), slowest.what)
	}
	row("wall time", "%v (the moments of the plan came up to %v late: the host's load)", wall.Round(time.Second), s.lateness.Round(time.Millisecond))
	row("machine", "%s; %s", soakMachine(s.cfg.wave), s.version)
	s.writeFailures(&b)
	s.writeLeaks(&b)
	s.writeOutcomes(&b)
	if len(s.notes) > 0 || s.ids.overflow {
		b.WriteString("\n#### Notes\n\n")
		if s.ids.overflow {
			b.WriteString("- inotify overflowed: ids may be missing from the cgroup check\n")
		}
		for _, n := range s.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

func (s *soak) slowestRm() (soakRm, bool) {
	if len(s.rms) == 0 {
		return soakRm{}, false
	}
	return slices.MaxFunc(s.rms, func(a, b soakRm) int { return int(a.took - b.took) }), true
}

// soakMachine says where the soak ran.
func soakMachine(wave int) string {
	var u unix.Utsname
	unix.Uname(&u)
	cgroup := "v1"
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		cgroup = "v2"
	}
	return fmt.Sprintf("%d CPUs, Linux %s, cgroup %s; %d containers at a time",
		runtime.NumCPU(), unix.ByteSliceToString(u.Release[:]), cgroup, wave)
}

func (s *soak) writeFailures(b *strings.Builder) {
	if len(s.failures) == 0 {
		return
	}
	fmt.Fprintf(b, "\n#### Failures (%d)\n\n", len(s.failures))
	for _, f := range s.failures {
		fmt.Fprintf(b, "- %s\n", f)
	}
}

// writeLeaks lists the leaks, each with the container it was left by and
// what happened to that container.
func (s *soak) writeLeaks(b *strings.Builder) {
	if len(s.leaks) == 0 {
		return
	}
	fmt.Fprintf(b, "\n#### Leaks (%d)\n\n", len(s.leaks))
	for _, l := range s.leaks {
		detail := strings.ReplaceAll(l.detail, s.testDir(), "$TMP")
		fmt.Fprintf(b, "- %s: %s", l.what, strings.ReplaceAll(detail, "\n", "\n  "))
		if l.id != "" {
			fmt.Fprintf(b, "\n  left by %s: %s", l.id[:12], s.whose(l.id))
		}
		b.WriteString("\n")
	}
}

// whose says which container an id was, and what happened to it: by the
// name the watch saw, or its record's, or else by when it was made.
func (s *soak) whose(id string) string {
	name := s.ids.nameFor(id)
	if name == "" {
		var rec struct {
			Name string `json:"name"`
		}
		data, _ := os.ReadFile(filepath.Join(s.e.dataRoot, "containers", id, "container.json"))
		if json.Unmarshal(data, &rec) == nil {
			name = rec.Name
		}
	}
	for _, l := range s.lives {
		if l.plan.name == name {
			return l.story()
		}
	}
	when, ok := s.ids.known()[id]
	if !ok {
		return "an id the soak never saw made"
	}
	var during []string
	for _, l := range s.lives {
		if !when.Before(l.t0) && !when.After(l.t0.Add(l.runEnd)) {
			during = append(during, l.story())
		}
	}
	if len(during) == 0 {
		return "no name; made outside any container's kobako run (the warm-up's?)"
	}
	return "no name; made while these kobako runs ran:\n    - " + strings.Join(during, "\n    - ")
}

// writeOutcomes is how each kind of command ended, and whether the soak
// took that as expected: what "failure" means, open to review.
func (s *soak) writeOutcomes(b *strings.Builder) {
	var counts []*soakOutcome
	for _, c := range s.outcomes {
		counts = append(counts, c)
	}
	slices.SortFunc(counts, func(x, y *soakOutcome) int {
		if c := strings.Compare(x.kind, y.kind); c != 0 {
			return c
		}
		return y.n - x.n
	})
	b.WriteString("\n#### How the commands ended\n\n| command | outcome | times | judged |\n|---|---|---|---|\n")
	for _, c := range counts {
		judged := "expected"
		if !c.expected {
			judged = "**failure**"
		}
		fmt.Fprintf(b, "| %s | %s | %d | %s |\n", c.kind, strings.ReplaceAll(c.outcome, "|", "\\|"), c.n, judged)
	}
}
