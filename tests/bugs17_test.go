package tests

// The four bugs of issue 17, each as a docker user met it: -it without a
// terminal, rename of a running detached container, "Up" after a
// restart, and a trace piped into head.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// -it with a stdin that is no terminal is refused up front, as docker
// does ("the input device is not a TTY"): a shell on a pty nobody types
// into would wait for ever. -i alone, with piped input, still works.
func TestBugs17InteractiveTtyNeedsTerminal(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := e.command(ctx, "run", "-it", "--rm", "--name", "notty", "busybox", "sh")
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	var stderr strings.Builder
	cmd.Stdin, cmd.Stderr = devnull, &stderr
	code, err := exitCode(cmd, cmd.Run())
	if ctx.Err() != nil {
		t.Fatalf("run -it </dev/null still running after 15 s: it must refuse at once")
	}
	if err != nil {
		t.Fatal(err)
	}
	if code != 125 {
		t.Errorf("run -it </dev/null: exit %d, want 125", code)
	}
	checkOneLineError(t, stderr.String(), "not a terminal", "-t")
	e.expectNoContainers("a refused run -it")

	// -i without -t: the container reads the pipe itself.
	out, errOut, code := e.runWithInput(strings.NewReader("piped\n"), "run", "-i", "--rm", "busybox", "cat")
	if code != 0 || out != "piped\n" {
		t.Errorf("run -i <pipe: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	// -d -it needs no terminal: attach brings one later.
	e.mustRun("run", "-dit", "--name", "later", "busybox", "sh")
	e.mustRun("rm", "-f", "later")

	// start -a -i of a container made with -t is the same question.
	e.mustRun("run", "-t", "--name", "made-t", "busybox", "true")
	_, errOut, code = e.run("start", "-a", "-i", "made-t")
	if code != 125 {
		t.Errorf("start -a -i of a -t container </dev/null: exit %d, want 125", code)
	}
	checkOneLineError(t, errOut, "not a terminal", "-i")
}

// A rename of a running detached container outlives its exit, and every
// name leads to a container that rm removes, or to nothing.
func TestBugs17RenameRunningDetached(t *testing.T) {
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "before", "busybox", "sleep", "1")
	e.mustRun("rename", "before", "after")
	if got := strings.TrimSpace(e.mustRun("wait", "after")); got != "0" {
		t.Errorf("wait after: %q, want 0", got)
	}
	if got := strings.TrimSpace(e.mustRun("ps", "-a", "--format", "{{.Names}}")); got != "after" {
		t.Errorf("ps -a after the container exited: names %q, want \"after\" (the rename reverted)", got)
	}
	if _, _, code := e.run("inspect", "before"); code == 0 {
		t.Errorf("inspect before: the old name still leads to the container")
	}
	e.mustRun("rm", "after")
	if left := dirEntries(t, filepath.Join(e.dataRoot, "names")); len(left) > 0 {
		t.Errorf("names left after rm: %v", left)
	}
	// The name is free again.
	e.mustRun("run", "--rm", "--name", "after", "busybox", "true")

	// A name that leads nowhere (left by a kobako killed half-way through
	// rm) is no container, and can be claimed again.
	names := filepath.Join(e.dataRoot, "names")
	if err := os.Symlink(strings.Repeat("ab", 32), filepath.Join(names, "stale")); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := e.run("rm", "-f", "stale")
	if code == 0 {
		t.Errorf("rm -f of a name that leads nowhere succeeded")
	}
	checkOneLineError(t, errOut, "no such container")
	e.mustRun("run", "--rm", "--name", "stale", "busybox", "true")
}

// ps counts "Up" from the last start, and inspect tells when a container
// started and finished, in RFC 3339.
func TestBugs17UpSinceStart(t *testing.T) {
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "up", "busybox", "sleep", "100")
	time.Sleep(4 * time.Second)
	e.mustRun("stop", "-t", "0", "up")
	stopped := time.Now()
	first := inspectTimes(t, e, "up")
	if first.finished.IsZero() || first.finished.Before(first.started) {
		t.Errorf("after stop: startedAt %v, finishedAt %v", first.started, first.finished)
	}
	e.mustRun("start", "up")
	status := strings.TrimSpace(e.mustRun("ps", "--format", "{{.Status}}"))
	if status != "Up 1 second" {
		t.Errorf("ps right after start: %q, want \"Up 1 second\" (counted from the start, not the creation)", status)
	}
	again := inspectTimes(t, e, "up")
	if !again.started.After(stopped.Add(-time.Second)) || time.Since(again.started) > 10*time.Second {
		t.Errorf("after start: startedAt %v, want about now (stopped at %v)", again.started, stopped)
	}
	if !again.finished.Equal(first.finished) {
		t.Errorf("after start: finishedAt %v, want the last run's %v, as docker keeps it", again.finished, first.finished)
	}
}

type runTimes struct{ started, finished time.Time }

// inspectTimes reads startedAt and finishedAt from inspect's JSON,
// wherever they sit (kobako's own shape, or docker's State).
func inspectTimes(t *testing.T, e *env, name string) runTimes {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(e.mustRun("inspect", name)), &out); err != nil || len(out) != 1 {
		t.Fatalf("inspect %s: %v", name, err)
	}
	var times runTimes
	for key, dst := range map[string]*time.Time{"startedat": &times.started, "finishedat": &times.finished} {
		text, ok := findKey(out[0], key).(string)
		if !ok {
			t.Fatalf("inspect %s: no %s in %v", name, key, out[0])
		}
		at, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			t.Fatalf("inspect %s: %s %q is not RFC 3339: %v", name, key, text, err)
		}
		*dst = at
	}
	return times
}

// findKey finds a key, case-insensitively, in nested JSON objects.
func findKey(v any, key string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	for k, val := range m {
		if strings.EqualFold(k, key) {
			return val
		}
	}
	for _, val := range m {
		if found := findKey(val, key); found != nil {
			return found
		}
	}
	return nil
}

// A reader that leaves (| head -3) must not kill kobako half-way: it
// goes on, waits for the container, and --rm removes all of it.
func TestBugs17TraceIntoClosedPipe(t *testing.T) {
	e := newEnv(t)
	layout := hostCgroups(t)
	// The busybox image first, so that the trace's first lines are the
	// container's, with its id.
	e.mustRun("run", "--rm", "busybox", "true")
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	// kobako --trace run --rm … 2>&1 | head -3
	cmd := e.command(ctx, "--trace", "run", "--rm", "busybox", "sh", "-c", "sleep 1; echo done")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	lines := readLines(t, r, 3)
	r.Close()
	code, err := exitCode(cmd, cmd.Wait())
	if err != nil {
		t.Fatalf("kobako --trace run … | head -3: %v", err)
	}
	t.Logf("exit %d after the reader left; first lines:\n%s", code, strings.Join(lines, "\n"))
	id := regexp.MustCompile(`ID=([0-9a-f]{12})`).FindStringSubmatch(strings.Join(lines, "\n"))
	if id == nil {
		t.Fatalf("no ID= in the first lines of the trace:\n%s", strings.Join(lines, "\n"))
	}
	e.expectNoContainers("run --rm whose trace reader left")
	if left := dirEntries(t, e.root); len(left) > 0 {
		t.Errorf("state left after run --rm whose trace reader left: %v", left)
	}
	layout.expectGone(t, id[1], "run --rm whose trace reader left")

	// With -t kobako copies the pty's output itself: a reader that
	// leaves must not kill it either, nor block the container.
	cmd = e.command(ctx, "run", "-t", "--rm", "busybox", "sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	readLines(t, out, 1)
	out.Close()
	if code, err = exitCode(cmd, cmd.Wait()); err != nil {
		t.Fatalf("kobako run -t … | head -1: %v", err)
	}
	if code != 0 {
		t.Errorf("kobako run -t … | head -1: exit %d, want the container's 0", code)
	}
	e.expectNoContainers("run -t --rm whose reader left")
}

// readLines reads n lines from r, as head does.
func readLines(t *testing.T, r io.Reader, n int) []string {
	t.Helper()
	scan := bufio.NewScanner(r)
	var lines []string
	for len(lines) < n && scan.Scan() {
		lines = append(lines, scan.Text())
	}
	if err := scan.Err(); err != nil && !errors.Is(err, os.ErrClosed) {
		t.Fatal(err)
	}
	return lines
}

// A kobako killed half-way through making a container (its trace reader
// gone, in the issue; SIGKILL here) leaves a state dir with only
// exec.fifo and cgroups in every hierarchy: rm must remove all of it.
func TestBugs17RmAfterKilledMidCreate(t *testing.T) {
	e := newEnv(t)
	layout := hostCgroups(t)
	e.mustRun("run", "--rm", "busybox", "true") // the image, made beforehand
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// A one-page pipe: once we stop reading, kobako's next trace lines
	// block it in the middle of create, before its state is recorded.
	if _, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := e.command(ctx, "--trace", "run", "--rm", "--name", "halfmade", "busybox", "true")
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	seen := readUntil(t, r, "/kobako/$ID\n") // its first cgroup is made
	id := regexp.MustCompile(`ID=([0-9a-f]{12})`).FindStringSubmatch(seen)
	if id == nil {
		t.Fatalf("no ID= in the trace:\n%s", seen)
	}
	// Should rm fail, its empty cgroups still go: the host is not ours to
	// litter.
	t.Cleanup(func() {
		for _, dir := range layout.kobakoDirs(t, id[1]) {
			os.Remove(dir) // rmdir: an empty cgroup only
		}
	})
	time.Sleep(500 * time.Millisecond) // it fills the pipe and blocks
	cmd.Process.Kill()
	cmd.Wait()
	r.Close() // its init, blocked on the trace too, goes on and ends

	if _, errOut, code := e.run("rm", "-f", "halfmade"); code != 0 {
		t.Errorf("rm -f of a half-made container: exit %d: %s", code, errOut)
	}
	e.expectNoContainers("rm -f of a half-made container")
	if left := dirEntries(t, e.root); len(left) > 0 {
		t.Errorf("state left after rm -f of a half-made container: %v", left)
	}
	layout.expectGone(t, id[1], "rm -f of a half-made container")
}

// readUntil reads r a byte at a time (leaving the rest in the pipe, as a
// stalled reader would) until what it read ends with end.
func readUntil(t *testing.T, r io.Reader, end string) string {
	t.Helper()
	var b strings.Builder
	one := make([]byte, 1)
	for !strings.HasSuffix(b.String(), end) {
		if _, err := r.Read(one); err != nil {
			t.Fatalf("read the trace: %v; so far:\n%s", err, b.String())
		}
		b.WriteByte(one[0])
	}
	return b.String()
}
