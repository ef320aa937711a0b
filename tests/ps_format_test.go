package tests

// ps -q, ps --format json and templates, inspect --format, container prune.

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPsFormats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "up", "busybox", "sleep", "1000"))
	e.waitRunning("up")
	e.mustRun("run", "--name", "down", "busybox", "true")

	if out := strings.TrimSpace(e.mustRun("ps", "-q")); out != id[:12] {
		t.Errorf("ps -q = %q, want %q", out, id[:12])
	}
	states := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(e.mustRun("ps", "-a", "--format", "json")), "\n") {
		var row struct{ ID, Names, State string }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("ps --format json line %q: %v", line, err)
		}
		states[row.Names] = row.State
	}
	if states["up"] != "running" || states["down"] != "stopped" || len(states) != 2 {
		t.Errorf("ps --format json states: %v", states)
	}
	if out := strings.TrimSpace(e.mustRun("ps", "--format", "{{.ID}} {{.Names}}")); out != id[:12]+" up" {
		t.Errorf("ps --format template = %q", out)
	}
	if out := strings.TrimSpace(e.mustRun("inspect", "--format", "{{.Name}} {{.Status}}", "up")); out != "up running" {
		t.Errorf("inspect --format = %q", out)
	}
	if _, stderr, code := e.run("ps", "--format", "{{.Nope}}"); code != 1 {
		t.Errorf("a bad template: exit %d, %q", code, stderr)
	}

	// prune removes the stopped one only.
	if out := strings.TrimSpace(e.mustRun("container", "prune")); out != "down" {
		t.Errorf("container prune printed %q, want down", out)
	}
	if out := strings.TrimSpace(e.mustRun("ps", "-a", "-q")); out != id[:12] {
		t.Errorf("after prune, ps -a -q = %q, want only the running one", out)
	}
}
