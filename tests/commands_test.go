package tests

// stop, kill, start of an exited container, restart, wait, rename.

import (
	"strings"
	"testing"
	"time"
)

// stop: a PID 1 without a TERM handler takes the whole timeout and ends
// with 137; one that traps TERM ends promptly with its own status.
func TestStop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "deaf", "busybox", "sleep", "1000")
	e.mustRun("run", "-d", "--name", "polite", "busybox", "sh", "-c",
		`trap "exit 3" TERM; touch /ready; while :; do sleep 0.1; done`)
	e.waitRunning("deaf")
	in := e.waitRunning("polite")
	waitForFile(t, in.Pid, "/ready")

	start := time.Now()
	e.mustRun("stop", "-t", "1", "deaf")
	if took := time.Since(start); took < time.Second {
		t.Errorf("stop of a PID 1 that ignores TERM took %v, want the 1 s timeout", took)
	}
	start = time.Now()
	e.mustRun("stop", "polite")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stop of a PID 1 that traps TERM took %v, want prompt", took)
	}
	for name, want := range map[string]string{"deaf": "Exited (137)", "polite": "Exited (3)"} {
		if line := e.psLine(name, "-a"); !strings.Contains(line, want) {
			t.Errorf("ps -a after stop %s: %q, want %q", name, line, want)
		}
	}
	// Stopping a stopped container is no error.
	e.mustRun("stop", "deaf")
}

// start of an exited container keeps the files it wrote; wait prints the
// status of the new run.
func TestStartKeepsFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	script := `cat /file 2>/dev/null || echo first; echo kept > /file; exit 2`
	if out, _, code := e.run("run", "--name", "f", "busybox", "sh", "-c", script); out != "first\n" || code != 2 {
		t.Fatalf("first run: %q, exit %d", out, code)
	}
	if out, _, code := e.run("start", "-a", "f"); out != "kept\n" || code != 2 {
		t.Errorf("start -a: %q, exit %d; want the file from the first run", out, code)
	}
	e.mustRun("start", "f")
	if out := strings.TrimSpace(e.mustRun("wait", "f")); out != "2" {
		t.Errorf("wait: %q, want 2", out)
	}
	if _, stderr, code := e.run("start", "missing"); code == 0 || !strings.Contains(stderr, "no such container") {
		t.Errorf("start of a missing container: exit %d, %q", code, stderr)
	}
}

func TestKillRestartRename(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "k", "busybox", "sleep", "1000")
	first := e.waitRunning("k")
	e.mustRun("restart", "-t", "0", "k")
	second := e.waitRunning("k")
	if second.Pid == first.Pid {
		t.Errorf("restart kept pid %d", first.Pid)
	}
	e.mustRun("rename", "k", "renamed")
	e.waitRunning("renamed")
	if _, _, code := e.run("inspect", "k"); code == 0 {
		t.Error("the old name still finds the container after rename")
	}
	if _, stderr, code := e.run("kill", "-s", "NOSUCH", "renamed"); code != 1 || !strings.Contains(stderr, "unknown signal") {
		t.Errorf("kill -s NOSUCH: exit %d, %q", code, stderr)
	}
	e.mustRun("kill", "-s", "KILL", "renamed")
	if out := strings.TrimSpace(e.mustRun("wait", "renamed")); out != "137" {
		t.Errorf("wait after kill -s KILL: %q, want 137", out)
	}
}

// logs: a detached container's stdout and stderr, kept apart; -f follows
// until it stops; --tail keeps the last lines.
func TestLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "l", "busybox", "sh", "-c",
		`for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.3; done`)
	// Started at once, -f must still see the lines written later.
	stdout, stderr, code := e.run("logs", "-f", "l")
	if code != 0 || stdout != "out1\nout2\nout3\n" || stderr != "err1\nerr2\nerr3\n" {
		t.Errorf("logs -f: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// As docker's, --tail counts the lines of both streams together.
	if out, errOut, _ := e.run("logs", "--tail", "2", "l"); out != "out3\n" || errOut != "err3\n" {
		t.Errorf("logs --tail 2: stdout %q, stderr %q; want out3 and err3", out, errOut)
	}
}

// logs -t: every line carries the time the monitor read it, RFC 3339 with
// nanoseconds, and lines written apart in time carry times apart.
func TestLogsTimestamps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "lt", "busybox", "sh", "-c", `echo first; sleep 1; printf 'sec'; echo ond`)
	e.mustRun("wait", "lt")
	out := e.mustRun("logs", "-t", "lt")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("logs -t: %q, want two lines", out)
	}
	var times [2]time.Time
	for i, want := range []string{"first", "second"} {
		stamp, text, _ := strings.Cut(lines[i], " ")
		ts, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil || text != want {
			t.Fatalf("logs -t line %q: want TIME %s (%v)", lines[i], want, err)
		}
		times[i] = ts
	}
	if gap := times[1].Sub(times[0]); gap < 900*time.Millisecond {
		t.Errorf("the lines were written 1 s apart, their times are %v apart", gap)
	}
	if plain := e.mustRun("logs", "lt"); plain != "first\nsecond\n" {
		t.Errorf("logs without -t: %q", plain)
	}
}
