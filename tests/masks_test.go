package tests

// Masked and read-only paths (catalogue B6, and B3's procfs checks): what
// of /proc and /sys the container may not see, and may not change. The
// probe looks from inside at each path of docker's lists that this kernel
// has; the host's core_pattern — what the 2025 runc escapes wrote to — is
// compared before and after, and the env's clean-up checks the host's
// mount table. The hostile images plant a fake /dev/null, the source of
// the masks (CVE-2025-31133).

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// maskedPaths and readonlyPaths are docker's lists, which kobako's default
// spec holds, written out again: the test is the contract.
var (
	maskedPaths = []string{
		"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		"/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
	}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// pathInfo is what `probe stat` prints (tests/probe/paths.go).
type pathInfo struct {
	Path, Errno, Type string
	Major, Minor      uint32
	FSType            int64
	ReadOnly          bool
	Entries           []string
	Head, ReadErrno   string
}

// writeResult is what `probe writable` prints.
type writeResult struct {
	Path     string
	Writable bool
	Errno    string
}

// probePaths runs, in one container of image, `/probe stat P` for each of
// stats, then `/probe writable P` for each of writes, and decodes what each
// printed.
func (e *env) probePaths(image string, stats, writes []string) ([]pathInfo, []writeResult) {
	e.t.Helper()
	var script []string
	for _, p := range stats {
		script = append(script, "/probe stat "+p)
	}
	for _, p := range writes {
		script = append(script, "/probe writable "+p)
	}
	out := e.mustRun("run", "--rm", image, "/bin/sh", "-c", strings.Join(script, " && "))
	dec := json.NewDecoder(strings.NewReader(out))
	infos, results := make([]pathInfo, len(stats)), make([]writeResult, len(writes))
	for i := range infos {
		if err := dec.Decode(&infos[i]); err != nil {
			e.t.Fatalf("probe stat %s: %v\n%s", stats[i], err, out)
		}
	}
	for i := range results {
		if err := dec.Decode(&results[i]); err != nil {
			e.t.Fatalf("probe writable %s: %v\n%s", writes[i], err, out)
		}
	}
	return infos, results
}

// guardCorePattern checks, when the test ends, that the host's
// core_pattern is byte for byte what it was: the file that turns a write
// into a host escape, which every attack of B6 aims at.
func guardCorePattern(t *testing.T) {
	t.Helper()
	const corePattern = "/proc/sys/kernel/core_pattern"
	before, err := os.ReadFile(corePattern)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if after, err := os.ReadFile(corePattern); err != nil || string(after) != string(before) {
			t.Errorf("the host's core_pattern changed: %q (%v), was %q", after, err, before)
		}
	})
}

// onHost splits paths into the files and the directories that this
// kernel has (the container's procfs and sysfs are the same kernel's),
// and those it does not.
func onHost(paths []string) (files, dirs, none []string) {
	for _, p := range paths {
		switch fi, err := os.Stat(p); {
		case err != nil:
			none = append(none, p)
		case fi.IsDir():
			dirs = append(dirs, p)
		default:
			files = append(files, p)
		}
	}
	return files, dirs, none
}

// checkNullDevice checks that a path stats as the null device and reads
// empty: a masked file, or /dev/null itself.
func checkNullDevice(t *testing.T, info pathInfo) {
	t.Helper()
	if info.Errno != "" || info.Type != "char" || info.Major != 1 || info.Minor != 3 || info.Head != "" || info.ReadErrno != "" {
		t.Errorf("%s: %+v; want the null device (char 1:3), reading 0 bytes", info.Path, info)
	}
}

// Every masked file this kernel has stats as the null device and reads
// nothing; every masked directory is an empty read-only tmpfs, where a new
// file is refused with EROFS; the paths the kernel lacks are skipped, not
// an error.
func TestMaskedPaths(t *testing.T) {
	t.Parallel()
	guardCorePattern(t)
	e := newEnv(t)
	e.importImage("probe", probeTar(t))
	files, dirs, none := onHost(maskedPaths)
	t.Logf("masked files on this kernel: %v; directories: %v; missing: %v", files, dirs, none)
	if len(files) == 0 || len(dirs) == 0 {
		t.Fatalf("this kernel has none of the masked files %v or none of the directories: the test proves nothing", files)
	}
	var creates []string
	for _, d := range dirs {
		creates = append(creates, d+"/kobako-probe")
	}
	infos, writes := e.probePaths("probe", slices.Concat(files, dirs, none), creates)

	for _, info := range infos[:len(files)] {
		checkNullDevice(t, info)
	}
	for _, info := range infos[len(files) : len(files)+len(dirs)] {
		if info.Type != "dir" || info.FSType != unix.TMPFS_MAGIC || !info.ReadOnly || len(info.Entries) != 0 {
			t.Errorf("%s: %+v; want an empty read-only tmpfs", info.Path, info)
		}
	}
	for _, info := range infos[len(files)+len(dirs):] {
		if info.Errno != "ENOENT" {
			t.Errorf("%s, which this kernel does not have: %+v; want ENOENT", info.Path, info)
		}
	}
	for _, w := range writes {
		if w.Writable || w.Errno != "EROFS" {
			t.Errorf("create %s: %+v; want EROFS", w.Path, w)
		}
	}
}

// Every read-only path this kernel has is still procfs, on a read-only
// mount: writes to the host's kernel settings through /proc/sys, or to
// /proc/sysrq-trigger, fail with EROFS. The probe only opens them for
// writing; `echo 1 > /proc/sys/kernel/ns_last_pid` (the container's own
// PID namespace's, so harmless) shows the same through a shell.
func TestReadonlyPaths(t *testing.T) {
	t.Parallel()
	guardCorePattern(t)
	e := newEnv(t)
	e.importImage("probe", probeTar(t))
	files, dirs, _ := onHost(readonlyPaths)
	existing := slices.Concat(files, dirs)
	writes := slices.Concat(files, []string{"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/ns_last_pid"})
	infos, results := e.probePaths("probe", existing, writes)

	for _, info := range infos {
		if info.Errno != "" || info.FSType != unix.PROC_SUPER_MAGIC || !info.ReadOnly {
			t.Errorf("%s: %+v; want procfs on a read-only mount", info.Path, info)
		}
	}
	for _, w := range results {
		if w.Writable || w.Errno != "EROFS" {
			t.Errorf("open %s for writing: %+v; want EROFS", w.Path, w)
		}
	}
	_, stderr, code := e.run("run", "--rm", "probe", "/bin/sh", "-c", "echo 1 > /proc/sys/kernel/ns_last_pid")
	if code == 0 || !strings.Contains(stderr, "Read-only file system") {
		t.Errorf("echo 1 > /proc/sys/kernel/ns_last_pid: exit %d, stderr %q; want a read-only file system", code, stderr)
	}
}

// CVE-2025-31133, as far as kobako run can express it: the image plants
// /dev/null as a symlink to /proc/sys/kernel/core_pattern, or makes /dev
// itself a symlink into /proc/sys/kernel, so that the source of the masks
// — or the nodes of /dev — would be procfs files. kobako's /dev is a fresh
// tmpfs, made inside the root: the masks still come from the real null
// device, and the host's core_pattern is untouched. (With /dev in
// /proc/sys/kernel, the container's tmpfs /dev covers its own view of
// that directory: core_pattern there would be a file of the tmpfs, so
// only the first image is asked to write to it.)
func TestMaskDevNullPlanted(t *testing.T) {
	t.Parallel()
	guardCorePattern(t)
	e := newEnv(t)
	base := probeTar(t)
	files, _, _ := onHost(maskedPaths)
	for _, tc := range []struct {
		image  string
		dev    []tarEntry
		writes []string
	}{
		{"nullcore", []tarEntry{tarDir("dev/", 0o755), tarSymlink("dev/null", "/proc/sys/kernel/core_pattern")},
			[]string{"/proc/sys/kernel/core_pattern"}},
		{"devinproc", []tarEntry{tarSymlink("dev", "/proc/sys/kernel")}, nil},
	} {
		e.importImage(tc.image, replaceEntry(t, base, "dev/", tc.dev...))
		infos, results := e.probePaths(tc.image, append([]string{"/dev/null"}, files...), tc.writes)
		for _, info := range infos {
			checkNullDevice(t, info)
		}
		for _, w := range results {
			if w.Writable || w.Errno != "EROFS" {
				t.Errorf("%s: open %s for writing: %+v; want EROFS", tc.image, w.Path, w)
			}
		}
	}
}

// The config's own /dev/null is another device (run --device
// /dev/zero:/dev/null): kobako will not mask with it. The run fails before
// the command starts, in one line that names /dev/null, and leaves nothing.
func TestMaskSourceNotNull(t *testing.T) {
	t.Parallel()
	guardCorePattern(t)
	e := newEnv(t)
	_, stderr, code := e.run("run", "--rm", "--device", "/dev/zero:/dev/null", "busybox", "true")
	if code != 125 {
		t.Errorf("run --device /dev/zero:/dev/null: exit %d, want 125; stderr:\n%s", code, stderr)
	}
	checkOneLineError(t, stderr, "/dev/null", "character device 1:5", "not the null device")
	e.expectNoContainers("a refused run --rm")
}
