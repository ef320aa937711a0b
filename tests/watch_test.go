package tests

// Watching containers from outside: kobako commands left running in the
// background, inspect's JSON, and waiting for a state to be reached.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// background is a kobako command started by the test and still running.
type background struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
	code int           // exit status, -1 if killed by a signal; valid after done
	out  *os.File      // its stdout and stderr
}

// start starts kobako with args in the background. It is killed (it is our
// own child) and reaped when the test ends, if it is still running.
func (e *env) start(args ...string) *background {
	e.t.Helper()
	// Output goes to a file, not a pipe: a container whose kobako run was
	// killed still holds its stdout, and Wait would wait for it.
	out, err := os.CreateTemp(e.t.TempDir(), "output-")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { out.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	b := &background{cmd: e.command(ctx, args...), done: make(chan struct{}), out: out}
	b.cmd.Stdout, b.cmd.Stderr = out, out
	if err := b.cmd.Start(); err != nil {
		cancel()
		e.t.Fatalf("start kobako %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		defer cancel()
		b.cmd.Wait()
		b.code = b.cmd.ProcessState.ExitCode()
		close(b.done)
	}()
	e.t.Cleanup(func() {
		b.cmd.Process.Kill() // a no-op once it has exited
		<-b.done
	})
	return b
}

// wait waits for the background command and returns its exit status.
func (b *background) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-b.done:
		return b.code
	case <-time.After(commandTimeout):
		t.Fatalf("kobako %s still running after %v", strings.Join(b.cmd.Args[1:], " "), commandTimeout)
		return -1
	}
}

// output is what the command wrote so far.
func (b *background) output() string {
	data, err := os.ReadFile(b.out.Name())
	if err != nil {
		return fmt.Sprintf("(output unreadable: %v)", err)
	}
	return string(data)
}

// running says whether the background command has not exited yet.
func (b *background) running() bool {
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// inspection is what `kobako inspect` says about one container.
type inspection struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Image      string            `json:"image"`
	Command    []string          `json:"command"`
	Status     string            `json:"status"`
	Pid        int               `json:"pid"`
	ExitCode   *int              `json:"exitCode"`
	Hostname   string            `json:"hostname"`
	Namespaces map[string]string `json:"namespaces"`
	Bundle     string            `json:"bundle"`
	Rootfs     string            `json:"rootfs"`
	Overlay    struct {
		Lower []string `json:"lower"`
		Upper string   `json:"upper"`
		Work  string   `json:"work"`
	} `json:"overlay"`
}

// tryInspect runs `kobako inspect ref`, without failing the test.
func (e *env) tryInspect(ref string) (inspection, error) {
	stdout, stderr, code, err := e.exec(nil, "inspect", ref)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit %d: %s", code, strings.TrimSpace(stderr))
	}
	if err != nil {
		return inspection{}, fmt.Errorf("kobako inspect %s: %w", ref, err)
	}
	var list []inspection
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		return inspection{}, fmt.Errorf("kobako inspect %s: %w\n%s", ref, err, stdout)
	}
	if len(list) != 1 {
		return inspection{}, fmt.Errorf("kobako inspect %s: %d objects, want 1", ref, len(list))
	}
	return list[0], nil
}

// inspect is tryInspect that fails the test.
func (e *env) inspect(ref string) inspection {
	e.t.Helper()
	in, err := e.tryInspect(ref)
	if err != nil {
		e.t.Fatal(err)
	}
	return in
}

// waitFor polls cond every 20 ms until it holds, and fails the test after
// 20 s. what says what was awaited.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRunning waits until ref exists and runs, and returns its inspection.
func (e *env) waitRunning(ref string) inspection {
	e.t.Helper()
	var in inspection
	waitFor(e.t, "container "+ref+" to run", func() bool {
		var err error
		in, err = e.tryInspect(ref)
		return err == nil && in.Status == "running" && in.Pid > 0
	})
	return in
}

// waitExited waits until ref has stopped and its exit status is recorded.
func (e *env) waitExited(ref string) inspection {
	e.t.Helper()
	var in inspection
	waitFor(e.t, "container "+ref+" to exit", func() bool {
		var err error
		in, err = e.tryInspect(ref)
		return err == nil && in.Status == "stopped" && in.ExitCode != nil
	})
	return in
}

// processGone says whether pid has died: no /proc entry, or a zombie that
// only waits for a parent (the host's init, maybe) to reap it.
func processGone(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) S …: the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X'
}
