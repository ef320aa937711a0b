package tests

// Judging the soak's kobako commands: a result that a fault explains is
// expected — exit 137 of a run whose init was killed, 125 and one line of
// error from a run whose container was removed while kobako made it, "no
// such container" from an rm -f that came second. Anything else is a
// failure: another status, a kobako that died of a signal the soak did not
// send, hung, or wrote anything but its own "kobako: …" lines.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
)

// judge checks everything l's kobako commands did, and counts each
// outcome for the report.
func (s *soak) judge(l *soakLife) {
	s.mu.Lock()
	s.lives = append(s.lives, l)
	s.mu.Unlock()
	s.judgeRun(l)
	for _, d := range l.done {
		if d.kind == soakKillRun || d.kind == soakKillMonitor || d.kind == soakKillInit {
			continue
		}
		if !s.count(l, d.kind, d.result, soakOpExpected(l, d.kind, d.result)) {
			s.fail(l, "%s: %s", soakCmdline(d.result), soakDescribe(d.result))
		}
	}
	// rm -f at the end: the container is gone, or was already.
	if !s.count(l, "rm -f at the end", l.last, l.last.code == 0 || soakNoSuch(l.last)) {
		s.fail(l, "%s at the end: %s", soakCmdline(l.last), soakDescribe(l.last))
	}
}

// judgeRun checks l's kobako run.
func (s *soak) judgeRun(l *soakLife) {
	r := l.run
	kind := "run"
	if l.plan.detached {
		kind = "run -d"
	}
	if l.runKilled && soakDiedOfKill(r) {
		s.count(l, kind, r, true)
		return
	}
	ok := r.err == nil && soakErrorLines(r.stderr)
	switch {
	case !ok:
	case r.code == 0:
	case r.code == 125:
		// kobako could not finish making or starting it: only when
		// something removed, stopped or killed it meanwhile.
		ok = l.interfered(l.runEnd, soakKillInit, soakKillMonitor, soakRmOp, soakStopOp)
	case !l.plan.detached && (r.code == 137 || r.code == 143):
		// its sleep was killed: by the soak, or by stop or rm -f
		ok = l.interfered(l.runEnd, soakKillInit, soakRmOp, soakStopOp)
	default:
		ok = false
	}
	if !s.count(l, kind, r, ok) {
		s.fail(l, "%s: %s", soakCmdline(r), soakDescribe(r))
	}
}

// soakOpExpected says whether a command beside the container did what it
// should. stop and rm -f must succeed, or find the container gone. exec
// needs a running container: it may fail, with one line, when there is
// none. cp works on a stopped container too: it may fail only when the
// container went, or changed state under it.
func soakOpExpected(l *soakLife, kind string, r soakResult) bool {
	if r.err != nil || !soakErrorLines(r.stderr) {
		return false
	}
	if r.code == 0 || soakNoSuch(r) {
		return true
	}
	end := r.at + r.took
	switch kind {
	case soakExecOp:
		// not running yet or no more; or it ended under it (137 among others)
		return strings.Contains(r.stderr, "is not running") || l.endedBy(end)
	case soakCpIn, soakCpOut:
		switch {
		case strings.Contains(r.stderr, "started while kobako was opening its files"):
			// only its kobako run starts it: while that still could
			return r.at < l.runEnd && !l.interfered(r.at, soakKillRun)
		case strings.Contains(r.stderr, "stopped while kobako was opening its files"):
			return l.endedBy(end)
		case strings.Contains(r.stderr, "is dead"):
			// its kobako run was killed while it made it (ps -a: Dead)
			return l.interfered(end, soakKillRun)
		}
		return l.removedBy(end)
	}
	return false
}

// endedBy says whether l's container may have ended or gone before until:
// the soak killed its init, stopped or removed it, or its sleep was over.
func (l *soakLife) endedBy(until time.Duration) bool {
	return l.interfered(until, soakKillInit, soakRmOp, soakStopOp) || until > time.Duration(l.plan.sleep)*time.Second
}

// removedBy says whether l's container may have been removed before
// until: by rm -f, by --rm once it ended, or by its kobako run, which
// removes a container it could not start.
func (l *soakLife) removedBy(until time.Duration) bool {
	return l.interfered(until, soakRmOp) || l.plan.autoRemove && l.endedBy(until) || l.run.code == 125
}

// interfered says whether one of kinds was done to l before until.
func (l *soakLife) interfered(until time.Duration, kinds ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range l.done {
		if d.hit && slices.Contains(kinds, d.kind) && d.at <= until {
			return true
		}
	}
	return false
}

// soakNoSuch: the container was removed before the command came (or not
// made yet). exec fails as run does, with 125; the others with 1.
func soakNoSuch(r soakResult) bool {
	return (r.code == 1 || r.code == 125) && strings.Contains(r.stderr, "no such container")
}

// soakErrorLines: what kobako wrote on stderr is its own "kobako: …"
// lines, no panic and no Go runtime's trace.
func soakErrorLines(stderr string) bool {
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if line != "" && !strings.HasPrefix(line, "kobako: ") {
			return false
		}
	}
	return true
}

// count counts r's outcome under kind for the report, expected or not,
// and returns ok.
func (s *soak) count(l *soakLife, kind string, r soakResult, ok bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outcomes == nil {
		s.outcomes = map[string]*soakOutcome{}
	}
	key := fmt.Sprint(kind, "\x00", soakDescribe(r), "\x00", ok)
	c := s.outcomes[key]
	if c == nil {
		c = &soakOutcome{kind: kind, outcome: soakDescribe(r), expected: ok}
		s.outcomes[key] = c
	}
	c.n++
	return ok
}

// soakOutcome is how often a kind of command ended one way.
type soakOutcome struct {
	kind, outcome string
	n             int
	expected      bool
}

var (
	soakNameRE   = regexp.MustCompile(`soak-\d+`)
	soakHexRE    = regexp.MustCompile(`[0-9a-f]{12,64}`)
	soakNumberRE = regexp.MustCompile(`\b\d{3,}\b`)
	soakTmpRE    = regexp.MustCompile(`/tmp/TestSoak[^/ ]*/[0-9]+`)
)

// soakDescribe is r in a few words, without the names, ids and paths that
// differ from one container to the next.
func soakDescribe(r soakResult) string {
	switch {
	case soakDiedOfKill(r):
		return "died of SIGKILL"
	case r.err != nil:
		return r.err.Error()
	case r.code == 0 && r.stderr == "":
		return "exit 0"
	}
	// (exit 0 with a line: the sweep of what a killed kobako left)
	msg := strings.ReplaceAll(strings.TrimSpace(r.stderr), "\n", " ⏎ ")
	msg = soakTmpRE.ReplaceAllString(msg, "$$TMP")
	msg = soakNameRE.ReplaceAllString(msg, "NAME")
	msg = soakHexRE.ReplaceAllString(msg, "ID")
	msg = soakNumberRE.ReplaceAllString(msg, "N")
	if len(msg) > 240 {
		msg = msg[:240] + "…"
	}
	return fmt.Sprintf("exit %d: %s", r.code, msg)
}

// soakDiedOfKill: the command died of SIGKILL (exitCode's words for it).
func soakDiedOfKill(r soakResult) bool {
	return r.code == -1 && r.err != nil && strings.HasSuffix(r.err.Error(), "killed by "+syscall.SIGKILL.String())
}

// soakCmdline is the command as a person types it.
func soakCmdline(r soakResult) string {
	args := make([]string, len(r.args))
	for i, a := range r.args {
		args[i] = soakTmpRE.ReplaceAllString(a, "$$TMP")
	}
	return "`kobako " + strings.Join(args, " ") + "`"
}

// story is what happened to l, in one line.
func (l *soakLife) story() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	done := slices.Clone(l.done)
	slices.SortFunc(done, func(a, b soakDone) int { return int(a.at - b.at) })
	parts := []string{fmt.Sprintf("%v: run %s after %v", l.plan, soakDescribe(l.run), l.runEnd.Round(time.Millisecond))}
	for _, d := range done {
		part := fmt.Sprintf("%s at %v", d.kind, d.at.Round(time.Millisecond))
		switch {
		case d.target != "":
			part += " (" + d.target + ")"
		case d.kind == soakKillRun || d.kind == soakKillMonitor || d.kind == soakKillInit:
			part += " (no target)"
		default:
			part += fmt.Sprintf(" → %s in %v", soakDescribe(d.result), d.result.took.Round(time.Millisecond))
		}
		parts = append(parts, part)
	}
	parts = append(parts, "rm -f at the end → "+soakDescribe(l.last))
	return strings.Join(parts, "; ")
}
