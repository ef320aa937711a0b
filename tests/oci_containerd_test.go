package tests

// containerd with kobako as the runc of its runc v2 shim: the shim calls
// kobako with --root, --log <bundle>/log.json --log-format json, then
// create, start, exec, kill, pause, resume, ps, delete — as it calls runc
// for every container of a Kubernetes node. The test starts a containerd
// of its own (private root, state and sockets, no CRI plugin) and uses a
// containerd namespace of its own, which is also the cgroup parent:
// ctr's cgroupsPath is /<namespace>/<id>.
//
// Shell twin: ctr images import busybox.tar &&
// ctr run --rm --runc-binary /usr/local/bin/kobako docker.io/library/busybox:latest c1 echo hi

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// containerdImage is the name the busybox archive of kobako save gives
// its image, as containerd normalises it.
const containerdImage = "docker.io/library/busybox:latest"

// containerdWorld is the test's containerd and ctr pointed at it.
type containerdWorld struct {
	ctr      tool
	runtime  string // --runc-binary
	runcRoot string // --runc-root: the runtime's state dir
	ns       string // the containerd namespace, and the cgroup parent
	address  string // containerd's socket
}

// startContainerd starts containerd with a private configuration, imports
// the busybox image into the test's namespace, and stops it all when the
// test ends: containers deleted, the daemon stopped by its pid, no shim
// left, the namespace's cgroups removed.
func startContainerd(t *testing.T) *containerdWorld {
	t.Helper()
	requireTools(t, "containerd", "containerd", "ctr", "containerd-shim-runc-v2")
	expectHostMountsUnchanged(t)
	dir := t.TempDir()
	w := &containerdWorld{
		runtime:  ociRuntime(t),
		runcRoot: filepath.Join(dir, "runc"),
		ns:       "kobako-test-" + randomHex(t)[:8],
		address:  filepath.Join(dir, "containerd.sock"),
	}
	removeCgroupOnCleanup(t, "/"+w.ns)
	w.ctr = tool{t: t, name: "ctr", args: []string{"--address", w.address, "--namespace", w.ns}}

	// The opt plugin would otherwise make /opt/containerd; the CRI plugin
	// (Kubernetes' door) is not needed to run containers.
	config := filepath.Join(dir, "config.toml")
	err := os.WriteFile(config, []byte(fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = %q

[ttrpc]
  address = %q

[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), w.address, w.address+".ttrpc",
		filepath.Join(dir, "opt"))), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	startDaemon(t, func() bool {
		_, _, code, err := w.ctr.tryRun("version")
		return err == nil && code == 0
	}, "containerd", "--config", config)
	// Shims are started by containerd with -address <its socket>; they
	// must be gone once the containers are.
	t.Cleanup(func() { expectNoProcessesWith(t, w.address) })
	t.Cleanup(w.deleteAll)

	w.ctr.mustRun("images", "import", busyboxSaveArchive(t))
	return w
}

// deleteAll kills and deletes every task and container of the namespace.
func (w *containerdWorld) deleteAll() {
	t := w.ctr.t
	out, _, _, err := w.ctr.tryRun("containers", "list", "--quiet")
	if err != nil {
		t.Errorf("cleanup: ctr containers list: %v", err)
		return
	}
	for _, id := range strings.Fields(out) {
		w.ctr.tryRun("tasks", "kill", "--signal", "SIGKILL", id)
		w.ctr.tryRun("tasks", "delete", "--force", id)
		if _, stderr, code, err := w.ctr.tryRun("containers", "delete", id); err != nil || code != 0 {
			t.Errorf("cleanup: ctr containers delete %s: exit %d, %v\n%s", id, code, err, stderr)
		}
	}
}

// runtimeFlags points ctr run at the runtime under test.
func (w *containerdWorld) runtimeFlags() []string {
	return []string{"--runc-binary", w.runtime, "--runc-root", w.runcRoot}
}

// run is `ctr run` of the busybox image through the runtime under test.
func (w *containerdWorld) runArgs(flags []string, id string, command ...string) []string {
	args := append(append([]string{"run"}, w.runtimeFlags()...), flags...)
	return append(append(args, containerdImage, id), command...)
}

// taskStatus is the STATUS column of `ctr task ls` for id.
func (w *containerdWorld) taskStatus(id string) string {
	for _, line := range strings.Split(w.ctr.mustRun("tasks", "list"), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == id {
			return f[2]
		}
	}
	return ""
}

// containerd's tasks through kobako, case by case, in one containerd.
func TestOCIContainerd(t *testing.T) {
	w := startContainerd(t)
	layout := hostCgroups(t)

	t.Run("run to completion", func(t *testing.T) {
		stdout, stderr, code := w.ctr.run(w.runArgs([]string{"--rm"}, "once", "echo", "hi")...)
		if code != 0 || stdout != "hi\n" {
			t.Errorf("ctr run --rm echo hi: exit %d, stdout %q; stderr:\n%s", code, stdout, stderr)
		}
		if _, _, code := w.ctr.run(w.runArgs([]string{"--rm"}, "status", "sh", "-c", "exit 3")...); code != 3 {
			t.Errorf("ctr run of sh -c 'exit 3': exit %d, want 3", code)
		}
	})

	t.Run("-t", func(t *testing.T) {
		// (ctr sets the window size only after the task started, so the
		// container may see 0 0 or 30 90: not checked here)
		term := w.ctr.onTerminal(30, 90, w.runArgs([]string{"--rm", "-t"}, "tty", "sh", "-c", "tty; test -t 0 && echo TTY")...)
		out, code := term.wait(t)
		if lines := terminalLines(out); code != 0 || !slices.Equal(lines, []string{"/dev/pts/0", "TTY"}) {
			t.Errorf("ctr run -t: exit %d, terminal showed %q, want /dev/pts/0 and TTY", code, out)
		}
	})

	t.Run("detached task", func(t *testing.T) {
		id := "long"
		w.ctr.mustRun(w.runArgs([]string{"--detach"}, id, sigtermLoop...)...)
		if got := w.taskStatus(id); got != "RUNNING" {
			t.Errorf("ctr task ls: %s is %q, want RUNNING", id, got)
		}
		if out := w.ctr.mustRun("tasks", "exec", "--exec-id", "e1", id, "sh", "-c", "echo $((6*7))"); out != "42\n" {
			t.Errorf("ctr task exec: %q, want 42", out)
		}
		term := w.ctr.onTerminal(24, 80, "tasks", "exec", "--tty", "--exec-id", "e2", id, "tty")
		if out, code := term.wait(t); code != 0 || !strings.HasPrefix(strings.TrimSpace(out), "/dev/pts/") {
			t.Errorf("ctr task exec -t tty: exit %d, %q, want /dev/pts/N", code, out)
		}
		if out := w.ctr.mustRun("tasks", "ps", id); len(strings.Split(strings.TrimSpace(out), "\n")) < 2 {
			t.Errorf("ctr task ps: %q, want a header and the task's processes", out)
		}

		w.ctr.mustRun("tasks", "pause", id)
		if got := w.taskStatus(id); got != "PAUSED" {
			t.Errorf("after ctr task pause: %q, want PAUSED", got)
		}
		if !layout.v2 {
			state := filepath.Join(layout.v1["freezer"], w.ns, id, "freezer.state")
			if got := readString(t, state); got != "FROZEN\n" {
				t.Errorf("after ctr task pause: %s says %q, want FROZEN", state, got)
			}
		}
		w.ctr.mustRun("tasks", "resume", id)
		if got := w.taskStatus(id); got != "RUNNING" {
			t.Errorf("after ctr task resume: %q, want RUNNING", got)
		}

		w.ctr.mustRun("tasks", "kill", id) // SIGTERM: the trap exits 0
		waitFor(t, id+" to stop", func() bool { return w.taskStatus(id) == "STOPPED" })
		w.ctr.mustRun("tasks", "delete", id)
		w.ctr.mustRun("containers", "delete", id)
		for _, mnt := range layout.mounts {
			if dir := filepath.Join(mnt, w.ns, id); exists(dir) {
				t.Errorf("the task's cgroup %s is left after ctr task delete", dir)
			}
		}
	})

	t.Run("kill", func(t *testing.T) {
		id := "killed"
		w.ctr.mustRun(w.runArgs([]string{"--detach"}, id, "sleep", "100")...)
		w.ctr.mustRun("tasks", "kill", "--signal", "SIGKILL", id)
		waitFor(t, id+" to stop", func() bool { return w.taskStatus(id) == "STOPPED" })
		w.ctr.mustRun("tasks", "delete", id)
		w.ctr.mustRun("containers", "delete", id)
	})

	// The runtime's own words reach the user: the shim reads the last
	// "error" line of the runtime's JSON log, and ctr shows it. Without
	// that line ctr could say only "exit status 1". Two kinds of error: a
	// config the runtime refuses at create, before anything is made, and
	// a command the container's init cannot execve.
	t.Run("an error from the runtime", func(t *testing.T) {
		command := "/no-such-command-" + randomHex(t)[:6]
		for _, c := range []struct {
			what, words    string
			flags, command []string
		}{
			{"a rootfsPropagation no runtime knows", "kobako-bogus",
				[]string{"--rm", "--rootfs-propagation", "kobako-bogus"}, []string{"true"}},
			{"a missing command", command, []string{"--rm"}, []string{command}},
		} {
			start := time.Now()
			_, stderr, code := w.ctr.run(w.runArgs(c.flags, "failing", c.command...)...)
			if code == 0 || !strings.Contains(stderr, c.words) {
				t.Errorf("ctr run with %s: exit %d, stderr does not say %s:\n%s", c.what, code, c.words, stderr)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("ctr run with %s: the failure took %v to reach ctr", c.what, took)
			}
			if out := w.ctr.mustRun("containers", "list", "--quiet"); strings.TrimSpace(out) != "" {
				t.Errorf("containers left after a failed ctr run --rm with %s: %q", c.what, out)
			}
		}
	})
}
