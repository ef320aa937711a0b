package tests

// kobako as an engine drives it: the runc command line, with a bundle the
// test makes — config.json from `kobako spec`, a busybox rootfs beside it.
// Here the state machine, with `state` read at every step and the pid
// file, and every illegal transition refused in runc's words (containerd
// and podman match them). oci_cli_hooks_test.go has the hooks, the console
// socket and the JSON log; oci_cli_verbs_test.go the other verbs.
//
// Shell twin: runc spec && runc create --bundle . c1 && runc state c1 &&
// runc start c1 && runc pause c1 && runc resume c1 && runc kill c1 KILL &&
// runc delete c1 — see runc(8) and the OCI runtime spec, runtime.md.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ociState is the state JSON of `state ID`, runtime.md's "State".
type ociState struct {
	OCIVersion string `json:"ociVersion"`
	ID         string `json:"id"`
	Pid        int    `json:"pid"`
	Status     string `json:"status"`
	Bundle     string `json:"bundle"`
	Rootfs     string `json:"rootfs"`
	Created    string `json:"created"`
}

// ociEngine is the runtime of one test with a --root of its own, and the
// cgroup parent its containers' cgroupsPath go under.
type ociEngine struct {
	tool
	root   string
	cgroup string
	layout cgroupLayout
	ids    []string // every container id the test made a bundle for
}

// newOCIEngine makes the test's runtime; when the test ends every
// container it made is force-deleted, and then the host is checked: no
// container's cgroup left, the --root empty, the mount table as it was.
func newOCIEngine(t *testing.T) *ociEngine {
	t.Helper()
	requireRoot(t)
	expectHostMountsUnchanged(t)
	root := filepath.Join(t.TempDir(), "state")
	e := &ociEngine{
		tool:   tool{t: t, name: ociRuntime(t), args: []string{"--root", root}},
		root:   root,
		cgroup: cgroupOfTest(t),
		layout: hostCgroups(t),
	}
	t.Cleanup(e.cleanup)
	return e
}

// cleanup deletes what the test made. delete --force of a container that
// is already gone must exit 0: engines call it that way.
func (e *ociEngine) cleanup() {
	t := e.t
	for _, id := range e.ids {
		if _, stderr, code, err := e.tryRun("delete", "--force", id); err != nil || code != 0 {
			t.Errorf("cleanup: delete --force %s: exit %d, %v, stderr:\n%s", id, code, err, stderr)
		}
		for _, mnt := range e.layout.mounts {
			if dir := filepath.Join(mnt, e.cgroupPath(id)); exists(dir) {
				t.Errorf("cleanup: the cgroup %s is left after delete", dir)
			}
		}
	}
	if entries := dirEntries(t, e.root); len(entries) > 0 {
		t.Errorf("cleanup: --root %s not empty: %v", e.root, entries)
	}
}

// exists says whether path names anything.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// cgroupPath is the cgroupsPath the bundle of id gets.
func (e *ociEngine) cgroupPath(id string) string { return e.cgroup + "/" + id }

// createAndStart makes a running container id, whose process ends at
// once on SIGTERM (sigtermLoop): create, then start, as engines do.
func (e *ociEngine) createAndStart(id string) {
	e.t.Helper()
	e.mustRun("create", "--bundle", e.bundle(id, sigtermLoop, nil), id)
	e.mustRun("start", id)
}

// newID makes a container id of the test, with prefix saying its role.
func (e *ociEngine) newID(prefix string) string {
	id := prefix + "-" + randomHex(e.t)[:8]
	e.ids = append(e.ids, id)
	return id
}

// bundle makes a bundle for the container id: a busybox rootfs and the
// runtime's own `spec`, made to run args without a terminal in the cgroup
// e.cgroupPath(id); edit, if given, changes the spec further.
func (e *ociEngine) bundle(id string, args []string, edit func(*specs.Spec)) string {
	t := e.t
	t.Helper()
	dir := t.TempDir()
	makeBusyboxRootfs(t, filepath.Join(dir, "rootfs"))
	e.mustRun("spec", "--bundle", dir)
	configPath := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(configPath)
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatalf("spec wrote a config.json that does not parse: %v\n%s", err, data)
	}
	if spec.Process == nil || spec.Linux == nil || spec.Root == nil {
		t.Fatalf("spec wrote a config.json without process, root or linux:\n%s", data)
	}
	spec.Process.Terminal = false
	spec.Process.Args = args
	spec.Linux.CgroupsPath = e.cgroupPath(id)
	if edit != nil {
		edit(&spec)
	}
	if data, err = json.MarshalIndent(&spec, "", "\t"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// state runs `state id` and parses its JSON.
func (e *ociEngine) state(id string) ociState {
	e.t.Helper()
	out := e.mustRun("state", id)
	var st ociState
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		e.t.Fatalf("state %s: %v\n%s", id, err, out)
	}
	return st
}

// expectStatus fails the test unless `state id` says want.
func (e *ociEngine) expectStatus(id, want, after string) ociState {
	e.t.Helper()
	st := e.state(id)
	if st.Status != want {
		e.t.Errorf("after %s: status %q, want %q", after, st.Status, want)
	}
	return st
}

// waitStatus waits until `state id` says want.
func (e *ociEngine) waitStatus(id, want string) {
	e.t.Helper()
	waitFor(e.t, id+" to be "+want, func() bool {
		out, _, code, err := e.tryRun("state", id)
		var st ociState
		return err == nil && code == 0 && json.Unmarshal([]byte(out), &st) == nil && st.Status == want
	})
}

// refused runs args and expects them refused: a non-zero exit and one
// line on stderr holding runc's words for it.
func (e *ociEngine) refused(words string, args ...string) {
	e.t.Helper()
	_, stderr, code := e.run(args...)
	if code == 0 {
		e.t.Errorf("%s: exit 0, want it refused with %q", strings.Join(args, " "), words)
		return
	}
	if !strings.Contains(stderr, words) {
		e.t.Errorf("%s: stderr does not say %q (runc's words):\n%s", strings.Join(args, " "), words, stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 {
		e.t.Errorf("%s: stderr is %d lines, want one:\n%s", strings.Join(args, " "), len(lines), stderr)
	}
}

// freezerState reads, from the host, whether the kernel has frozen the
// container's cgroup: FROZEN or THAWED (v1 freezer.state; on v2 made from
// cgroup.events' "frozen 1"/"frozen 0").
func (e *ociEngine) freezerState(id string) string {
	e.t.Helper()
	if e.layout.v2 {
		events := parseFlatKeyed(readCgroupFile(e.t, filepath.Join(e.layout.root, e.cgroupPath(id)), "cgroup.events"))
		if events["frozen"] == 1 {
			return "FROZEN"
		}
		return "THAWED"
	}
	mnt, ok := e.layout.v1["freezer"]
	if !ok {
		missing(e.t, "the cgroup v1 freezer controller is not mounted")
	}
	return readCgroupFile(e.t, filepath.Join(mnt, e.cgroupPath(id)), "freezer.state")
}

// The whole life of a container, with the state read at every step:
// create → created → start → running → pause → paused → resume → running
// → kill → stopped → delete → gone. --pid-file holds the init's pid
// before create returns; the freezer, read from the host, follows pause.
func TestOCIStateMachine(t *testing.T) {
	t.Parallel()
	e := newOCIEngine(t)
	id := e.newID("life")
	bundle := e.bundle(id, sigtermLoop, nil)
	pidFile := filepath.Join(t.TempDir(), "init.pid")

	e.mustRun("create", "--bundle", bundle, "--pid-file", pidFile, id)
	st := e.expectStatus(id, "created", "create")
	if st.ID != id || st.Bundle != bundle || st.Pid <= 0 || st.OCIVersion == "" {
		t.Errorf("state after create: %+v, want id %s, bundle %s, a pid and an ociVersion", st, id, bundle)
	}
	if want := filepath.Join(bundle, "rootfs"); st.Rootfs != want {
		t.Errorf("state rootfs %q, want %q (root.path made absolute against the bundle)", st.Rootfs, want)
	}
	if data, err := os.ReadFile(pidFile); err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(st.Pid) {
		t.Errorf("--pid-file holds %q (%v), want the init's pid %d", data, err, st.Pid)
	}
	if own, init := nsOfPid(t, os.Getpid(), "pid"), nsOfPid(t, st.Pid, "pid"); own == init {
		t.Errorf("the init %d is in the test's own PID namespace %s", st.Pid, own)
	}

	e.mustRun("start", id)
	e.expectStatus(id, "running", "start")
	waitFor(t, "the container's sh to run", func() bool { return processCommIs(st.Pid, "sh") })

	e.mustRun("pause", id)
	e.expectStatus(id, "paused", "pause")
	if got := e.freezerState(id); got != "FROZEN" {
		t.Errorf("after pause the freezer says %s, want FROZEN", got)
	}
	e.mustRun("resume", id)
	e.expectStatus(id, "running", "resume")
	if got := e.freezerState(id); got != "THAWED" {
		t.Errorf("after resume the freezer says %s, want THAWED", got)
	}

	e.mustRun("kill", id, "15") // a number, as containerd sends it
	e.waitStatus(id, "stopped")
	e.mustRun("delete", id)
	e.refused("container does not exist", "state", id)
}

// nsOfPid is readlink /proc/<pid>/ns/<kind>.
func nsOfPid(t *testing.T, pid int, kind string) string {
	t.Helper()
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
	if err != nil {
		t.Fatal(err)
	}
	return link
}

// Every transition the state machine does not have is refused, with
// runc's message, and leaves the container as it was.
func TestOCIIllegalTransitions(t *testing.T) {
	t.Parallel()
	e := newOCIEngine(t)
	id := e.newID("illegal")
	bundle := e.bundle(id, sigtermLoop, nil)
	e.mustRun("create", "--bundle", bundle, id)
	e.mustRun("start", id)

	e.refused("cannot start an already running container", "start", id)
	e.refused("cannot delete container "+id+" that is not stopped: running", "delete", id)
	e.refused("container not paused", "resume", id)
	e.refused("already exists", "create", "--bundle", bundle, id)
	e.expectStatus(id, "running", "the refusals of a running container")

	e.mustRun("pause", id)
	e.refused("container not running", "pause", id)
	e.refused("cannot delete container "+id+" that is not stopped: paused", "delete", id)
	e.refused("cannot start a container in the paused state", "start", id)
	e.refused("cannot exec in a paused container", "exec", id, "true")
	e.expectStatus(id, "paused", "the refusals of a paused container")
	e.mustRun("resume", id)

	e.mustRun("kill", id, "KILL") // a name, as people write it
	e.waitStatus(id, "stopped")
	e.refused("cannot start a container that has stopped", "start", id)
	e.refused("container not running", "kill", id, "KILL")
	e.refused("container not running", "pause", id)
	e.refused("container not paused", "resume", id)
	e.refused("cannot exec in a stopped container", "exec", id, "true")
	e.expectStatus(id, "stopped", "the refusals of a stopped container")

	e.mustRun("delete", id)
	// The verbs only runc has, and the forms only engines use, answer in
	// runc's words, which containerd matches. `start ID`, `pause ID` and
	// `exec ID CMD` of an id nobody knows are people's commands too
	// (design.md, "Command line"), and answer as people's do: no engine
	// calls them for an id it has not created.
	for _, args := range [][]string{
		{"state", id}, {"kill", id, "KILL"}, {"resume", id}, {"delete", id}, {"ps", id},
		{"exec", "--pid-file", filepath.Join(filepath.Dir(e.root), "gone.pid"), id, "true"},
	} {
		e.refused("container does not exist", args...)
	}
	peopleWords := "no such container"
	if filepath.Base(e.name) == "runc" {
		peopleWords = "container does not exist" // runc has only the one form
	}
	for _, args := range [][]string{{"start", id}, {"pause", id}, {"exec", id, "true"}} {
		e.refused(peopleWords, args...)
	}
	if _, stderr, code := e.run("delete", "--force", id); code != 0 {
		t.Errorf("delete --force of a container that is gone: exit %d, want 0 (containerd calls it so); stderr:\n%s", code, stderr)
	}
}
