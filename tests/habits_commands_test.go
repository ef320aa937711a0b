package tests

// The commands a docker user types that kobako lacked (issue 17, "Habits to
// support"): pause/unpause, top, port, update, tag, save/load, create then
// start, and the container/image groups' second names. Each is run as a
// docker user would, and observed from outside: the cgroup's files, the
// host's processes, the image store.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// habitFail runs kobako, which must exit 1 with exactly want on stderr.
func (e *env) habitFail(want string, args ...string) {
	e.t.Helper()
	_, stderr, code := e.run(args...)
	if code != 1 || stderr != want+"\n" {
		e.t.Errorf("kobako %s: exit %d, stderr %q; want exit 1, %q", strings.Join(args, " "), code, stderr, want+"\n")
	}
}

// pause freezes the cgroup (v1 freezer.state, v2 cgroup.freeze), ps says
// so, unpause thaws it; a paused container can still be removed.
func TestHabitPauseUnpause(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := hostCgroups(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "p", "busybox", "sleep", "1000"))
	e.waitRunning("p")
	file, frozen, thawed := "freezer.state", "FROZEN", "THAWED"
	if l.v2 {
		file, frozen, thawed = "cgroup.freeze", "1", "0"
	}
	dir := l.dir(t, "freezer", id)

	if out := e.mustRun("pause", "p"); out != "p\n" {
		t.Errorf("pause printed %q, want the name", out)
	}
	if got := readCgroupFile(t, dir, file); got != frozen {
		t.Errorf("after pause %s = %q, want %q", file, got, frozen)
	}
	if l.v2 {
		if got := parseFlatKeyed(readCgroupFile(t, dir, "cgroup.events"))["frozen"]; got != 1 {
			t.Errorf("after pause cgroup.events frozen = %d, want 1", got)
		}
	}
	if ps := e.mustRun("ps"); !strings.Contains(ps, "(Paused)") {
		t.Errorf("ps does not say the container is paused:\n%s", ps)
	}
	e.habitFail("kobako: container p is already paused", "pause", "p")

	e.mustRun("unpause", "p")
	if got := readCgroupFile(t, dir, file); got != thawed {
		t.Errorf("after unpause %s = %q, want %q", file, got, thawed)
	}
	if ps := e.mustRun("ps"); strings.Contains(ps, "Paused") {
		t.Errorf("ps still says paused after unpause:\n%s", ps)
	}
	e.habitFail("kobako: container p is not paused", "unpause", "p")
	e.habitFail(`kobako: "pause" needs at least one container: kobako pause CONTAINER...`, "pause")

	// A frozen init cannot act on SIGKILL (v1): rm -f must still end it.
	e.mustRun("pause", "p")
	e.mustRun("rm", "-f", "p")
	l.expectGone(t, id, "rm -f of a paused container")

	e.mustRun("create", "--name", "idle", "busybox", "true")
	e.habitFail("kobako: container idle is not running", "pause", "idle")
}

// stop of a paused container ends it: SIGKILL, then thaw.
func TestHabitStopPaused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "p", "--stop-timeout", "1", "busybox", "sleep", "1000")
	e.waitRunning("p")
	e.mustRun("pause", "p")
	e.mustRun("stop", "p")
	if in := e.waitExited("p"); *in.ExitCode != 137 {
		t.Errorf("a paused container stopped with %d, want 137 (SIGKILL)", *in.ExitCode)
	}
}

// top lists the container's processes with their host pids; ps options
// pass through.
func TestHabitTop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "t", "busybox", "sh", "-c", "sleep 1001 & exec sleep 1002")
	in := e.waitRunning("t")
	var out string
	waitFor(t, "both sleeps to run", func() bool {
		out = e.mustRun("top", "t")
		// not the sh -c line that names both, before its exec
		return strings.Contains(out, "sleep 1001") && strings.Contains(out, "sleep 1002") && !strings.Contains(out, "sh -c")
	})
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "PID") || !strings.Contains(lines[0], "CMD") {
		t.Fatalf("top: want a header and two processes, got:\n%s", out)
	}
	// PID 1 inside is the init's host pid outside.
	if !strings.Contains(out, " "+strconv.Itoa(in.Pid)+" ") {
		t.Errorf("top does not show the init's host pid %d:\n%s", in.Pid, out)
	}
	if out := e.mustRun("top", "t", "-o", "pid,comm"); !strings.Contains(out, "PID") || !strings.Contains(out, "COMMAND") || strings.Count(out, "sleep") != 2 {
		t.Errorf("top -o pid,comm:\n%s", out)
	}
	e.habitFail("kobako: the ps options give no PID column: add one, like -o pid,comm", "top", "t", "-o", "comm")
	e.mustRun("rm", "-f", "t")
	e.mustRun("create", "--name", "t", "busybox", "true")
	e.habitFail("kobako: container t is not running", "top", "t")
}

// port prints the published ports as docker port does.
func TestHabitPort(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "web", "--network", "bridge", "-p", "127.0.0.1:18091:80", "-p", "18092:53/udp",
		"busybox", "sleep", "1000")
	e.waitRunning("web")
	if out := e.mustRun("port", "web"); out != "80/tcp -> 127.0.0.1:18091\n53/udp -> 0.0.0.0:18092\n" {
		t.Errorf("port web:\n%s", out)
	}
	if out := e.mustRun("port", "web", "80"); out != "127.0.0.1:18091\n" {
		t.Errorf("port web 80: %q", out)
	}
	if out := e.mustRun("port", "web", "53/udp"); out != "0.0.0.0:18092\n" {
		t.Errorf("port web 53/udp: %q", out)
	}
	e.habitFail("kobako: container web publishes no port 81/tcp", "port", "web", "81")
	e.habitFail("kobako: port http: want a container port like 80 or 53/udp", "port", "web", "http")
	e.mustRun("stop", "-t", "0", "web")
	if out := e.mustRun("port", "web"); out != "" {
		t.Errorf("a stopped container publishes nothing, port says:\n%s", out)
	}
}

// update writes new limits into a running container's cgroup, down and
// up again, and keeps them in its config for inspect.
func TestHabitUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := hostCgroups(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "u", "--memory", "20m", "busybox", "sleep", "1000"))
	e.waitRunning("u")
	memFile, pidsFile := "memory.limit_in_bytes", "pids.max"
	if l.v2 {
		memFile = "memory.max"
	}
	for _, tc := range []struct {
		flags []string
		mem   string
	}{
		{[]string{"--memory", "10m", "--pids-limit", "30"}, "10485760"},
		{[]string{"--memory", "40m"}, "41943040"}, // raised past the old memory+swap limit
	} {
		if out := e.mustRun(append(append([]string{"update"}, tc.flags...), "u")...); out != "u\n" {
			t.Errorf("update printed %q, want the name", out)
		}
		if got := readCgroupFile(t, l.dir(t, "memory", id), memFile); got != tc.mem {
			t.Errorf("after update %v: %s = %s, want %s", tc.flags, memFile, got, tc.mem)
		}
	}
	if got := readCgroupFile(t, l.dir(t, "pids", id), pidsFile); got != "30" {
		t.Errorf("pids.max = %s, want 30 (kept from the first update)", got)
	}
	config, err := os.ReadFile(filepath.Join(e.dataRoot, "containers", id, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Linux struct {
			Resources struct {
				Memory struct{ Limit int64 }
				Pids   struct{ Limit int64 }
			}
		}
	}
	if err := json.Unmarshal(config, &spec); err != nil {
		t.Fatal(err)
	}
	if r := spec.Linux.Resources; r.Memory.Limit != 41943040 || r.Pids.Limit != 30 {
		t.Errorf("config.json keeps memory %d and pids %d, want 41943040 and 30", r.Memory.Limit, r.Pids.Limit)
	}
	e.habitFail(`kobako: "update" needs a limit to change: kobako update [--memory SIZE] [--cpus N] [--pids-limit N] CONTAINER...`, "update", "u")
	e.habitFail("kobako: --memory 1k: want a size of at least 6m, like 10m (units b, k, m, g, t); leave --memory out for no limit", "update", "--memory", "1k", "u")
}

// tag is a second name; save, rmi, load and run round-trip an image with
// two layers and its run defaults.
func TestHabitTagSaveLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--name", "maker", "busybox", "sh", "-c", "echo made > /made; rm /bin/vi")
	e.mustRun("commit", "maker", "mine")
	e.mustRun("rm", "maker")
	e.mustRun("tag", "mine", "mine:v2")
	if out := e.mustRun("image", "ls"); !strings.Contains(out, "mine:v2") {
		t.Errorf("image ls does not list the tag:\n%s", out)
	}
	e.mustRun("rmi", "mine")
	if out := e.mustRun("run", "--rm", "mine:v2", "cat", "/made"); out != "made\n" {
		t.Errorf("the tag lost its layers with the first name: %q", out)
	}
	archive := filepath.Join(t.TempDir(), "mine.tar")
	e.mustRun("save", "-o", archive, "mine:v2")
	e.mustRun("image", "rm", "mine:v2")
	e.mustRun("load", "-i", archive)
	if out := e.mustRun("run", "--rm", "mine:v2", "sh", "-c", "cat /made; test -e /bin/vi || echo no vi"); out != "made\nno vi\n" {
		t.Errorf("after save, rmi, load: %q (want the file and the whiteout back)", out)
	}
	// import reads the same archive.
	e.mustRun("import", "--name", "again", archive)
	e.mustRun("run", "--rm", "again", "true")
	e.habitFail(`kobako: "tag" needs two names: kobako tag SOURCE TARGET`, "tag", "mine:v2")
	e.habitFail(`kobako: no such image "nope": import one with kobako import, or use busybox`, "save", "-o", archive, "nope")
}

// create makes a container that start runs; ps -a lists it meanwhile.
func TestHabitCreateStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := strings.TrimSpace(e.mustRun("create", "--name", "c", "--memory", "20m", "busybox", "sh", "-c", "echo hi; sleep 1000"))
	if len(id) != 64 {
		t.Fatalf("create printed %q, want the id", id)
	}
	if ps := e.mustRun("ps", "-q"); ps != "" {
		t.Errorf("a created container is not running, ps shows:\n%s", ps)
	}
	if ps := e.mustRun("container", "ls", "-a"); !strings.Contains(ps, " c\n") {
		t.Errorf("container ls -a does not list it:\n%s", ps)
	}
	e.mustRun("start", "c")
	e.waitRunning("c")
	waitFor(t, "its output", func() bool { return e.mustRun("logs", "c") == "hi\n" })
	e.mustRun("container", "rm", "-f", "c")
	e.expectNoContainers("container rm -f")
	// --bundle is runc's form, for engines: a directory without a
	// config.json is told how to make one.
	bundle := t.TempDir()
	e.habitFail("kobako: bundle "+bundle+" has no config.json: write one with `kobako spec --bundle "+bundle+"` (an image is run with kobako run IMAGE)",
		"create", "--bundle", bundle, "c1")
}
