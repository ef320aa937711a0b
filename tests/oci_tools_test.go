package tests

// The programs the OCI tests drive and start, for oci_*_test.go: a client
// (podman, ctr, docker) with its private arguments and environment, run
// plainly or on a pty; a daemon (containerd, dockerd) the test starts and
// stops by its own pid; and the checks that, once a daemon is stopped,
// nothing it started still runs and nothing stays mounted under its roots.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tool is a client program (podman, ctr, docker) with the arguments and
// environment that point it at the test's private world.
type tool struct {
	t    *testing.T
	name string   // the program
	args []string // put before every command's own: sockets, roots
	env  []string // added to the test's environment
}

// command is one command line of the tool, bound to ctx.
func (c tool) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.name, append(slices.Clone(c.args), args...)...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.WaitDelay = 5 * time.Second // a container may hold our pipes
	return cmd
}

// run runs the tool with an empty stdin and returns what it wrote and its
// exit status; a tool that cannot start, or hangs, fails the test.
func (c tool) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	stdout, stderr, code, err := c.tryRun(args...)
	if err != nil {
		c.t.Fatalf("%s %s: %v (stderr: %s)", c.name, strings.Join(args, " "), err, stderr)
	}
	return stdout, stderr, code
}

// tryRun is run without failing the test: for cleanups. Output goes to
// files, not pipes: a container started by the command (runc create, a
// detached exec) keeps its stdio, and a pipe would stay open with it.
func (c tool) tryRun(args ...string) (stdout, stderr string, code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := c.command(ctx, args...)
	var files [2]*os.File
	for i := range files {
		if files[i], err = os.CreateTemp("", "kobako-oci-output-"); err != nil {
			return "", "", -1, err
		}
		defer os.Remove(files[i].Name())
		defer files[i].Close()
	}
	cmd.Stdout, cmd.Stderr = files[0], files[1]
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		err = nil
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v", commandTimeout)
	}
	out, _ := os.ReadFile(files[0].Name())
	errOut, _ := os.ReadFile(files[1].Name())
	return string(out), string(errOut), cmd.ProcessState.ExitCode(), err
}

// mustRun runs the tool and fails the test unless it exits 0.
func (c tool) mustRun(args ...string) string {
	c.t.Helper()
	stdout, stderr, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("%s %s: exit %d, stderr:\n%s", c.name, strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// onTerminal starts the tool on a new pty of size rows×cols, as a person
// at a terminal would run it.
func (c tool) onTerminal(rows, cols uint16, args ...string) *terminal {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	return startOnPty(c.t, c.command(ctx, args...), cancel, rows, cols)
}

// terminalLines is what a terminal showed, line by line, without the
// carriage returns a pty adds (two, when a client relays one pty onto
// another).
func terminalLines(out string) []string {
	return strings.Split(strings.TrimSpace(strings.ReplaceAll(out, "\r", "")), "\n")
}

// daemon is a server the test started (containerd, dockerd): its own
// child, stopped when the test ends.
type daemon struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
	log  string        // where its output goes
}

// startDaemon starts name with args, its output to a log file, and waits
// until ready says it answers. The daemon gets SIGTERM when the test ends
// (then SIGKILL if it has not exited after 30 s): registered before any
// cleanup that needs it, it runs after them.
func startDaemon(t *testing.T, ready func() bool, name string, args ...string) *daemon {
	t.Helper()
	d := &daemon{cmd: exec.Command(name, args...), done: make(chan struct{}),
		log: filepath.Join(t.TempDir(), name+".log")}
	logFile, err := os.Create(d.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	d.cmd.Stdout, d.cmd.Stderr = logFile, logFile
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(d.stop(t))
	deadline := time.Now().Add(30 * time.Second)
	for !ready() {
		select {
		case <-d.done:
			t.Fatalf("%s exited before it answered: %v\n%s", name, d.cmd.ProcessState, d.logTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer after 30 s:\n%s", name, d.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return d
}

// stop returns the cleanup that ends the daemon, by the pid we started.
func (d *daemon) stop(t *testing.T) func() {
	return func() {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(30 * time.Second):
			t.Errorf("cleanup: %s still runs 30 s after SIGTERM; killing it\n%s", d.cmd.Path, d.logTail())
			d.cmd.Process.Kill()
			<-d.done
		}
	}
}

// logTail is the end of the daemon's log, for a failure message.
func (d *daemon) logTail() string {
	data, _ := os.ReadFile(d.log)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// processesWith lists the live processes whose command line contains
// marker (a socket or directory of the test's own): the shims and
// monitors the test's daemons and clients started. Zombies are left out:
// they are gone, only not yet reaped by whoever they were reparented to.
func processesWith(marker string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(marker)) {
			continue
		}
		if !processGone(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// expectNoProcessesWith waits up to 20 s for every process started for the
// test (found by marker) to exit; one still running then is an error, and
// is killed — it is a descendant of the test's own daemon or client.
func expectNoProcessesWith(t *testing.T, marker string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if len(processesWith(marker)) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, pid := range processesWith(marker) {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		t.Errorf("cleanup: process %d left running: %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		unix.Kill(pid, unix.SIGKILL)
	}
}

// unmountUnder unmounts whatever is still mounted under dir, deepest
// first, and says so: a daemon that stopped cleanly leaves nothing.
func unmountUnder(t *testing.T, dir string) {
	t.Helper()
	var points []string
	for _, line := range readMountinfo(t) {
		if p := parseMountinfoLine(t, line).mountPoint; p == dir || strings.HasPrefix(p, dir+"/") {
			points = append(points, p)
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	for _, p := range points {
		t.Errorf("cleanup: %s still mounted after its daemon stopped", p)
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			t.Errorf("cleanup: umount -l %s: %v", p, err)
		}
	}
}
