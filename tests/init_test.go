package tests

// run --init: a tiny PID 1 (kobako-init) in front of the command, for the
// two duties of a PID namespace's init that ordinary programs neglect.

import (
	"strings"
	"testing"
	"time"
)

// Orphans are handed to PID 1. A `sleep` as PID 1 never waits for them, so
// they stay zombies; kobako-init reaps them.
func TestInitReapsOrphans(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Five orphans that exit after a second, when PID 1 (or its child) is
	// a sleep that waits for nobody.
	orphans := `for i in 1 2 3 4 5; do sh -c "sleep 1 &"; done; exec sleep 1000`
	for _, tc := range []struct {
		flags   []string
		zombies int
	}{{nil, 5}, {[]string{"--init"}, 0}} {
		name := "orphans" + strings.Join(tc.flags, "")
		e.mustRun(append(append([]string{"run", "-d", "--name", name}, tc.flags...), "busybox", "sh", "-c", orphans)...)
		e.waitRunning(name)
		var zombies int
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			zombies = strings.Count(e.mustRun("exec", name, "ps", "-o", "stat"), "Z")
			if zombies == tc.zombies {
				break
			}
		}
		if zombies != tc.zombies {
			t.Errorf("run %v: %d zombies after the orphans exited, want %d", tc.flags, zombies, tc.zombies)
		}
	}
	if out := e.mustRun("exec", "orphans--init", "ps", "-o", "pid,comm"); !strings.Contains(out, "1 kobako-init") {
		t.Errorf("with --init, PID 1 is not kobako-init:\n%s", out)
	}
}

// PID 1 gets no signal it has no handler for: stop of a plain sleep waits
// for the timeout and kills (137). Behind kobako-init, the sleep gets the
// TERM and ends at once, and the container exits as the sleep did (143).
func TestInitPassesSignals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--init", "--name", "behind-init", "busybox", "sleep", "1000")
	init := e.waitRunning("behind-init")
	// kobako-init names itself once it listens: a signal sent before, while
	// Go starts up, is the window reaper.go tells of.
	waitFor(t, "kobako-init to listen", func() bool { return processCommIs(init.Pid, "kobako-init") })
	start := time.Now()
	e.mustRun("stop", "-t", "20", "behind-init")
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("stop took %v: the TERM did not reach the sleep", took)
	}
	if code := e.mustRun("wait", "behind-init"); strings.TrimSpace(code) != "143" {
		t.Errorf("exit code %q, want 143 (128 + TERM)", code)
	}
	// In the foreground too: the command's own status comes back.
	if _, _, code := e.run("run", "--rm", "--init", "busybox", "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("run --init of exit 7: %d", code)
	}
}
