package tests

// Chapter "コンテナを作ってみよう": kobako run, from the outside — what the
// command in the container sees as its PID, what it gets on stdin, which
// exit status comes back, and the errors a person meets first.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// The command is PID 1 of a new PID namespace and sees no host process:
// the article's `unshare --pid --fork --mount-proc` then `ps`.
func TestPID1(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if got := strings.TrimSpace(e.mustRun("run", "--rm", "busybox", "sh", "-c", "echo $$")); got != "1" {
		t.Errorf("echo $$ in the container = %q, want 1", got)
	}

	out := e.mustRun("run", "--rm", "busybox", "sh", "-c", "sleep 100 & ps -o pid,comm; kill $!")
	procs := map[string]string{} // pid → comm
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		fields := strings.Fields(line)
		if len(fields) != 2 {
			t.Fatalf("unexpected ps line %q in:\n%s", line, out)
		}
		procs[fields[0]] = fields[1]
	}
	if procs["1"] != "sh" {
		t.Errorf("PID 1 in the container is %q, want sh; ps:\n%s", procs["1"], out)
	}
	var comms []string
	for _, comm := range procs {
		comms = append(comms, comm)
	}
	if len(procs) != 3 {
		t.Errorf("ps in the container lists %d processes %v, want only sh, sleep and ps:\n%s", len(procs), comms, out)
	}
}

// Exit statuses follow docker: the command's own, 126 when it cannot be
// executed, 127 when it is not found.
func TestExitStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		cmd    []string
		code   int
		stderr string // kobako's error must mention it; empty: no error
	}{
		{"true", []string{"true"}, 0, ""},
		{"exit 7", []string{"sh", "-c", "exit 7"}, 7, ""},
		{"killed shell child", []string{"sh", "-c", "sleep 100 & kill -9 $!; wait $!"}, 137, ""},
		{"not executable", []string{"/etc/passwd"}, 126, "/etc/passwd"},
		{"directory", []string{"/etc"}, 126, "/etc"},
		{"not found", []string{"nonexistent-cmd"}, 127, "nonexistent-cmd"},
		{"not found by path", []string{"/no/such/file"}, 127, "/no/such/file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := e.run(append([]string{"run", "--rm", "busybox"}, tc.cmd...)...)
			if code != tc.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if tc.stderr != "" {
				checkOneLineError(t, stderr, tc.stderr)
			}
		})
	}
	e.expectNoContainers("run --rm")
}

// stdin reaches the container only with -i, as with docker.
func TestStdin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	stdout, stderr, code := e.runWithInput(strings.NewReader("hello\n"), "run", "-i", "--rm", "busybox", "cat")
	if code != 0 || stdout != "hello\n" {
		t.Errorf("run -i cat: exit %d, stdout %q, want 0 and \"hello\\n\"; stderr:\n%s", code, stdout, stderr)
	}
	// Without -i, cat reads an empty stdin and ends at once.
	stdout, stderr, code = e.runWithInput(strings.NewReader("hello\n"), "run", "--rm", "busybox", "cat")
	if code != 0 || stdout != "" {
		t.Errorf("run cat (no -i): exit %d, stdout %q, want 0 and nothing; stderr:\n%s", code, stdout, stderr)
	}
}

// -e and -w reach the process; the defaults are there without them.
func TestEnvAndWorkdir(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.mustRun("run", "--rm", "-e", "GREETING=konnichiwa", "-w", "/tmp/work", "busybox",
		"sh", "-c", `echo "$GREETING"; pwd; echo "$PATH"; echo "$HOSTNAME"`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != "konnichiwa" || lines[1] != "/tmp/work" || lines[2] == "" || lines[3] == "" {
		t.Errorf("env and workdir in the container:\n%s\nwant konnichiwa, /tmp/work, a PATH and a HOSTNAME", out)
	}
}

// Ten containers at once — the first use of the busybox image among them —
// all run, each with a host name of its own, and leave nothing behind.
func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 10
	type result struct {
		stdout, stderr string
		code           int
		err            error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			r.stdout, r.stderr, r.code, r.err = e.exec(nil, "run", "--rm", "busybox", "hostname")
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	shortID := regexp.MustCompile(`^[0-9a-f]{12}$`)
	for i, r := range results {
		if r.err != nil || r.code != 0 {
			t.Errorf("run %d: exit %d, %v; stderr:\n%s", i, r.code, r.err, r.stderr)
			continue
		}
		h := strings.TrimSpace(r.stdout)
		if !shortID.MatchString(h) {
			t.Errorf("run %d: hostname %q is not a short id", i, h)
		}
		if seen[h] {
			t.Errorf("run %d: hostname %q seen twice", i, h)
		}
		seen[h] = true
	}
	e.expectNoContainers("%d × run --rm", n)
	if out := e.mustRun("ps", "-a"); len(strings.Split(strings.TrimSpace(out), "\n")) != 1 {
		t.Errorf("ps -a after %d × run --rm lists containers:\n%s", n, out)
	}
}

// The errors a person meets first: each is one line, exit 125, and leaves
// no container behind.
func TestRunErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string // the error line mentions each
	}{
		{"unknown image", []string{"run", "--rm", "--pull", "never", "no-such-image", "true"}, []string{"no such image", "no-such-image"}},
		{"no image", []string{"run"}, []string{"image"}},
		{"relative workdir", []string{"run", "--rm", "-w", "relative/dir", "busybox", "true"}, []string{"relative/dir"}},
		{"invalid name", []string{"run", "--rm", "--name", "../evil", "busybox", "true"}, []string{"../evil"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := e.run(tc.args...)
			if code != 125 {
				t.Errorf("exit status %d, want 125; stderr:\n%s", code, stderr)
			}
			checkOneLineError(t, stderr, tc.want...)
			e.expectNoContainers("a failed run")
		})
	}
}

// A name is taken once: the second run is refused and creates nothing.
func TestDuplicateName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "dup", "busybox", "sleep", "1000")
	first := e.containerIDs()
	_, stderr, code := e.run("run", "--rm", "--name", "dup", "busybox", "true")
	if code != 125 {
		t.Errorf("second run --name dup: exit %d, want 125; stderr:\n%s", code, stderr)
	}
	checkOneLineError(t, stderr, "dup")
	if got := e.containerIDs(); len(got) != 1 || got[0] != first[0] {
		t.Errorf("containers after the refused run: %v, want only %v", got, first)
	}
	if in := e.inspect("dup"); in.Status != "running" {
		t.Errorf("the first dup is %s after the refused run, want running", in.Status)
	}
}

// Without root, run says so, in one line, before touching anything.
func TestRunNeedsRoot(t *testing.T) {
	t.Parallel()
	requireRoot(t) // to become nobody, we must be root
	// A copy of the binary that nobody (uid 65534) can reach and execute:
	// the test's own temp dirs are 0700.
	dir, err := os.MkdirTemp("", "kobako-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "kobako")
	data, err := os.ReadFile(kobako)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}

	root, dataRoot := filepath.Join(dir, "run"), filepath.Join(dir, "data")
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--root", root, "--data-root", dataRoot, "run", "--rm", "busybox", "true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	code, err := exitCode(cmd, err)
	if err != nil {
		t.Fatalf("kobako run as nobody: %v", err)
	}
	if code != 125 {
		t.Errorf("kobako run as nobody: exit %d, want 125", code)
	}
	checkOneLineError(t, string(out), "needs root")
	for _, p := range []string{root, dataRoot} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("kobako run as nobody made %s", p)
		}
	}
}
