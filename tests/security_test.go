package tests

// Security: the attacks that broke other runtimes, replayed against kobako
// with markers instead of damage (see the catalogue's B0). A static probe
// (tests/probe) looks from inside the container; the host is checked from
// outside. Here: descriptors and the working directory that leaked the
// host's file system into runc (CVE-2024-21626, B2), and names that climb
// out of the state dir (B20). The root and the mounts (B3, B4, B11) are in
// security_mounts_test.go.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// probe is tests/probe, built once for the whole run and kept in memory:
// images are made from tarballs, so no file has to outlive its test.
var probe struct {
	once sync.Once
	bin  []byte
	err  error
}

// probeBinary returns the static probe program, building it on first use.
func probeBinary(t *testing.T) []byte {
	t.Helper()
	probe.once.Do(func() { probe.bin, probe.err = buildProbe() })
	if errors.Is(probe.err, exec.ErrNotFound) {
		missing(t, "the go command, to build tests/probe: %v", probe.err)
	}
	if probe.err != nil {
		t.Fatalf("build tests/probe: %v", probe.err)
	}
	return probe.bin
}

// buildProbe runs `CGO_ENABLED=0 go build ./probe` with the go command from
// PATH, as the harness builds kobako. go test runs in the package's own
// directory, tests/, so ./probe is tests/probe of this module.
func buildProbe() ([]byte, error) {
	dir, err := os.MkdirTemp("", "kobako-probe-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "probe")
	cmd := exec.Command("go", "build", "-o", bin, "./probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out)
	}
	if err := checkStatic(bin); err != nil {
		return nil, err
	}
	return os.ReadFile(bin)
}

// probeTar is the busybox image of import_test.go with the probe at /probe.
func probeTar(t *testing.T) []tarEntry {
	t.Helper()
	entries, _ := busyboxTar(t)
	return append(entries, tarFile("probe", 0o755, probeBinary(t)))
}

// importImage imports entries, written as a tarball, as the image name.
func (e *env) importImage(name string, entries []tarEntry) {
	e.t.Helper()
	tarball := filepath.Join(e.t.TempDir(), name+".tar")
	writeTar(e.t, tarball, false, entries)
	e.mustRun("import", "--name", name, tarball)
}

// decodeProbe decodes what the probe printed (through a pty, too: JSON
// takes the \r of "\r\n" as white space).
func decodeProbe(t *testing.T, what, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: the probe's output is not its JSON (%v):\n%s", what, err, out)
	}
}

// writeMarker writes a host file with random content, outside every root:
// seeing that content from a container means an escape.
func writeMarker(t *testing.T) (path, content string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "kobako-marker-"+randomHex(t))
	content = "host only " + randomHex(t) + "\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, content
}

// ran is what one kobako command did.
type ran struct {
	args           []string
	stdout, stderr string
	code           int
	err            error // kobako could not be run, was killed, or timed out
}

// runAll runs each command line, all at once, without failing the test,
// and returns what each did, in order: the commands are quick, but many.
func (e *env) runAll(commands [][]string) []ran {
	results := make([]ran, len(commands))
	var wg sync.WaitGroup
	for i, args := range commands {
		wg.Go(func() {
			stdout, stderr, code, err := e.exec(nil, args...)
			results[i] = ran{args, stdout, stderr, code, err}
		})
	}
	wg.Wait()
	return results
}

// leakFDs opens the marker and its directory as a careless caller would:
// without O_CLOEXEC, so that every program the test process starts from
// now on — kobako — inherits them, at the same numbers. F_DUPFD moves them
// to 100 or above, far from the 3–6 that kobako hands to its init: a
// runtime that let stray descriptors through would pass them on unchanged
// (runc 1.1.12 was first to guard against this). Other tests' kobako runs
// inherit them too while they are open: harmless, kobako must close them
// there as well. They are closed when the test ends.
func leakFDs(t *testing.T, marker string) (fileFD, dirFD int) {
	t.Helper()
	leak := func(path string, flags int) int {
		fd, err := unix.Open(path, flags, 0) // no O_CLOEXEC: the caller's mistake
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		defer unix.Close(fd)
		high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD, 100) // F_DUPFD, not _CLOEXEC
		if err != nil {
			t.Fatalf("fcntl F_DUPFD %s: %v", path, err)
		}
		t.Cleanup(func() { unix.Close(high) })
		return high
	}
	return leak(marker, unix.O_RDONLY), leak(filepath.Dir(marker), unix.O_RDONLY|unix.O_DIRECTORY)
}

// openFD is one entry of `probe fds`.
type openFD struct {
	FD     int    `json:"fd"`
	Target string `json:"target"`
}

// checkStdioOnly checks that the command started with fds 0, 1 and 2 only.
func checkStdioOnly(t *testing.T, what, out, marker string) {
	t.Helper()
	var list []openFD
	decodeProbe(t, what, out, &list)
	var fds []int
	for _, f := range list {
		fds = append(fds, f.FD)
		if f.Target == marker || f.Target == filepath.Dir(marker) {
			t.Errorf("%s: the caller's leaked fd reached the container: fd %d -> %s", what, f.FD, f.Target)
		}
	}
	if !slices.Equal(fds, []int{0, 1, 2}) {
		t.Errorf("%s: the command's open fds are %+v, want only 0, 1 and 2", what, list)
	}
}

// B2, CVE-2024-21626: the command starts with stdin, stdout and stderr and
// nothing else — none of kobako's pipes, sockets, fifo handle or trace, and
// none of the descriptors its own caller leaked — attached, on a terminal
// and detached alike.
func TestFdInventory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.importImage("probe", probeTar(t))
	marker, _ := writeMarker(t)

	checkStdioOnly(t, "run --rm", e.mustRun("run", "--rm", "probe", "/probe", "fds"), marker)

	leakFDs(t, marker)
	checkStdioOnly(t, "run with leaked fds", e.mustRun("run", "--rm", "probe", "/probe", "fds"), marker)

	// Detached: the command outlives kobako run, under the monitor.
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "fdd", "probe", "/probe", "fds"))
	e.waitExited("fdd")
	checkStdioOnly(t, "run -d with leaked fds", e.mustRun("logs", id), marker)

	// On a terminal the init opens the pty itself: that handle must go too.
	out, code := e.startOnTerminal(24, 80, "run", "--rm", "-t", "probe", "/probe", "fds").wait(t)
	if code != 0 {
		t.Fatalf("run -t: exit %d, output:\n%s", code, out)
	}
	checkStdioOnly(t, "run -t with leaked fds", out, marker)
}

// B2, CVE-2024-21626: a working directory of /proc/self/fd/N, given with
// -w or reached through a symlink in the image, must not start the command
// in whatever directory fd N was: in runc it was the host's /sys/fs/cgroup,
// and ../../.. led to the host's /. N is each of kobako's own 3–8, and the
// marker's directory that the caller leaked; the command tries to read the
// marker from there. Each run fails with an error naming the directory, or
// runs inside the container without reaching the marker.
func TestCwdProcSelfFd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	marker, content := writeMarker(t)
	_, dirFD := leakFDs(t, marker)
	entries := probeTar(t)
	var commands [][]string
	for _, n := range []int{3, 4, 5, 6, 7, 8, dirFD} {
		// /fdN -> /proc/self/fd/N: an image's WORKDIR can be a symlink.
		link := fmt.Sprintf("fd%d", n)
		entries = append(entries, tarSymlink(link, fmt.Sprintf("/proc/self/fd/%d", n)))
		for _, dir := range []string{fmt.Sprintf("/proc/self/fd/%d", n), "/" + link} {
			commands = append(commands, []string{"run", "--rm", "-w", dir, "probe", "/probe", "read", escape(marker)})
		}
	}
	e.importImage("probe", entries)

	for _, r := range e.runAll(commands) {
		dir := r.args[3]
		t.Logf("-w %s: exit %d, %s%s", dir, r.code, strings.TrimSpace(r.stderr), strings.TrimSpace(r.stdout))
		switch {
		case r.err != nil:
			t.Errorf("-w %s: %v", dir, r.err)
		case r.code != 0:
			if r.code != 125 {
				t.Errorf("-w %s: exit %d, want 125 (a kobako error)", dir, r.code)
			}
			checkOneLineError(t, r.stderr, dir)
		default:
			checkCwdRead(t, dir, r.stdout, marker, content)
		}
	}
}

// checkCwdRead checks a `probe read` that ran: from a cwd inside the
// container, without reaching the marker.
func checkCwdRead(t *testing.T, dir, stdout, marker, content string) {
	t.Helper()
	var r struct {
		Content, Error string
		Cwd            struct{ Cwd, Error string }
	}
	decodeProbe(t, "-w "+dir, stdout, &r)
	if r.Cwd.Error != "" || !strings.HasPrefix(r.Cwd.Cwd, "/") {
		t.Errorf("-w %s: the command runs outside the container: getcwd %q, %s", dir, r.Cwd.Cwd, r.Cwd.Error)
	}
	if r.Error == "" || r.Content == content {
		t.Errorf("-w %s: the command read the host's marker %s: %q", dir, marker, r.Content)
	}
}

// B20: names and references are directory names under --root and
// --data-root, so one that climbs ("../x") must be refused by every command
// before it touches the disk — nothing may appear anywhere near the roots.
func TestRefsCannotClimb(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--name", "ok", "busybox", "true") // a real container and image to climb from
	id := e.waitExited("ok").ID                         // and nothing more to write for it
	tarball := filepath.Join(t.TempDir(), "tiny.tar")
	writeTar(t, tarball, false, []tarEntry{tarDir("etc/", 0o755)})
	absolute := "/tmp/kobako-ref-" + randomHex(t)
	base := filepath.Dir(e.dataRoot) // holds the test's --root and --data-root
	before := treeOf(t, base)

	// New names that climb out: each would become a path under a root.
	climbing := []string{"../x", "../../tmp/x", "ok/../../x", "..", ".", absolute}
	// Refs that climb back to the real container: a lookup that followed
	// them would act on "ok" under a name that is not its own.
	back := []string{"../x", "..", "../containers/" + id, "../names/ok", "./ok", filepath.Join(e.dataRoot, "containers", id)}
	var commands [][]string
	for _, ref := range climbing {
		commands = append(commands,
			[]string{"run", "--name", ref, "busybox", "true"},
			[]string{"import", "--name", ref, tarball},
			[]string{"run", "--rm", ref, "true"}, // as an image
			[]string{"rmi", ref})
	}
	for _, ref := range back {
		commands = append(commands, []string{"rm", ref}, []string{"inspect", ref})
	}
	for _, r := range e.runAll(commands) {
		switch {
		case r.err != nil:
			t.Errorf("kobako %s: %v", strings.Join(r.args, " "), r.err)
		case r.code == 0:
			t.Errorf("kobako %s succeeded, want it refused", strings.Join(r.args, " "))
		default:
			checkOneLineError(t, r.stderr)
		}
	}
	// rm -f may forgive a missing container, but must not act on it.
	var forced [][]string
	for _, ref := range back {
		forced = append(forced, []string{"rm", "-f", ref})
	}
	e.runAll(forced)
	if added, removed := diffLines(before, treeOf(t, base)); len(added)+len(removed) > 0 {
		t.Errorf("refused names changed the roots' tree\nadded: %v\nremoved: %v", added, removed)
	}
	if _, err := os.Lstat(absolute); err == nil {
		os.RemoveAll(absolute)
		t.Errorf("an absolute name created %s", absolute)
	}
	if got := e.inspect("ok"); got.Name != "ok" {
		t.Errorf("inspect ok after the refused names: %+v", got)
	}
}

// treeOf lists every path under dir, relative to it.
func treeOf(t *testing.T, dir string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		paths = append(paths, rel)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}
