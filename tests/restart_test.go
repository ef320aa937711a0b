package tests

// Restart policies (issue 17): `run -d --restart …` leaves the restarting
// to the container's monitor, and a person's stop, kill or rm -f wins.
// Observed from outside: the exit code and restart count in inspect, the
// log file, the monitor processes in /proc, the cgroup directories.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// restartInfo reads what inspect says of ref's restarts, in docker's
// fields.
func (e *env) restartInfo(ref string) (count int, status string, code int) {
	e.t.Helper()
	out := e.mustRun("inspect", "--format", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}", ref)
	if _, err := fmt.Sscan(out, &count, &status, &code); err != nil {
		e.t.Fatalf("inspect %s: %q: %v", ref, out, err)
	}
	return count, status, code
}

// monitorsOf lists the pids of the monitors that run for id in this env:
// kobako processes whose command line names the monitor command and id.
func (e *env) monitorsOf(id string) []int {
	e.t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		e.t.Fatal(err)
	}
	var pids []int
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if strings.Contains(string(cmdline), e.root) && len(args) > 2 && args[len(args)-2] == id && args[len(args)-4] == "monitor" && !processGone(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cgroupDirsOf lists id's cgroup directories, in every hierarchy.
func cgroupDirsOf(t *testing.T, id string) []string {
	t.Helper()
	v1, err := filepath.Glob("/sys/fs/cgroup/*/kobako/" + id)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := filepath.Glob("/sys/fs/cgroup/kobako/" + id)
	return append(v1, v2...)
}

// on-failure:2 restarts a failing command exactly twice, then leaves it
// exited with its code; the three runs write into the one log.
func TestRestartOnFailureCount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "of", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3"))
	waitFor(t, "of to give up", func() bool {
		count, status, _ := e.restartInfo("of")
		return count == 2 && status == "exited" && len(e.monitorsOf(id)) == 0
	})
	time.Sleep(500 * time.Millisecond) // longer than any delay it would wait
	count, status, code := e.restartInfo("of")
	if count != 2 || status != "exited" || code != 3 {
		t.Errorf("inspect of: RestartCount %d, status %s, exit code %d; want 2, exited, 3", count, status, code)
	}
	policy := e.mustRun("inspect", "--format", "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", "of")
	if strings.TrimSpace(policy) != "on-failure 2" {
		t.Errorf("inspect of: RestartPolicy %q, want \"on-failure 2\"", policy)
	}
	if logs := e.mustRun("logs", "of"); logs != "run\nrun\nrun\n" {
		t.Errorf("logs of: %q, want three runs' \"run\" in one log", logs)
	}
	if line := e.psLine("of", "-a"); !strings.Contains(line, "Exited (3)") || !strings.Contains(line, "restarted 2 times") {
		t.Errorf("ps -a line for of %q, want Exited (3) … (restarted 2 times)", line)
	}
}

// always restarts even a command that succeeds, until stop; stopped, it
// stays stopped, and its monitor is gone when stop returns.
func TestRestartAlwaysUntilStop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "al", "--restart", "always", "busybox", "true"))
	waitFor(t, "al to restart three times", func() bool {
		count, _, _ := e.restartInfo("al")
		return count >= 3
	})
	e.mustRun("stop", "al")
	if pids := e.monitorsOf(id); len(pids) > 0 {
		t.Errorf("al's monitor %v still runs after stop", pids)
	}
	count, status, _ := e.restartInfo("al")
	time.Sleep(time.Second) // a restart would come within the delay, under a second here
	if now, nowStatus, _ := e.restartInfo("al"); now != count || nowStatus != "exited" || status != "exited" {
		t.Errorf("after stop: RestartCount %d then %d, status %s then %s; want no restart, exited", count, now, status, nowStatus)
	}
	// A person's start counts again from nothing, and restarts again.
	e.mustRun("start", "al")
	waitFor(t, "al to restart after start", func() bool {
		count, _, _ := e.restartInfo("al")
		return count >= 1 && count < 5
	})
	e.mustRun("stop", "al")
}

// kill wins as stop does.
func TestRestartKillWins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "k", "--restart", "unless-stopped", "busybox", "sleep", "1000"))
	in := e.waitRunning("k")
	e.mustRun("kill", "k")
	waitFor(t, "k's monitor to end", func() bool { return processGone(in.Pid) && len(e.monitorsOf(id)) == 0 })
	if count, status, code := e.restartInfo("k"); count != 0 || status != "exited" || code != 137 {
		t.Errorf("after kill: RestartCount %d, status %s, code %d; want 0, exited, 137", count, status, code)
	}
}

// --restart no (the default, said outright) restarts nothing.
func TestRestartNo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "n", "--restart", "no", "busybox", "sh", "-c", "exit 1"))
	waitFor(t, "n to exit", func() bool {
		_, status, _ := e.restartInfo("n")
		return status == "exited" && len(e.monitorsOf(id)) == 0
	})
	time.Sleep(300 * time.Millisecond)
	if count, status, code := e.restartInfo("n"); count != 0 || status != "exited" || code != 1 {
		t.Errorf("inspect n: RestartCount %d, status %s, code %d; want 0, exited, 1", count, status, code)
	}
}

// rm -f of a container that keeps restarting leaves nothing: no record,
// no runtime state, no cgroup, no monitor.
func TestRestartRemoveForce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "rr", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2; exit 1"))
	waitFor(t, "rr to restart twice", func() bool {
		count, _, _ := e.restartInfo("rr")
		return count >= 2
	})
	// Without -f, a restarting or running container is refused.
	if _, stderr, code := e.run("rm", "rr"); code == 0 {
		t.Errorf("rm rr (restarting): exit 0, want a refusal; stderr %q", stderr)
	}
	e.mustRun("rm", "-f", "rr")
	e.expectNoContainers("rm -f rr")
	if pids := e.monitorsOf(id); len(pids) > 0 {
		t.Errorf("rr's monitor %v still runs after rm -f", pids)
	}
	if _, err := os.Stat(filepath.Join(e.root, id)); !os.IsNotExist(err) {
		t.Errorf("rr's state dir after rm -f: %v, want none", err)
	}
	if dirs := cgroupDirsOf(t, id); len(dirs) > 0 {
		t.Errorf("rr's cgroups after rm -f: %v", dirs)
	}
	time.Sleep(500 * time.Millisecond) // nothing comes back later either
	if dirs := cgroupDirsOf(t, id); len(dirs) > 0 {
		t.Errorf("rr's cgroups came back after rm -f: %v", dirs)
	}
}

// --restart with --rm, or without -d: one line, exit 125, nothing made.
func TestRestartRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, args := range [][]string{
		{"run", "-d", "--rm", "--restart", "always", "busybox", "true"},
		{"run", "--restart", "on-failure:3", "busybox", "true"},
		{"run", "-d", "--restart", "sometimes", "busybox", "true"},
		{"run", "-d", "--restart", "always:3", "busybox", "true"},
	} {
		_, stderr, code := e.run(args...)
		if code != 125 {
			t.Errorf("kobako %s: exit %d, want 125", strings.Join(args, " "), code)
		}
		checkOneLineError(t, stderr, "--restart")
	}
	e.expectNoContainers("refused runs")
}

// restart of a --rm container keeps it, as docker's does: it runs again on
// the same layer (mounted volatile, whose mark is cleared for the second
// mount), and a stop afterwards removes it as --rm says.
func TestRestartKeepsRemoveOnExit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--rm", "--name", "rmr", "busybox", "sh", "-c", "echo ran >> /runs; exec sleep 1000")
	e.waitRunning("rmr")
	if out := e.mustRun("restart", "-t", "1", "rmr"); strings.TrimSpace(out) != "rmr" {
		t.Errorf("restart rmr printed %q, want its name", out)
	}
	e.waitRunning("rmr")
	waitFor(t, "the second run's line in /runs", func() bool {
		out, _, _ := e.run("exec", "rmr", "cat", "/runs")
		return out == "ran\nran\n"
	})
	e.mustRun("stop", "-t", "1", "rmr")
	e.expectNoContainers("stop of the restarted --rm container")
}
