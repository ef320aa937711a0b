package tests

// The world of one test: its own --root and --data-root, the commands that
// drive kobako in it, and the clean-up that removes its containers and then
// checks that the host is as it was.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// env is one test's kobako world: its own state dir and data root.
type env struct {
	t        *testing.T
	root     string   // --root
	dataRoot string   // --data-root
	mounts   []string // the host's /proc/self/mountinfo when the env was made
	bin      string   // the kobako binary its commands run
}

// newEnv makes an env whose containers are removed when the test ends, and
// which then checks that kobako left the host as it found it.
func newEnv(t *testing.T) *env {
	t.Helper()
	requireRoot(t)
	dir := t.TempDir()
	e := &env{
		t:        t,
		root:     filepath.Join(dir, "run"),
		dataRoot: filepath.Join(dir, "data"),
		mounts:   readMountinfo(t),
		bin:      kobako,
	}
	t.Cleanup(e.cleanup)
	return e
}

// command returns a kobako command line of this env, bound to ctx.
func (e *env) command(ctx context.Context, args ...string) *exec.Cmd {
	all := append([]string{"--root", e.root, "--data-root", e.dataRoot}, args...)
	cmd := exec.CommandContext(ctx, e.bin, all...)
	// A detached container's monitor could inherit our pipes: never wait
	// on them for long after kobako itself has exited.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// withBinary is the same env, driven by another kobako binary.
func (e *env) withBinary(bin string) *env {
	other := *e
	other.bin = bin
	return &other
}

// run runs kobako with args and an empty stdin, and returns what it wrote
// and its exit status.
func (e *env) run(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	return e.runWithInput(nil, args...)
}

// runWithInput is run with stdin read from in.
func (e *env) runWithInput(in io.Reader, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	stdout, stderr, code, err := e.exec(in, args...)
	if err != nil {
		e.t.Fatalf("kobako %s: %v (stderr: %s)", strings.Join(args, " "), err, stderr)
	}
	return stdout, stderr, code
}

// exec is run without the test failing: for cleanups and goroutines.
func (e *env) exec(in io.Reader, args ...string) (stdout, stderr string, code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	return collect(ctx, e.command(ctx, args...), in)
}

// collect runs cmd, bound to ctx, with stdin read from in (nil: empty),
// and returns what it wrote and its exit status.
func collect(ctx context.Context, cmd *exec.Cmd, in io.Reader) (stdout, stderr string, code int, err error) {
	var outBuf, errBuf bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, &outBuf, &errBuf
	code, err = exitCode(cmd, cmd.Run())
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v", commandTimeout)
	}
	return outBuf.String(), errBuf.String(), code, err
}

// exitCode turns cmd.Run's error into an exit status; a death by signal is
// an error, as kobako itself must never die that way.
func exitCode(cmd *exec.Cmd, err error) (int, error) {
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return -1, err
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return -1, fmt.Errorf("kobako was killed by %v", ws.Signal())
	}
	return cmd.ProcessState.ExitCode(), nil
}

// mustRun runs kobako and fails the test unless it exits 0.
func (e *env) mustRun(args ...string) string {
	e.t.Helper()
	stdout, stderr, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("kobako %s: exit %d, stderr:\n%s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// containerIDs lists the container directories under the data root.
// expectNoContainers fails the test if any container is left after what
// (a format for fmt, with its args) should have removed them all.
func (e *env) expectNoContainers(what string, args ...any) {
	e.t.Helper()
	if ids := e.containerIDs(); len(ids) > 0 {
		e.t.Errorf("containers left after %s: %v", fmt.Sprintf(what, args...), ids)
	}
}

func (e *env) containerIDs() []string {
	e.t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.dataRoot, "containers"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, entry := range entries {
		ids = append(ids, entry.Name())
	}
	return ids
}

// cleanup force-removes every container of the env, then checks that the
// host's mount table is unchanged and that no runtime state is left.
func (e *env) cleanup() {
	t := e.t
	if ids := e.containerIDs(); len(ids) > 0 {
		_, stderr, code, err := e.exec(nil, append([]string{"rm", "-f"}, ids...)...)
		if err != nil || code != 0 {
			t.Errorf("cleanup: kobako rm -f %s: exit %d, %v, stderr:\n%s", strings.Join(ids, " "), code, err, stderr)
		}
	}
	if left := e.containerIDs(); len(left) > 0 {
		t.Errorf("cleanup: container dirs left after rm -f: %v", left)
	}
	if added, removed := diffLines(e.mounts, readMountinfo(t)); len(added)+len(removed) > 0 {
		t.Errorf("cleanup: the host's /proc/self/mountinfo changed\nadded:\n%s\nremoved:\n%s",
			strings.Join(added, "\n"), strings.Join(removed, "\n"))
	}
	if entries := dirEntries(t, e.root); len(entries) > 0 {
		t.Errorf("cleanup: state dir %s not empty: %v", e.root, entries)
	}
	if entries := dirEntries(t, filepath.Join(e.dataRoot, "tmp")); len(entries) > 0 {
		t.Errorf("cleanup: %s/tmp not empty: %v", e.dataRoot, entries)
	}
}

// readMountinfo returns the lines of the host's (our own) mount table.
func readMountinfo(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// diffLines compares two lists of lines as sets.
func diffLines(before, after []string) (added, removed []string) {
	in := func(list []string) map[string]bool {
		m := make(map[string]bool, len(list))
		for _, l := range list {
			m[l] = true
		}
		return m
	}
	b, a := in(before), in(after)
	for _, l := range after {
		if !b[l] {
			added = append(added, l)
		}
	}
	for _, l := range before {
		if !a[l] {
			removed = append(removed, l)
		}
	}
	return added, removed
}

// dirEntries lists a directory's names; a missing directory is empty.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, entry := range entries {
		names[i] = entry.Name()
	}
	return names
}
