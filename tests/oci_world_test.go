package tests

// What the OCI tests share (oci_cli*_test.go, oci_podman_test.go,
// oci_containerd_test.go, oci_docker_test.go): the runtime binary the
// engines are pointed at, a busybox root file system made from the host's
// static busybox, and things of the test's own — a cgroup parent, a network
// namespace — each removed in t.Cleanup, so that a test leaves the host as
// it found it. oci_tools_test.go has the clients and daemons.
//
// OCI_RUNTIME=/usr/sbin/runc runs every OCI test against runc instead of
// kobako: that is how the tests themselves were checked, and how to tell a
// wrong test from a wrong kobako.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// ociRuntime is the runtime the OCI tests drive: kobako, or the binary
// OCI_RUNTIME names.
func ociRuntime(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("OCI_RUNTIME")
	if bin == "" {
		return kobako
	}
	abs, err := exec.LookPath(bin)
	if err == nil {
		abs, err = filepath.Abs(abs)
	}
	if err != nil {
		t.Fatalf("OCI_RUNTIME=%s: %v", bin, err)
	}
	return abs
}

// runtimeIsKobako says whether the runtime under test is kobako: a few
// checks (its name in --version, its wording where runc has none) are
// kobako's alone.
func runtimeIsKobako(bin string) bool { return bin == kobako }

// requireTools stops the test unless every program is installed; pkg says
// which Debian package brings them.
func requireTools(t *testing.T, pkg string, programs ...string) {
	t.Helper()
	requireRoot(t)
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			missing(t, "%s (apt-get install %s)", p, pkg)
		}
	}
}

// busyboxRootfs makes a root file system in a new directory (see
// makeBusyboxRootfs).
func busyboxRootfs(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "rootfs")
	makeBusyboxRootfs(t, root)
	return root
}

// makeBusyboxRootfs makes a root file system at root: the host's static
// busybox, one symlink per applet, and the few files engines expect
// (/etc/passwd for user lookups, mount points for /proc, /sys, /dev).
func makeBusyboxRootfs(t *testing.T, root string) {
	t.Helper()
	requireRoot(t)
	for _, dir := range []string{"bin", "dev", "etc", "proc", "root", "sys", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(hostBusybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	applets, err := exec.Command(hostBusybox, "--list").Output()
	if err != nil {
		t.Fatalf("%s --list: %v", hostBusybox, err)
	}
	for _, applet := range strings.Fields(string(applets)) {
		if applet == "busybox" { // a link to itself would replace the binary
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(root, "bin", applet)); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":  "root:x:0:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// busyboxTarball is busyboxRootfs as a tar archive, the input of
// `podman import` and `docker import`.
func busyboxTarball(t *testing.T) string {
	t.Helper()
	root := busyboxRootfs(t)
	tarball := filepath.Join(t.TempDir(), "busybox.tar")
	if out, err := exec.Command("tar", "-C", root, "-cf", tarball, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar -C %s -cf %s .: %v\n%s", root, tarball, err, out)
	}
	return tarball
}

// busyboxSaveArchive is the busybox image as a docker save archive (the
// input of `ctr images import`), written by kobako save from kobako's
// built-in busybox image, in a store of its own.
func busyboxSaveArchive(t *testing.T) string {
	t.Helper()
	archive := filepath.Join(t.TempDir(), "busybox-save.tar")
	newEnv(t).mustRun("save", "-o", archive, "busybox")
	return archive
}

// cgroupOfTest makes a name for a cgroup of the test's own, /kobako-test-…,
// for the engines to put containers under (--cgroup-parent, or a containerd
// namespace), and removes it from every hierarchy when the test ends.
func cgroupOfTest(t *testing.T) string {
	t.Helper()
	path := "/kobako-test-" + randomHex(t)[:8]
	removeCgroupOnCleanup(t, path)
	return path
}

// removeCgroupOnCleanup removes the cgroup path (and what the engines left
// below it, such as podman's <parent>/conmon) from every cgroup mount when
// the test ends. A cgroup still holding a process is an error: rmdir
// refuses it (EBUSY). Each test checks its containers' own cgroups itself.
func removeCgroupOnCleanup(t *testing.T, path string) {
	t.Helper()
	layout := hostCgroups(t)
	t.Cleanup(func() {
		for _, mnt := range layout.mounts {
			removeCgroupTree(t, filepath.Join(mnt, path))
		}
	})
}

// removeCgroupTree removes a cgroup directory and the ones below it,
// deepest first: rmdir is the only way to remove a cgroup.
func removeCgroupTree(t *testing.T, dir string) {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		t.Errorf("cleanup: %v", err)
	}
	for _, d := range slices.Backward(dirs) {
		if err := unix.Rmdir(d); err != nil && !errors.Is(err, unix.ENOENT) {
			t.Errorf("cleanup: rmdir %s: %v", d, err)
		}
	}
}

// netnsOfTest makes a named network namespace (ip netns add), deleted when
// the test ends, and returns its path under /run/netns.
func netnsOfTest(t *testing.T) string {
	t.Helper()
	requireTools(t, "iproute2", "ip")
	name := "kobako-test-" + randomHex(t)[:8]
	if out, err := runQuiet("ip", "netns", "add", name); err != nil {
		t.Fatalf("ip netns add %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := runQuiet("ip", "netns", "del", name); err != nil {
			t.Errorf("cleanup: ip netns del %s: %v\n%s", name, err, out)
		}
	})
	return filepath.Join("/run/netns", name)
}

// runQuiet runs a host tool and returns its output, for its error message.
func runQuiet(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// nsLink is how the kernel names a namespace, "net:[4026531992]", as
// readlink /proc/<pid>/ns/net shows it — here made from the inode of a
// namespace file such as /run/netns/<name>.
func nsLink(t *testing.T, kind, path string) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s:[%d]", kind, st.Ino)
}

// expectHostMountsUnchanged checks, when the test ends, that the host's
// mount table is what it is now. Call it first: cleanups run last in,
// first out, so it runs after the daemons and containers are gone.
func expectHostMountsUnchanged(t *testing.T) {
	t.Helper()
	before := readMountinfo(t)
	t.Cleanup(func() {
		if added, removed := diffLines(before, readMountinfo(t)); len(added)+len(removed) > 0 {
			t.Errorf("cleanup: the host's /proc/self/mountinfo changed\nadded:\n%s\nremoved:\n%s",
				strings.Join(added, "\n"), strings.Join(removed, "\n"))
		}
	})
}

// expectMemoryLimit checks a 10m limit both ways: in the container's
// cgroup dir read from the host (v1 memory.limit_in_bytes, v2 memory.max),
// and as the container itself read it (inside, from memoryLimitInside) —
// which holds only if /sys/fs/cgroup inside shows the container's own
// cgroup, as runc mounts it, and not the hierarchy's root.
func expectMemoryLimit(t *testing.T, cgroupDir, inside string) {
	t.Helper()
	const want = "10485760"
	file := filepath.Join(cgroupDir, "memory.limit_in_bytes")
	if hostCgroups(t).v2 {
		file = filepath.Join(cgroupDir, "memory.max")
	}
	if got := strings.TrimSpace(readString(t, file)); got != want {
		t.Errorf("%s: %s, want %s", file, got, want)
	}
	if got := strings.TrimSpace(inside); got != want {
		t.Errorf("the memory limit read inside the container: %s, want %s (the host's %s is right: does the container's /sys/fs/cgroup show its own cgroup?)", got, want, file)
	}
}

// memoryLimitInside is a shell line that prints the container's memory
// limit from inside: the v1 memory controller's file, or v2's memory.max.
const memoryLimitInside = `cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max`

// sigtermLoop is a container's main process that ends at once, with
// status 0, on SIGTERM: PID 1 has no default action for it, so a plain
// sleep would make every stop wait for its SIGKILL.
var sigtermLoop = []string{"sh", "-c", `trap "exit 0" TERM; while :; do sleep 0.1; done`}
