package tests

// A kobako killed at any moment leaves nothing that ps -a, rm -f and prune
// cannot see. kobako writes a container's record before it makes anything
// else for it; what a kill between two system calls still leaves without a
// record — a state dir with only exec.fifo, a container dir without
// container.json, a name leading nowhere, an idle cgroup — the next kobako
// that takes the store's lock removes, saying so in one line. An engine's
// containers in the same --root are never touched.
//
// Shell twin of the first test:
//
//	for i in $(seq 25); do kobako run --name k$i busybox sleep 5 & sleep 0.$RANDOM; kill -9 $!; done
//	for i in $(seq 25); do kobako rm -f k$i; done
//	ls /run/kobako /var/lib/kobako/containers /sys/fs/cgroup/*/kobako    # empty

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The scenario: foreground runs SIGKILLed 0–200 ms after they
// started, five at a time, then rm -f of every name. Nothing is left, and
// every name can be used again.
func TestReliabilityKilledRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	layout := hostCgroups(t)
	e.mustRun("run", "--rm", "busybox", "true") // the image, made once
	const runs = 25
	names := e.killedRuns(runs, "k", "5")
	seen := e.idsSeen()
	e.expectListed(seen)
	removed := e.removeEach(names)
	e.expectNothingLeft(layout, seen, "rm -f of every name")
	t.Logf("%d runs killed, %d containers made, %d removed by name; nothing left", runs, len(seen), removed)
	e.expectNamesFree(names)
}

// The same, cleaned up by container prune: once the runs that got to start
// have ended, prune removes everything the kills left — the dead ones too,
// whose init waits for a start that will never come.
func TestReliabilityKilledRunsPruned(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	layout := hostCgroups(t)
	e.mustRun("run", "--rm", "busybox", "true")
	const runs = 15
	e.killedRuns(runs, "q", "1")
	seen := e.idsSeen()
	waitFor(t, "the started ones to end", func() bool {
		return !strings.Contains(e.mustRun("ps", "-a", "--format", "{{.Status}}"), "Up ")
	})
	e.expectListed(seen)
	e.mustRun("container", "prune")
	if out := e.mustRun("ps", "-a"); strings.Count(out, "\n") > 1 {
		t.Errorf("ps -a after container prune:\n%s", out)
	}
	e.expectNothingLeft(layout, seen, "container prune")
	t.Logf("%d runs killed, %d containers made; container prune left nothing", runs, len(seen))
}

// The same for a foreground run whose reader goes away: kobako --trace run
// … 2>&1 | head -N. kobako finishes its run, is not killed by SIGPIPE, and
// leaves a container that rm removes completely.
func TestReliabilityClosedPipeRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	layout := hostCgroups(t)
	e.mustRun("run", "--rm", "busybox", "true")
	var names []string
	for i, lines := range []int{1, 5, 20, 60, 120} {
		name := fmt.Sprintf("p%d", i)
		names = append(names, name)
		if code := e.runIntoHead(lines, "--trace", "run", "--name", name, "busybox", "echo", "hi"); code != 0 && code != 1 {
			t.Errorf("--trace run %s | head -%d: exit %d, want the container's (0, or 1 when echo met the closed pipe)", name, lines, code)
		}
		if code := e.runIntoHead(lines, "--trace", "run", "--rm", "busybox", "echo", "hi"); code != 0 && code != 1 {
			t.Errorf("--trace run --rm | head -%d: exit %d", lines, code)
		}
	}
	seen := e.idsSeen()
	if len(seen) != len(names) {
		t.Errorf("after the runs: %d containers, want %d (the --rm ones removed): %v", len(seen), len(names), seen)
	}
	for _, name := range names {
		if line := e.psLine(name, "-a"); !strings.Contains(line, "Exited (") {
			t.Errorf("ps -a line for %s %q, want Exited", name, line)
		}
	}
	// rm itself through a pipe that closes at once
	if code := e.runIntoHead(0, append([]string{"--trace", "rm", "-f"}, names...)...); code != 0 {
		t.Errorf("--trace rm -f … | head -0: exit %d, want 0", code)
	}
	e.expectNothingLeft(layout, seen, "--trace rm -f | head")
	e.expectNamesFree(names)
}

// What a kill between two system calls leaves without a record, made by
// hand: the next command that takes the store's lock removes it and says
// so in one line; system prune also removes a stray idle cgroup that
// nothing names — once it is old enough not to be another store's being
// made right now. Not in parallel: another test's system prune would
// sweep this test's stray cgroup first (as it should).
func TestReliabilityOrphansSwept(t *testing.T) {
	e := newEnv(t)
	layout := hostCgroups(t)
	e.mustRun("run", "--rm", "busybox", "true")
	// A create killed after its state dir — and an older kobako's, after
	// its cgroup too.
	aborted := newHexID(t)
	mkfifoIn(t, filepath.Join(e.root, aborted))
	makeCgroups(t, layout, aborted, time.Time{})
	// A create killed before its record: a directory, and a name for it.
	unrecorded := newHexID(t)
	for _, dir := range []string{"upper", "work", "rootfs"} {
		mkdirAll(t, filepath.Join(e.dataRoot, "containers", unrecorded, dir))
	}
	mkdirAll(t, filepath.Join(e.dataRoot, "names"))
	if err := os.Symlink(unrecorded, filepath.Join(e.dataRoot, "names", "orphan")); err != nil {
		t.Fatal(err)
	}
	// Cgroups nothing here names: one left long ago, one just made.
	stray, young := newHexID(t), newHexID(t)
	makeCgroups(t, layout, stray, time.Now().Add(-time.Hour))
	makeCgroups(t, layout, young, time.Time{})

	stdout, stderr, code := e.run("container", "prune", "-f")
	if code != 0 || stdout != "" || stderr != "kobako: removed what a killed kobako left of 2 containers\n" {
		t.Errorf("container prune -f: exit %d, stdout %q, stderr %q; want 0, nothing, and one line for 2 containers", code, stdout, stderr)
	}
	for _, p := range []string{filepath.Join(e.root, aborted), filepath.Join(e.dataRoot, "containers", unrecorded), filepath.Join(e.dataRoot, "names", "orphan")} {
		if exists(p) {
			t.Errorf("%s left after container prune", p)
		}
	}
	layout.expectGone(t, aborted, "container prune")
	expectCgroups(t, layout, stray, "container prune, which leaves strays to system prune")

	_, stderr, code = e.run("system", "prune", "-f")
	if code != 0 || stderr != "kobako: removed what a killed kobako left of 1 container\n" {
		t.Errorf("system prune -f: exit %d, stderr %q; want 0 and one line for 1 container", code, stderr)
	}
	layout.expectGone(t, stray, "system prune")
	expectCgroups(t, layout, young, "system prune (a young cgroup may be another store's)")
	// Nothing is left to sweep: no line.
	if _, stderr, _ := e.run("rm", "-f", "orphan"); strings.Contains(stderr, "killed kobako") {
		t.Errorf("a second sweep found more: %q", stderr)
	}
	e.mustRun("run", "--rm", "--name", "orphan", "busybox", "true") // the name is free again
}

// An engine's containers in the same --root are never swept: one created
// (its init waits for start), one stopped whose idle cgroup is under
// /kobako and old, and a create under way (its state dir has no
// state.json yet, but its creator holds the lock). Not in parallel:
// another test's system prune, in another --root, would rightly take the
// stopped one's old idle cgroup for a stray.
func TestReliabilityEngineUntouched(t *testing.T) {
	e := newEnv(t)
	layout := hostCgroups(t)
	eng := &ociEngine{tool: tool{t: t, name: kobako, args: []string{"--root", e.root}}, root: e.root,
		cgroup: cgroupOfTest(t), layout: layout}
	t.Cleanup(eng.cleanup)
	created := eng.newID("created")
	eng.mustRun("create", "--bundle", eng.bundle(created, []string{"sleep", "100"}, nil), created)
	stopped := newHexID(t)
	eng.ids = append(eng.ids, stopped)
	bundle := eng.bundle(stopped, []string{"true"}, func(s *specs.Spec) { s.Linux.CgroupsPath = "/kobako/" + stopped })
	eng.mustRun("create", "--bundle", bundle, stopped)
	eng.mustRun("start", stopped)
	eng.waitStatus(stopped, "stopped")
	ageCgroups(t, layout, stopped, time.Now().Add(-time.Hour))
	busy := filepath.Join(e.root, "busy-"+randomHex(t)[:8])
	mkfifoIn(t, busy)
	unlock := flockDir(t, busy)

	for _, args := range [][]string{{"container", "prune"}, {"system", "prune", "-f"}, {"run", "--rm", "busybox", "true"}} {
		if _, stderr, code := e.run(args...); code != 0 || strings.Contains(stderr, "killed kobako") {
			t.Errorf("kobako %s: exit %d, stderr %q: it swept an engine's container", strings.Join(args, " "), code, stderr)
		}
	}
	eng.expectStatus(created, "created", "the sweeps")
	eng.expectStatus(stopped, "stopped", "the sweeps")
	expectCgroups(t, layout, stopped, "the sweeps (an engine's stopped container)")
	if !exists(busy) {
		t.Fatalf("the sweeps removed %s, whose create holds its lock", busy)
	}
	// Its creator gone, it is an orphan.
	unlock()
	if _, stderr, _ := e.run("container", "prune"); stderr != "kobako: removed what a killed kobako left of 1 container\n" {
		t.Errorf("container prune after the create died: stderr %q, want one line for 1 container", stderr)
	}
	if exists(busy) {
		t.Errorf("%s left after its creator died and prune ran", busy)
	}
}

// killedRuns makes runs `kobako run --name PREFIXi busybox sleep SECONDS`,
// five at a time, each SIGKILLed after a random moment within 200 ms —
// while it makes the container, or once it runs — and returns the names.
func (e *env) killedRuns(runs int, prefix, seconds string) []string {
	const together = 5
	names := make([]string, runs)
	var wg sync.WaitGroup
	for w := range together {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < runs; i += together {
				names[i] = fmt.Sprintf("%s%d", prefix, i)
				e.killAfter(rand.N(200*time.Millisecond), "run", "--name", names[i], "busybox", "sleep", seconds)
			}
		}()
	}
	wg.Wait()
	return names
}

// killAfter starts kobako with args, SIGKILLs it (our own child) after d,
// and reaps it. Its output goes to a file: a container whose kobako was
// killed still holds it.
func (e *env) killAfter(d time.Duration, args ...string) {
	out, err := os.CreateTemp(e.t.TempDir(), "killed-")
	if err != nil {
		e.t.Error(err)
		return
	}
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		e.t.Error(err)
		return
	}
	time.Sleep(d)
	cmd.Process.Kill()
	cmd.Wait()
}

// runIntoHead runs kobako with stdout and stderr into a pipe whose reader
// reads lines lines and leaves, as `2>&1 | head -n` does, and returns its
// exit status; kobako killed by a signal fails the test.
func (e *env) runIntoHead(lines int, args ...string) int {
	e.t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		e.t.Fatal(err)
	}
	in := bufio.NewReader(r)
	for range lines {
		if _, err := in.ReadString('\n'); err != nil {
			break
		}
	}
	r.Close()
	err = cmd.Wait()
	code, err := exitCode(cmd, err)
	if err != nil {
		e.t.Fatalf("kobako %s | head -%d: %v", strings.Join(args, " "), lines, err)
	}
	return code
}

// idsSeen lists every container id the env's roots know of: state dirs,
// container dirs, and the targets of names.
func (e *env) idsSeen() []string {
	seen := map[string]bool{}
	for _, id := range append(dirEntries(e.t, e.root), e.containerIDs()...) {
		seen[id] = true
	}
	for _, name := range dirEntries(e.t, filepath.Join(e.dataRoot, "names")) {
		if id, err := os.Readlink(filepath.Join(e.dataRoot, "names", name)); err == nil {
			seen[id] = true
		}
	}
	var ids []string
	for id := range seen {
		ids = append(ids, id)
	}
	return ids
}

// expectListed checks that ps -a lists every container with a directory,
// as up, created, dead or exited: a kill leaves none that only rm by id
// could find.
func (e *env) expectListed(ids []string) {
	e.t.Helper()
	out := e.mustRun("ps", "-a", "--format", "{{.ID}} {{.Status}}")
	for _, id := range ids {
		dir := filepath.Join(e.dataRoot, "containers", id)
		// A kill between the directory's mkdir and its record's write (two
		// system calls) leaves a directory without a record: no container
		// to list, an orphan for the next sweep, which expectNothingLeft
		// checks happened.
		if exists(dir) && !exists(filepath.Join(dir, "container.json")) {
			continue
		}
		if exists(dir) && !strings.Contains(out, id[:12]+" ") {
			e.t.Errorf("ps -a does not list container %s, whose directory is there:\n%s", id, out)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if _, status, _ := strings.Cut(line, " "); !slices.ContainsFunc([]string{"Up ", "Created", "Creating", "Dead", "Exited ("}, func(p string) bool { return strings.HasPrefix(status, p) }) {
			e.t.Errorf("ps -a: unexpected status in %q", line)
		}
	}
	e.t.Logf("ps -a after the kills:\n%s", out)
}

// removeEach runs rm -f NAME for each name: it succeeds, or says there is
// no such container (its kobako was killed before it recorded it). It
// returns how many it removed.
func (e *env) removeEach(names []string) int {
	e.t.Helper()
	removed := 0
	for _, name := range names {
		stdout, stderr, code := e.run("rm", "-f", name)
		switch {
		case code == 0 && stdout == name+"\n":
			removed++
		case code == 1 && strings.Contains(stderr, "no such container"):
		default:
			e.t.Errorf("rm -f %s: exit %d, stdout %q, stderr %q", name, code, stdout, stderr)
		}
	}
	return removed
}

// expectNothingLeft checks that no state dir, container dir, name or
// cgroup of ids is left after what.
func (e *env) expectNothingLeft(layout cgroupLayout, ids []string, what string) {
	e.t.Helper()
	e.expectNoContainers("%s", what)
	for _, dir := range []string{e.root, filepath.Join(e.dataRoot, "names")} {
		if left := dirEntries(e.t, dir); len(left) > 0 {
			e.t.Errorf("%s not empty after %s: %v", dir, what, left)
		}
	}
	for _, id := range ids {
		layout.expectGone(e.t, id, what)
	}
}

// expectNamesFree runs a container under each name: none is still taken.
func (e *env) expectNamesFree(names []string) {
	e.t.Helper()
	for _, name := range names {
		if _, stderr, code := e.run("run", "--rm", "--name", name, "busybox", "true"); code != 0 {
			e.t.Errorf("run --name %s after rm -f: exit %d: %s", name, code, stderr)
		}
	}
}

// newHexID is a fresh 64-hex-digit container id.
func newHexID(t *testing.T) string {
	t.Helper()
	return randomHex(t) + randomHex(t) + randomHex(t) + randomHex(t)
}

// mkfifoIn makes dir with an exec.fifo in it: the state dir of a create.
func mkfifoIn(t *testing.T, dir string) {
	t.Helper()
	mkdirAll(t, dir)
	if err := unix.Mkfifo(filepath.Join(dir, "exec.fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mkdirAll(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}

// makeCgroups makes the empty cgroup /kobako/<id> in every hierarchy, with
// mtime changed to changed if it is not zero; whatever is left of it when
// the test ends is removed.
func makeCgroups(t *testing.T, l cgroupLayout, id string, changed time.Time) {
	t.Helper()
	dirs := l.containerDirs(id)
	t.Cleanup(func() {
		for _, dir := range dirs {
			os.Remove(dir)
		}
	})
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if !changed.IsZero() {
		ageCgroups(t, l, id, changed)
	}
}

// ageCgroups sets the mtime of /kobako/<id> in every hierarchy to changed.
func ageCgroups(t *testing.T, l cgroupLayout, id string, changed time.Time) {
	t.Helper()
	for _, dir := range l.containerDirs(id) {
		if err := os.Chtimes(dir, changed, changed); err != nil {
			t.Fatal(err)
		}
	}
}

// expectCgroups checks that /kobako/<id> is still there in every hierarchy.
func expectCgroups(t *testing.T, l cgroupLayout, id, after string) {
	t.Helper()
	for _, dir := range l.containerDirs(id) {
		if !exists(dir) {
			t.Errorf("%s is gone after %s", dir, after)
		}
	}
}

// flockDir holds an exclusive flock on dir, as a create under way does,
// until the returned unlock.
func flockDir(t *testing.T, dir string) (unlock func()) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	var once sync.Once
	unlock = func() { once.Do(func() { unix.Close(fd) }) }
	t.Cleanup(unlock)
	return unlock
}
