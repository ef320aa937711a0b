package tests

// kobako events: the journal every kobako appends to (container/events.go),
// read back as docker prints it.

import (
	"bufio"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// eventLine is docker's: time, type, action, id, (attributes).
var eventLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container ([a-z_]+) ([0-9a-f]{64}) \((.*)\)$`)

func TestEventsLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	since := time.Now().Add(-time.Second).Unix()
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "web", "busybox", "sleep", "30"))
	e.mustRun("stop", "-t", "1", "web")
	e.mustRun("rm", "web")
	e.mustRun("run", "--rm", "--name", "other", "busybox", "true")
	window := []string{"--since", itoa(since), "--until", itoa(time.Now().Unix() + 1)}

	out := e.mustRun(append([]string{"events", "--filter", "container=web"}, window...)...)
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		m := eventLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("events line %q is not docker's", line)
		}
		if m[2] != id {
			t.Errorf("event of id %s, want web's %s: %q", m[2], id, line)
		}
		if !strings.Contains(m[3], "image=busybox") || !strings.Contains(m[3], "name=web") {
			t.Errorf("event attributes (%s), want image=busybox, name=web", m[3])
		}
		if m[1] == "die" && !strings.Contains(m[3], "exitCode=") {
			t.Errorf("die without its exitCode: %q", line)
		}
		actions = append(actions, m[1])
	}
	if got, want := strings.Join(actions, " "), "create start die stop destroy"; got != want {
		t.Errorf("events of web: %s, want %s:\n%s", got, want, out)
	}

	out = e.mustRun(append([]string{"events", "--filter", "event=start"}, window...)...)
	if n := strings.Count(out, "\n"); n != 2 || strings.Count(out, " container start ") != 2 {
		t.Errorf("--filter event=start: want the two starts (web, other):\n%s", out)
	}
	out = e.mustRun(append([]string{"events", "--filter", "container=other", "--filter", "event=destroy", "--format", "{{.Action}} {{.Actor.Attributes.name}}"}, window...)...)
	if out != "destroy other\n" {
		t.Errorf("--filter container=other --filter event=destroy --format: %q", out)
	}
	// Nothing of web's before it was made, nor after the window.
	if out := e.mustRun("events", "--filter", "container=web", "--until", itoa(since)); out != "" {
		t.Errorf("events --until before web was made: %q", out)
	}
	if out := e.mustRun("events", "--filter", "container=web", "--since", window[3], "--until", window[3]); out != "" {
		t.Errorf("events --since after web was removed: %q", out)
	}

	out = e.mustRun(append([]string{"events", "--format", "json", "--filter", "container=" + id[:12]}, window...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("--format json: %d lines, want 5:\n%s", len(lines), out)
	}
	for _, line := range lines {
		var ev struct {
			Type, Action string
			Actor        struct {
				ID         string
				Attributes map[string]string
			}
			Time     int64 `json:"time"`
			TimeNano int64 `json:"timeNano"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("--format json line %q: %v", line, err)
		}
		if ev.Type != "container" || ev.Actor.ID != id || ev.Actor.Attributes["name"] != "web" || ev.Time < since || ev.TimeNano/1e9 != ev.Time {
			t.Errorf("--format json: %+v", ev)
		}
	}
	_, stderr, code := e.run("events", "--filter", "colour=red", "--until", "0s")
	expectError(t, "events --filter colour=red", stderr, code, 1, `kobako: --filter "colour=red": kobako events filters by container, event, image or type`)
}

// Without --until, events follows the journal: a container run after it
// started shows up while it waits.
func TestEventsFollow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := e.command(ctx, "events", "--filter", "event=destroy")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	time.Sleep(300 * time.Millisecond) // past its "now": earlier events are not followed
	e.mustRun("run", "--rm", "--name", "followed", "busybox", "true")
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case line := <-lines:
		if m := eventLine.FindStringSubmatch(line); m == nil || m[1] != "destroy" || !strings.Contains(m[3], "name=followed") {
			t.Errorf("followed event %q, want followed's destroy", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("events did not print the destroy of a container run while it followed")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
