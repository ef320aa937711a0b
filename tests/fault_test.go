package tests

// Fault injection: kobako meets a full disk, a read-only state dir, a
// cgroup mkdir refused in the fifth hierarchy, a bridge with no address
// left and an init that fails at each step of its setup — and each time
// it says so in one line, exits 125 (run and start, and commit as
// commit_test.go has it; import 1), and leaves the host exactly as it
// found it.
//
// What the kernel can be made to do for real, it does: a small tmpfs
// fills up, a read-only bind mount refuses writes, a /30 subnet runs out
// of addresses. The rest is injected at kobako's fault points
// (internal/fault), in a binary this test builds with -tags faultinject;
// the shipped binary has none, which the first subtest checks.
//
// "Exactly as before" is checked from outside, before any other kobako
// command runs (the next command might sweep what the failed one left,
// and hide it): the mount table, kobako's cgroups in every hierarchy,
// kobako processes, the state dir and the data root file by file (the
// event journal aside: it records the failure, as it should), and in a
// bridge test the namespace's links, nft ruleset and leases. Then ps -a
// and images must list what they listed.
//
// The subtests run one after another, and TestFault is not parallel: Go
// starts the package's parallel tests only once every sequential one has
// ended, so no other test of this package runs kobako meanwhile. Another
// kobako on the host (another package's test, a user's) is told apart: a
// process by its --root or its descriptors, a cgroup by an id that this
// env's files or output name (ownCgroups).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFault(t *testing.T) {
	requireRoot(t)
	faultBin := buildFaultKobako(t)
	t.Run("ShippedBuildHasNoFaultPoints", func(t *testing.T) { faultShippedBuild(t, faultBin) })
	// the data root on a small tmpfs, the state dir full or read-only
	t.Run("ImportENOSPC", faultImportENOSPC)
	t.Run("CommitENOSPC", faultCommitENOSPC)
	t.Run("DataRootFull", faultDataRootFull)
	t.Run("StateDirFull", faultStateDirFull)
	t.Run("StateDirReadOnly", faultStateDirReadOnly)
	// injected: the cgroup, the init
	t.Run("CgroupMkdir", func(t *testing.T) { faultCgroupMkdir(t, faultBin) })
	t.Run("InitSteps", func(t *testing.T) { faultInitSteps(t, faultBin) })
	// the bridge, in a network namespace of the test's own
	t.Run("BridgeExhausted", faultBridgeExhausted)
	t.Run("BridgeInjected", func(t *testing.T) { faultBridgeInjected(t, faultBin) })
}

// buildFaultKobako builds kobako with its fault points into a directory
// of TestFault's, shared by its subtests.
func buildFaultKobako(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kobako-faultinject")
	if err := goBuild(bin, "faultinject"); err != nil {
		t.Fatalf("build kobako -tags faultinject: %v", err)
	}
	return bin
}

// goBuild builds ./cmd/kobako of this module into out, static as the
// Makefile builds it, with the given build tags.
func goBuild(out, tags string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		// under sudo, PATH may lack Go: the toolchain that built this test
		goCmd = filepath.Join(goruntime.GOROOT(), "bin", "go")
	}
	gomod, err := exec.Command(goCmd, "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	// kobako, and the container's init next to it, where kobako looks
	for pkg, binary := range map[string]string{"./cmd/kobako": out, "./cmd/kobako-init": initNextTo(out)} {
		cmd := exec.Command(goCmd, "build", "-trimpath", "-tags", tags, "-o", binary, pkg)
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%w\n%s", err, out)
		}
	}
	return nil
}

// initNextTo is the kobako-init that the kobako binary finds.
func initNextTo(binary string) string {
	return filepath.Join(filepath.Dir(binary), "kobako-init")
}

// The shipped binary holds no fault point: built without the tag, it
// does not even contain the name of the variable that would choose one —
// neither a fresh build nor the binary under test. The test build does,
// or the check would prove nothing.
func faultShippedBuild(t *testing.T, faultBin string) {
	shipped := filepath.Join(t.TempDir(), "kobako")
	if err := goBuild(shipped, ""); err != nil {
		t.Fatalf("build kobako: %v", err)
	}
	for _, c := range []struct {
		bin  string
		want bool
	}{{shipped, false}, {kobako, false}, {faultBin, true}} {
		data, err := os.ReadFile(c.bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"KOBAKO_FAULTS", "injected fault"} {
			if got := bytes.Contains(data, []byte(s)); got != c.want {
				t.Errorf("%s contains %q: %v, want %v", c.bin, s, got, c.want)
			}
		}
		// the init's fault points come in its config, not its environment
		data, err = os.ReadFile(initNextTo(c.bin))
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(data, []byte("injected fault")); got != c.want {
			t.Errorf("%s contains %q: %v, want %v", initNextTo(c.bin), "injected fault", got, c.want)
		}
	}
}

// runFaults runs kobako in e with KOBAKO_FAULTS=faults (nothing if empty).
func (e *env) runFaults(faults string, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	cmd.Env = append(os.Environ(), "KOBAKO_FAULTS="+faults)
	stdout, stderr, code, err := collect(ctx, cmd, nil)
	if err != nil {
		e.t.Fatalf("KOBAKO_FAULTS=%s kobako %s: %v (stderr: %s)", faults, strings.Join(args, " "), err, stderr)
	}
	return stdout, stderr, code
}

// expectFailure runs kobako with faults and checks the failure: exit
// code, one line naming want, and the host as before.
func (e *env) expectFailure(before hostState, faults string, code int, want string, args ...string) {
	e.t.Helper()
	stdout, stderr, got := e.runFaults(faults, args...)
	what := fmt.Sprintf("KOBAKO_FAULTS=%s kobako %s", faults, strings.Join(args, " "))
	if got != code {
		e.t.Errorf("%s: exit %d, want %d; stderr:\n%s", what, got, code, stderr)
	}
	checkOneLineError(e.t, stderr, want)
	e.expectHost(before, what, stdout+stderr)
}

// expectStartFailure checks a failed start of the created container
// name like expectFailure, but for the container's own directory: start
// prepares its files there (its /etc files, its log), and they stay with
// it. ps -a must list it as before, and rm remove it all.
func (e *env) expectStartFailure(before hostState, faults, want, name string) {
	e.t.Helper()
	before.inside = filepath.Join("containers", e.inspect(name).ID) + "/"
	e.expectFailure(before, faults, 125, want, "start", name)
}

// hostState is what kobako may change on the host, seen from outside.
type hostState struct {
	mounts  []string // /proc/self/mountinfo
	cgroups []string // <hierarchy>/kobako and its children
	procs   []string // this env's kobako processes: pid and command line
	foreign []string // other kobako processes: another test's, a user's
	state   []string // the tree of --root
	data    []string // the tree of --data-root, but the event journal
	inside  string   // a prefix of data whose changes do not count (a container's own dir)
	ps      string   // kobako ps -a
	images  string   // kobako images
}

// snapshot reads the host; the files first, kobako's own listings last.
func (e *env) snapshot() hostState {
	e.t.Helper()
	s := e.snapshotFiles()
	s.ps, s.images = e.listings()
	return s
}

// snapshotFiles is the part of the host that no kobako command sees to
// first: read before one runs, it shows what the last one left.
func (e *env) snapshotFiles() hostState {
	t := e.t
	t.Helper()
	s := hostState{mounts: readMountinfo(t), cgroups: kobakoCgroups(t)}
	s.procs, s.foreign = e.kobakoProcesses()
	s.state = tree(t, e.root, nil)
	// The events log grows, and compiled seccomp filters are a cache
	// (runtime/seccomp.go): a failed run may leave one that the next run
	// would make the same.
	s.data = tree(t, e.dataRoot, []string{"events.jsonl", "events.jsonl.1", "seccomp"})
	return s
}

// listings are ps -a and images, without the ages that change by the second.
func (e *env) listings() (ps, images string) {
	e.t.Helper()
	return e.mustRun("ps", "-a", "--format", "{{.ID}} {{.Names}} {{.State}}"), e.mustRun("images", "-q")
}

// expectHost checks the host against before, after what, whose output
// was output (it names the ids that what made, if any).
func (e *env) expectHost(before hostState, what, output string) {
	t := e.t
	t.Helper()
	after := e.snapshotFiles()
	// A kobako that is still exiting is given a moment.
	for deadline := time.Now().Add(3 * time.Second); !slices.Equal(after.procs, before.procs) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		after.procs, after.foreign = e.kobakoProcesses()
	}
	for _, part := range []struct {
		name          string
		before, after []string
	}{
		{"/proc/self/mountinfo", before.mounts, after.mounts},
		{"kobako processes", before.procs, after.procs},
		{"the state dir " + e.root, before.state, after.state},
		{"the data root " + e.dataRoot, before.data, after.data},
		{"kobako's cgroups", before.cgroups, after.cgroups},
	} {
		if part.name == "kobako's cgroups" {
			part.before, part.after = e.ownCgroups(before, after, output)
		}
		if part.name == "the data root "+e.dataRoot && before.inside != "" {
			part.before, part.after = without(part.before, before.inside), without(part.after, before.inside)
		}
		if added, removed := diffLines(part.before, part.after); len(added)+len(removed) > 0 {
			t.Errorf("after %s, %s changed\nadded:\n  %s\nremoved:\n  %s", what, part.name,
				strings.Join(added, "\n  "), strings.Join(removed, "\n  "))
		}
	}
	ps, images := e.listings()
	if ps != before.ps {
		t.Errorf("after %s, ps -a lists\n%s\nwas\n%s", what, ps, before.ps)
	}
	if images != before.images {
		t.Errorf("after %s, images lists\n%s\nwas\n%s", what, images, before.images)
	}
}

// ownCgroups are the cgroup directories, of before and of after, that
// came or went between them and are this env's: named by an id its files
// or the output hold, or holding one of its processes. A failed command
// may make a cgroup it names nowhere, so while no other kobako runs on
// the host (make test runs one test package at a time) every cgroup that
// came counts. Beside another one — seen running, or seen by a cgroup of
// its that went — a cgroup of unknown owner is only logged.
func (e *env) ownCgroups(before, after hostState, output string) (own0, own1 []string) {
	t := e.t
	t.Helper()
	known := strings.Join(slices.Concat(before.state, before.data, after.state, after.data, []string{output}), "\n")
	ours := func(dir string) bool {
		id := filepath.Base(dir)
		return id != "kobako" && strings.Contains(known, id) || e.holdsOwnProcess(dir)
	}
	others := slices.Concat(before.foreign, after.foreign)
	added, removed := diffLines(before.cgroups, after.cgroups)
	for _, dir := range removed {
		if ours(dir) {
			own0 = append(own0, dir)
		} else if filepath.Base(dir) != "kobako" {
			others = append(others, "the one of "+dir)
		}
	}
	var uncounted int
	for _, dir := range added {
		if ours(dir) || len(others) == 0 {
			own1 = append(own1, dir)
		} else {
			uncounted++
		}
	}
	if uncounted > 0 {
		t.Logf("%d cgroup dirs of unknown owner came while another kobako ran (%s …): not counted", uncounted, others[0])
	}
	return own0, own1
}

// without drops the entries that start with prefix.
func without(list []string, prefix string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return strings.HasPrefix(s, prefix) })
}

// holdsOwnProcess says whether one of this env's processes is in the
// cgroup dir.
func (e *env) holdsOwnProcess(dir string) bool {
	data, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	for _, pid := range strings.Fields(string(data)) {
		if e.ownsProcess(pid, nil) {
			return true
		}
	}
	return false
}

// kobakoCgroups lists kobako's cgroup directories in every cgroup mount:
// kobako itself and the containers' below it.
func kobakoCgroups(t *testing.T) []string {
	t.Helper()
	l := hostCgroups(t)
	dirs := l.kobakoDirs(t, "")
	for _, mnt := range l.mounts {
		if top := filepath.Join(mnt, "kobako"); dirExists(top) {
			dirs = append(dirs, top)
		}
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

func dirExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// kobakoProcesses lists the processes that are kobako — a command, a
// monitor, a container's init before its exec — by their argv[0]: this
// env's, and the others.
func (e *env) kobakoProcesses() (own, others []string) {
	t := e.t
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue // not a process, gone, or a kernel thread
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if !strings.HasPrefix(filepath.Base(args[0]), "kobako") {
			continue
		}
		line := entry.Name() + " " + strings.Join(args, " ")
		if e.ownsProcess(entry.Name(), args) {
			own = append(own, line)
		} else {
			others = append(others, line)
		}
	}
	slices.Sort(own)
	return own, others
}

// ownsProcess says whether pid (whose arguments are args, nil: read them)
// is this env's: a command or monitor names its --root, and an init holds
// a descriptor of it (the exec fifo) or of its data root (the rootfs).
func (e *env) ownsProcess(pid string, args []string) bool {
	if args == nil {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
		args = strings.Split(string(cmdline), "\x00")
	}
	if slices.Contains(args, e.root) || slices.Contains(args, e.dataRoot) {
		return true
	}
	links, _ := filepath.Glob(filepath.Join("/proc", pid, "fd", "*"))
	for _, link := range append(links, filepath.Join("/proc", pid, "cwd")) {
		target, err := os.Readlink(link)
		if err == nil && (strings.HasPrefix(target, e.root+"/") || strings.HasPrefix(target, e.dataRoot+"/")) {
			return true
		}
	}
	return false
}

// tree lists every path under root with its type (and a file's size),
// but the names in skip; a missing root is empty.
func tree(t *testing.T, root string, skip []string) []string {
	t.Helper()
	var list []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if slices.Contains(skip, d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		entry := rel + " " + d.Type().String()
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			entry += fmt.Sprintf(" %d", info.Size())
		}
		list = append(list, entry)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return list
}
