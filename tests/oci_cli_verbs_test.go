package tests

// The runtime's other verbs, driven as in oci_cli_test.go: list and ps,
// features, --version, checkpoint and restore (refused), run, and exec in
// the flag and --process forms.
//
// Shell twin: runc list -f json; runc ps -f json c1; runc features;
// runc run --bundle . c2; runc exec --process p.json c1 — see runc(8).

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// list and ps: what containerd and people read. list -f json has the
// container with its state; list -q its id; ps -f json the pids of its
// cgroup, the init's among them.
func TestOCIListPs(t *testing.T) {
	t.Parallel()
	e := newOCIEngine(t)
	id := e.newID("list")
	e.createAndStart(id)
	pid := e.state(id).Pid

	var listed []ociState
	out := e.mustRun("list", "-f", "json")
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatalf("list -f json: %v\n%s", err, out)
	}
	if i := slices.IndexFunc(listed, func(s ociState) bool { return s.ID == id }); i < 0 ||
		listed[i].Status != "running" || listed[i].Pid != pid {
		t.Errorf("list -f json: %s, want %s running with pid %d", out, id, pid)
	}
	if out := e.mustRun("list", "-q"); strings.TrimSpace(out) != id {
		t.Errorf("list -q: %q, want %q", out, id)
	}
	var pids []int
	out = e.mustRun("ps", "-f", "json", id)
	if err := json.Unmarshal([]byte(out), &pids); err != nil {
		t.Fatalf("ps -f json: %v\n%s", err, out)
	}
	if !slices.Contains(pids, pid) {
		t.Errorf("ps -f json %s: %v, want the init's pid %d in it", id, pids, pid)
	}

	e.mustRun("kill", id, "KILL")
	e.waitStatus(id, "stopped")
	e.mustRun("delete", id)
	out = e.mustRun("list", "-f", "json")
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed) != 0 {
		t.Errorf("list -f json with no containers: %q (%v), want null or []", out, err)
	}
}

// features: the runtime-spec's features document (features-linux.md),
// which engines read to learn what a runtime supports.
func TestOCIFeatures(t *testing.T) {
	t.Parallel()
	e := newOCIEngine(t)
	out := e.mustRun("features")
	var f features.Features
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("features: %v\n%s", err, out)
	}
	if !strings.HasPrefix(f.OCIVersionMin, "1.") || !strings.HasPrefix(f.OCIVersionMax, "1.") {
		t.Errorf("features: ociVersionMin %q, ociVersionMax %q, want 1.x", f.OCIVersionMin, f.OCIVersionMax)
	}
	for _, hook := range []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"} {
		if !slices.Contains(f.Hooks, hook) {
			t.Errorf("features: hooks %q lack %s", f.Hooks, hook)
		}
	}
	if len(f.MountOptions) == 0 {
		t.Errorf("features: no mountOptions")
	}
	if f.Linux == nil {
		t.Fatalf("features: no linux section:\n%s", out)
	}
	for _, ns := range []string{"pid", "network", "ipc", "uts", "mount"} {
		if !slices.Contains(f.Linux.Namespaces, ns) {
			t.Errorf("features: linux.namespaces %q lack %s", f.Linux.Namespaces, ns)
		}
	}
}

// --version in runc's form, which podman info shows: "NAME version V",
// "commit: …", "spec: 1.x.y" — kobako's three lines, with its own name.
func TestOCIVersion(t *testing.T) {
	t.Parallel()
	bin := ociRuntime(t)
	out := tool{t: t, name: bin}.mustRun("--version")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || !strings.Contains(lines[0], " version ") ||
		!strings.HasPrefix(lines[1], "commit: ") || !strings.HasPrefix(lines[2], "spec: 1.") {
		t.Fatalf("--version:\n%s\nwant NAME version V, commit: …, spec: 1.x", out)
	}
	if runtimeIsKobako(bin) && (len(lines) != 3 || !strings.HasPrefix(lines[0], "kobako version ")) {
		t.Errorf("--version:\n%s\nwant three lines, the first \"kobako version …\"", out)
	}
}

// checkpoint and restore need CRIU, which kobako does not drive: both are
// refused in one line, and the running container is left alone.
func TestOCICheckpointRefused(t *testing.T) {
	t.Parallel()
	e := newOCIEngine(t)
	id := e.newID("ckpt")
	e.createAndStart(id)
	restored := e.newID("restored")
	bundle := e.bundle(restored, sigtermLoop, nil)

	for _, args := range [][]string{{"checkpoint", id}, {"restore", "--bundle", bundle, restored}} {
		_, stderr, code := e.run(args...)
		if code == 0 {
			t.Errorf("%s: exit 0, want it refused", strings.Join(args, " "))
		}
		if runtimeIsKobako(e.name) {
			checkOneLineError(t, stderr, "not supported")
		}
	}
	e.expectStatus(id, "running", "a refused checkpoint")
	e.refused("container does not exist", "state", restored)
	e.mustRun("kill", id, "KILL")
	e.waitStatus(id, "stopped")
	e.mustRun("delete", id)
}

// run --bundle: create, start and wait in one, with the container's exit
// status; the container is deleted when it ends, as runc run does.
func TestOCIRun(t *testing.T) {
	t.Parallel()
	e := newOCIEngine(t)
	id := e.newID("run")
	bundle := e.bundle(id, []string{"sh", "-c", "echo run-ok; exit 3"}, nil)
	stdout, stderr, code := e.run("run", "--bundle", bundle, id)
	if code != 3 || strings.TrimSpace(stdout) != "run-ok" {
		t.Errorf("run: exit %d, stdout %q, want 3 and run-ok; stderr:\n%s", code, stdout, stderr)
	}
	e.refused("container does not exist", "state", id)
}

// exec into a running container, in the flag form people use and the
// --process form engines use, in the foreground and --detach'ed with a pid
// file: the process joins the container's namespaces.
func TestOCIExec(t *testing.T) {
	t.Parallel()
	e := newOCIEngine(t)
	id := e.newID("exec")
	e.createAndStart(id)
	initPid := e.state(id).Pid

	if out := e.mustRun("exec", "--env", "FOO=bar", "--cwd", "/tmp", id, "sh", "-c", `echo "$FOO $PWD"`); strings.TrimSpace(out) != "bar /tmp" {
		t.Errorf("exec --env FOO=bar --cwd /tmp: %q, want \"bar /tmp\"", out)
	}
	if _, _, code := e.run("exec", id, "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("exec of sh -c 'exit 7': exit %d, want 7", code)
	}

	process := specs.Process{Args: []string{"sh", "-c", "echo from-process"}, Cwd: "/",
		Env: []string{"PATH=/bin"}, User: specs.User{UID: 0, GID: 0}}
	processFile := filepath.Join(t.TempDir(), "process.json")
	data, err := json.Marshal(process)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(processFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := e.mustRun("exec", "--process", processFile, id); strings.TrimSpace(out) != "from-process" {
		t.Errorf("exec --process: %q, want from-process", out)
	}

	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	e.mustRun("exec", "--detach", "--pid-file", pidFile, id, "sleep", "30")
	pid, err := strconv.Atoi(strings.TrimSpace(readString(t, pidFile)))
	if err != nil {
		t.Fatalf("exec --pid-file: %v", err)
	}
	for _, kind := range []string{"pid", "mnt", "net", "uts", "ipc"} {
		if got, want := nsOfPid(t, pid, kind), nsOfPid(t, initPid, kind); got != want {
			t.Errorf("the exec'd process is in %s, the container's init in %s", got, want)
		}
	}
	e.mustRun("kill", id, "KILL")
	e.waitStatus(id, "stopped")
	e.mustRun("delete", id)
}
