package tests

// Docker Engine with kobako added as a runtime (dockerd --add-runtime, or
// "runtimes" in daemon.json): dockerd asks its containerd, whose runc
// shim calls kobako with Docker's config.json — its sysctls, its device
// rules, cgroupsPath under --cgroup-parent. The test starts a dockerd of
// its own: private data root, exec root and socket, no bridge and no
// iptables rules (a container's network is "none"), vfs storage (no
// mounts to leak), and the daemon.json of its own (an empty one).
//
// Shell twin: dockerd --add-runtime kobako=/usr/local/bin/kobako &
// docker run --runtime kobako --rm busybox echo hi

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// dockerImage is the name docker import gives the test's busybox image.
const dockerImage = "kobako-test/busybox"

// dockerWorld is the test's dockerd and the docker client pointed at it.
type dockerWorld struct {
	tool
	cgroup string // --cgroup-parent of the daemon
}

// startDockerd starts dockerd, imports the busybox image, and when the
// test ends removes the containers, stops dockerd (which stops its own
// containerd) by its pid, and checks that nothing is left running or
// mounted under its roots.
func startDockerd(t *testing.T) *dockerWorld {
	t.Helper()
	requireTools(t, "docker.io", "dockerd", "docker", "containerd", "containerd-shim-runc-v2")
	expectHostMountsUnchanged(t)
	dir := t.TempDir()
	dataRoot, execRoot := filepath.Join(dir, "data"), filepath.Join(dir, "exec")
	socket := filepath.Join(dir, "docker.sock")
	w := &dockerWorld{cgroup: cgroupOfTest(t)}
	w.tool = tool{t: t, name: "docker", env: []string{
		"DOCKER_HOST=unix://" + socket,
		"DOCKER_CONFIG=" + filepath.Join(dir, "client"), // no ~/.docker
	}}
	daemonJSON := filepath.Join(dir, "daemon.json") // not /etc/docker's
	if err := os.WriteFile(daemonJSON, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		// dockerd's containerd, if it outlived dockerd: a child of the
		// daemon the test started, found by its pid file under execRoot
		if pid := readPidFile(filepath.Join(execRoot, "containerd", "containerd.pid")); pid > 0 && !processGone(pid) {
			t.Errorf("cleanup: dockerd's containerd (pid %d) outlived dockerd; killing it", pid)
			unix.Kill(pid, unix.SIGKILL)
		}
		expectNoProcessesWith(t, execRoot)
		unmountUnder(t, dataRoot)
		unmountUnder(t, execRoot)
	})
	startDaemon(t, func() bool {
		_, _, code, err := w.tryRun("version")
		return err == nil && code == 0
	}, "dockerd",
		"--config-file", daemonJSON,
		"--data-root", dataRoot, "--exec-root", execRoot,
		"--host", "unix://"+socket, "--pidfile", filepath.Join(dir, "docker.pid"),
		"--iptables=false", "--ip6tables=false", "--bridge=none", "--ip-forward=false", "--ip-masq=false",
		"--storage-driver", "vfs",
		"--cgroup-parent", w.cgroup,
		"--add-runtime", "kobako="+ociRuntime(t))
	t.Cleanup(w.removeAll)

	w.mustRun("import", busyboxTarball(t), dockerImage)
	return w
}

// removeAll force-removes every container of the test's dockerd.
func (w *dockerWorld) removeAll() {
	t := w.t
	out, _, _, err := w.tryRun("ps", "--all", "--quiet")
	if err != nil {
		t.Errorf("cleanup: docker ps: %v", err)
		return
	}
	if ids := strings.Fields(out); len(ids) > 0 {
		if _, stderr, code, err := w.tryRun(append([]string{"rm", "--force"}, ids...)...); err != nil || code != 0 {
			t.Errorf("cleanup: docker rm --force: exit %d, %v\n%s", code, err, stderr)
		}
	}
}

// readPidFile reads a daemon's pid file; 0 when there is none.
func readPidFile(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// runArgs is `docker run` through the runtime under test.
func (w *dockerWorld) runArgs(flags ...string) []string {
	return append([]string{"run", "--runtime", "kobako"}, flags...)
}

// Docker's containers through kobako, case by case, in one dockerd.
func TestOCIDocker(t *testing.T) {
	w := startDockerd(t)

	t.Run("run --rm echo", func(t *testing.T) {
		stdout, stderr, code := w.run(append(w.runArgs("--rm"), dockerImage, "echo", "hi")...)
		if code != 0 || stdout != "hi\n" {
			t.Errorf("docker run --rm echo hi: exit %d, stdout %q; stderr:\n%s", code, stdout, stderr)
		}
		if _, _, code := w.run(append(w.runArgs("--rm"), dockerImage, "sh", "-c", "exit 3")...); code != 3 {
			t.Errorf("docker run of sh -c 'exit 3': exit %d, want 3", code)
		}
	})

	t.Run("run -it", func(t *testing.T) {
		term := w.onTerminal(30, 90, append(w.runArgs("-it", "--rm"), dockerImage,
			"sh", "-c", "tty; test -t 0 && echo TTY")...)
		out, code := term.wait(t)
		// The docker client warns on the terminal when the host does not
		// forward IPv4 (the daemon runs with --ip-forward=false here).
		lines := slices.DeleteFunc(terminalLines(out), func(l string) bool { return strings.HasPrefix(l, "WARNING: ") })
		if code != 0 || !slices.Equal(lines, []string{"/dev/pts/0", "TTY"}) {
			t.Errorf("docker run -it: exit %d, terminal showed %q, want /dev/pts/0 and TTY", code, out)
		}
	})

	t.Run("exec and stop", func(t *testing.T) {
		w.mustRun(append(append(w.runArgs("--detach", "--name", "long"), dockerImage), sigtermLoop...)...)
		if out := w.mustRun("exec", "long", "sh", "-c", "echo $((6*7))"); out != "42\n" {
			t.Errorf("docker exec: %q, want 42", out)
		}
		if out := w.mustRun("exec", "-t", "long", "tty"); !strings.HasPrefix(out, "/dev/pts/") {
			t.Errorf("docker exec -t tty: %q, want /dev/pts/N", out)
		}
		start := time.Now()
		w.mustRun("stop", "--time", "10", "long")
		if took := time.Since(start); took > 8*time.Second {
			t.Errorf("docker stop took %v: SIGTERM did not reach the container", took)
		}
		if got := strings.TrimSpace(w.mustRun("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "long")); got != "exited 0" {
			t.Errorf("after docker stop: %q, want exited 0", got)
		}
		w.mustRun("rm", "long")
	})

	t.Run("--memory 10m", func(t *testing.T) {
		w.mustRun(append(append(w.runArgs("--detach", "--name", "limited", "--memory", "10m"), dockerImage), sigtermLoop...)...)
		// Docker's cgroupsPath is <cgroup-parent>/<id>
		id := strings.TrimSpace(w.mustRun("inspect", "--format", "{{.Id}}", "limited"))
		layout := hostCgroups(t)
		cgroup := filepath.Join(layout.v1["memory"], w.cgroup, id)
		if layout.v2 {
			cgroup = filepath.Join(layout.root, w.cgroup, id)
		}
		expectMemoryLimit(t, cgroup, w.mustRun("exec", "limited", "sh", "-c", memoryLimitInside))
		w.mustRun("rm", "--force", "limited")
	})
}
