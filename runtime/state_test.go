package runtime

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/testenv"
)

// sleeper starts a process that stands for a container's init, and ends
// it when the test does. Its pid and start time go into a state.
func sleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		testenv.Missing(t, fmt.Sprintf("sleep, to stand for an init: %v", err))
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// fakeContainer writes <root>/<id>/state.json for an init with pid (0:
// one that is gone) and no cgroup; created adds the exec fifo.
func fakeContainer(t *testing.T, r *Runtime, id string, pid int, created bool) {
	t.Helper()
	if err := os.MkdirAll(r.dir(id), 0o700); err != nil {
		t.Fatal(err)
	}
	st := &State{State: specs.State{Version: specs.Version, ID: id, Status: specs.StateCreated, Pid: pid, Bundle: "/b"}}
	if pid > 0 {
		start, err := StartTime(pid)
		if err != nil {
			t.Fatal(err)
		}
		st.InitStartTime = start
	}
	if err := r.saveState(st); err != nil {
		t.Fatal(err)
	}
	if created {
		if err := unix.Mkfifo(filepath.Join(r.dir(id), execFifoFile), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLiveStatus(t *testing.T) {
	r := &Runtime{Root: t.TempDir()}
	init := sleeper(t)
	fakeContainer(t, r, "running", init.Process.Pid, false)
	fakeContainer(t, r, "created", init.Process.Pid, true)
	fakeContainer(t, r, "stopped", 0, false)
	for id, want := range map[string]specs.ContainerState{
		"running": specs.StateRunning, "created": specs.StateCreated, "stopped": specs.StateStopped,
	} {
		st, err := r.State(id)
		if err != nil || st.Status != want {
			t.Errorf("State(%s) = %v, %v; want %s", id, st, err, want)
		}
	}
}

// The refusals carry runc's exact words: engines match them.
func TestRuncWords(t *testing.T) {
	r := &Runtime{Root: t.TempDir()}
	fakeContainer(t, r, "stopped", 0, false)
	init := sleeper(t)
	fakeContainer(t, r, "running", init.Process.Pid, false)
	for _, tc := range []struct {
		what string
		err  error
		want string
	}{
		{"kill of an unknown id", r.Kill("nope", unix.SIGTERM), "container does not exist"},
		{"kill of a stopped container", r.Kill("stopped", unix.SIGTERM), "container not running"},
		{"pause of a stopped container", r.Pause("stopped"), "container not running"},
		{"resume of a running container", r.Resume("running"), "container not paused"},
		{"update of a stopped container", r.Update("stopped", &specs.LinuxResources{}), "container not running"},
		{"delete of a running container", r.Delete("running", false), "cannot delete container running that is not stopped: running"},
		{"delete of an unknown id", r.Delete("nope", false), "container does not exist"},
		{"exec into a stopped container", execErr(r, "stopped"), "cannot exec in a stopped container"},
	} {
		if tc.err == nil || tc.err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.what, tc.err, tc.want)
		}
	}
	// container/ tells these apart with errors.Is.
	if err := r.Kill("nope", unix.SIGTERM); !errors.Is(err, ErrNotExist) {
		t.Errorf("unknown id: %v is not ErrNotExist", err)
	}
	if err := r.Kill("stopped", unix.SIGTERM); !errors.Is(err, ErrNotRunning) {
		t.Errorf("stopped: %v is not ErrNotRunning", err)
	}
}

func execErr(r *Runtime, id string) error {
	_, err := r.Exec(id, ExecOptions{Process: &specs.Process{Args: []string{"true"}}})
	return err
}

func TestDelete(t *testing.T) {
	r := &Runtime{Root: t.TempDir()}
	// --force and an id that is not there: nothing to do, no error (runc).
	if err := r.Delete("nope", true); err != nil {
		t.Errorf("delete --force of an unknown id: %v", err)
	}
	// A created container is killed without --force, as runc does.
	init := sleeper(t)
	fakeContainer(t, r, "created", init.Process.Pid, true)
	if err := r.Delete("created", false); err != nil {
		t.Fatalf("delete of a created container: %v", err)
	}
	if _, err := os.Lstat(r.dir("created")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir left after delete: %v", err)
	}
	init.Wait()
	if ws := init.ProcessState.Sys().(interface{ Signal() unix.Signal }); ws.Signal() != unix.SIGKILL {
		t.Errorf("the init ended with %v, want SIGKILL", init.ProcessState)
	}
	// A running one only with --force.
	running := sleeper(t)
	fakeContainer(t, r, "running", running.Process.Pid, false)
	if err := r.Delete("running", true); err != nil {
		t.Fatalf("delete --force: %v", err)
	}
	if _, err := r.State("running"); !errors.Is(err, ErrNotExist) {
		t.Errorf("state after delete --force: %v", err)
	}
}

func TestKillAllNeedsCgroup(t *testing.T) {
	r := &Runtime{Root: t.TempDir()}
	init := sleeper(t)
	fakeContainer(t, r, "c1", init.Process.Pid, false)
	if err := r.KillAll("c1", unix.SIGTERM); err == nil {
		t.Error("kill --all without a cgroup must say it cannot find the processes")
	}
	if _, err := r.Pids("c1"); err == nil {
		t.Error("ps without a cgroup must say it cannot list the processes")
	}
}
