package tests

// run's process flags: --user from the container's own /etc/passwd,
// --ulimit, --env-file, --entrypoint, --shm-size, labels and stop settings.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A user only the image knows: the host has no "kobakouser", and a
// symlinked /etc/passwd in the image cannot lead to the host's file.
func TestRunUserFromImage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	entries, _ := busyboxTar(t)
	for i, en := range entries {
		if en.hdr.Name == "etc/passwd" {
			entries[i] = tarFile("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nkobakouser:x:4242:4343:k:/home/k:/bin/sh\n"))
		}
	}
	e.importImage("users", entries)
	if out := strings.TrimSpace(e.mustRun("run", "--rm", "-u", "kobakouser", "users", "sh", "-c", "echo $(busybox id -u) $(busybox id -g) $HOME")); out != "4242 4343 /home/k" {
		t.Errorf("run -u kobakouser: %q, want 4242 4343 /home/k", out)
	}
	if out := strings.TrimSpace(e.mustRun("run", "--rm", "-u", "1000:1000", "users", "busybox", "id", "-u")); out != "1000" {
		t.Errorf("run -u 1000:1000: %q", out)
	}
	if _, stderr, code := e.run("run", "--rm", "-u", "root2", "users", "true"); code != 125 {
		t.Errorf("an unknown user: exit %d, %s", code, stderr)
	}
	// exec: the container's user by default, as docker exec; -u looks the
	// name up in the container too.
	e.mustRun("run", "-d", "--name", "u", "-u", "kobakouser", "users", "sleep", "1000")
	e.waitRunning("u")
	if out := strings.TrimSpace(e.mustRun("exec", "u", "sh", "-c", "echo $(busybox id -u) $HOME")); out != "4242 /home/k" {
		t.Errorf("exec into a -u kobakouser container: %q, want 4242 /home/k", out)
	}
	envFile := filepath.Join(t.TempDir(), "env")
	os.WriteFile(envFile, []byte("# exec's own\nGREETING=hello\n"), 0o644)
	if out := strings.TrimSpace(e.mustRun("exec", "--env-file", envFile, "-e", "WHO=you", "u", "sh", "-c", "echo $GREETING $WHO")); out != "hello you" {
		t.Errorf("exec --env-file -e: %q, want hello you", out)
	}
	if out := strings.TrimSpace(e.mustRun("exec", "-u", "root", "u", "busybox", "id", "-u")); out != "0" {
		t.Errorf("exec -u root: %q, want 0", out)
	}
	if _, stderr, code := e.run("exec", "-u", "root2", "u", "true"); code != 125 || !strings.Contains(stderr, "root2") {
		t.Errorf("exec -u of an unknown user: exit %d, %s", code, stderr)
	}
	// A passwd symlinked to the host's: resolved inside the container, so
	// the host's users stay unknown.
	for i, en := range entries {
		if en.hdr.Name == "etc/passwd" {
			entries[i] = tarSymlink("etc/passwd", "/../../../../etc/passwd")
		}
	}
	e.importImage("linked", entries)
	if _, _, code := e.run("run", "--rm", "-u", "daemon", "linked", "true"); code != 125 {
		t.Errorf("run -u daemon with /etc/passwd symlinked out: exit %d, want 125 (the host's daemon must stay unknown)", code)
	}
}

func TestRunProcessFlags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("# comment\nA=1\nB=two words\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := e.mustRun("run", "--rm", "--env-file", envFile, "--ulimit", "nofile=256:256", "--shm-size", "8m",
		"busybox", "sh", "-c", `echo "$A|$B"; ulimit -n; ulimit -Hn; df -k /dev/shm | tail -1`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != "1|two words" || lines[1] != "256" || lines[2] != "256" || !strings.Contains(lines[3], "8192") {
		t.Errorf("env-file, ulimit, shm-size:\n%s", out)
	}
	if out := e.mustRun("run", "--rm", "--entrypoint", "/bin/echo", "busybox", "a", "b"); out != "a b\n" {
		t.Errorf("--entrypoint: %q", out)
	}
	if _, stderr, code := e.run("run", "--rm", "--ulimit", "nofile=1:2:3", "busybox", "true"); code != 125 {
		t.Errorf("a bad --ulimit: exit %d, %s", code, stderr)
	}

	// Labels are kept; --stop-timeout and --stop-signal drive stop.
	e.mustRun("run", "-d", "--name", "s", "--label", "app=web", "--stop-timeout", "1", "busybox", "sleep", "1000")
	e.waitRunning("s")
	if out := strings.TrimSpace(e.mustRun("inspect", "--format", "{{index .Labels \"app\"}}", "s")); out != "web" {
		t.Errorf("label: %q", out)
	}
	start := time.Now()
	e.mustRun("stop", "s")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stop with --stop-timeout 1 took %v", took)
	}
	e.mustRun("run", "-d", "--name", "k", "--stop-signal", "KILL", "busybox", "sleep", "1000")
	e.waitRunning("k")
	start = time.Now()
	e.mustRun("stop", "k")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("stop with --stop-signal KILL took %v, want at once", took)
	}
}
