package tests

// Chapters "Namespace" and "Copy on Write", observed from the host: the
// container's /proc/<pid>/ns links differ from ours, its host name is its
// own, the host's files are out of its sight, and its writes land in its
// own overlay layer, never in the image nor in another container.

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The namespaces kobako makes for every container.
var containerNamespaces = []string{"mnt", "uts", "ipc", "net", "pid", "cgroup"}

// `ls -l /proc/<pid>/ns` of the container's PID 1 against our own: every
// namespace differs, and inspect reports the same links.
func TestNamespacesDiffer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "x", "busybox", "sleep", "1000")
	in := e.waitRunning("x")
	for _, ns := range containerNamespaces {
		host, err := os.Readlink("/proc/self/ns/" + ns)
		if err != nil {
			t.Fatal(err)
		}
		ctr, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", in.Pid, ns))
		if err != nil {
			t.Fatal(err)
		}
		if ctr == host {
			t.Errorf("%s namespace: container's %s is the host's", ns, ctr)
		}
		if in.Namespaces[ns] != ctr {
			t.Errorf("%s namespace: inspect says %q, /proc/%d/ns/%s is %q", ns, in.Namespaces[ns], in.Pid, ns, ctr)
		}
	}
	// The net namespace is a fresh one: only lo, and it is up.
	out := e.mustRun("run", "--rm", "busybox", "sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags")
	fields := strings.Fields(out)
	if len(fields) != 3 || fields[0] != "lo" {
		t.Errorf("network interfaces in the container:\n%s\nwant only lo", out)
	} else if flags, err := strconv.ParseUint(strings.TrimPrefix(fields[2], "0x"), 16, 32); err != nil || flags&unix.IFF_UP == 0 {
		t.Errorf("lo flags %s: want IFF_UP set (%v)", fields[2], err)
	}

	e.mustRun("rm", "-f", "x")
	waitFor(t, fmt.Sprintf("the container's PID 1 (%d) to die", in.Pid), func() bool { return processGone(in.Pid) })
	if _, err := e.tryInspect("x"); err == nil {
		t.Errorf("inspect x succeeds after rm -f x")
	}
}

// The host name is the short id by default, --hostname otherwise, and the
// host's own stays as it was (the UTS namespace at work).
func TestHostname(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}

	id := strings.TrimSpace(e.mustRun("run", "-d", "busybox", "hostname"))
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("run -d printed %q, want a 64-hex id", id)
	}
	if in := e.waitExited(id); in.Hostname != id[:12] {
		t.Errorf("inspect: hostname %q, want %q", in.Hostname, id[:12])
	}
	if got := strings.TrimSpace(e.mustRun("logs", id)); got != id[:12] {
		t.Errorf("hostname in the container %q, want the short id %q", got, id[:12])
	}

	if got := strings.TrimSpace(e.mustRun("run", "--rm", "--hostname", "h1", "busybox", "hostname")); got != "h1" {
		t.Errorf("hostname with --hostname h1: %q", got)
	}
	// Setting it from inside changes only the container's. sethostname(2)
	// needs CAP_SYS_ADMIN, which docker's default set leaves out.
	e.mustRun("run", "--rm", "--cap-add", "SYS_ADMIN", "busybox", "hostname", "changed-inside")
	if after, err := os.Hostname(); err != nil || after != before {
		t.Errorf("host name %q after the containers, want %q (%v)", after, before, err)
	}
}

// The host's files are out of sight: a marker written on the host cannot
// be read in the container, its mount table starts with the overlay on /
// and holds nothing of the host's tree, and / is the busybox image.
func TestHostInvisible(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	marker := "/tmp/kobako-marker-" + randomHex(t)
	if err := os.WriteFile(marker, []byte("host only\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(marker) })

	stdout, _, code := e.run("run", "--rm", "busybox", "cat", marker)
	if code == 0 || strings.Contains(stdout, "host only") {
		t.Errorf("cat %s in the container: exit %d, stdout %q; want a failure", marker, code, stdout)
	}

	mountinfo := e.mustRun("run", "--rm", "busybox", "cat", "/proc/self/mountinfo")
	lines := strings.Split(strings.TrimSpace(mountinfo), "\n")
	first := parseMountinfoLine(t, lines[0])
	if first.mountPoint != "/" || first.fsType != "overlay" {
		t.Errorf("first mount in the container: %s on %s, want overlay on /\n%s", first.fsType, first.mountPoint, mountinfo)
	}
	tmp := filepath.Dir(e.dataRoot)
	for _, l := range lines {
		m := parseMountinfoLine(t, l)
		if strings.HasPrefix(m.mountPoint, tmp) || strings.Contains(m.mountPoint, "oldroot") {
			t.Errorf("host path mounted in the container (old root not detached?): %s", l)
		}
		if m.root != "/" && m.fsType != "overlay" && !strings.HasPrefix(m.mountPoint, "/etc/") && !isMask(m) {
			// Bind mounts show the source's path as their root; kobako's
			// only binds are files it made for /etc (hosts, hostname …)
			// and the masks: /dev/null, or a /proc path over itself.
			t.Errorf("a bind mount of the host's %s in the container: %s", m.root, l)
		}
	}

	// ls / is the image's tree (plus, at most, mount points kobako adds).
	imageRoot := dirEntries(t, e.imageRootfs("busybox"))
	inside := strings.Fields(e.mustRun("run", "--rm", "busybox", "ls", "-a", "/"))
	for _, name := range imageRoot {
		if !slices.Contains(inside, name) {
			t.Errorf("ls / in the container lacks the image's %s: %v", name, inside)
		}
	}
	for _, name := range inside {
		mountPoint := slices.Contains([]string{".", "..", "proc", "dev", "sys", "etc", "tmp"}, name)
		if !mountPoint && !slices.Contains(imageRoot, name) {
			t.Errorf("ls / in the container has %s, which the image has not: %v", name, inside)
		}
	}
	if !slices.Contains(inside, "bin") {
		t.Errorf("ls / in the container has no bin: %v", inside)
	}
}

// mountinfoLine holds the fields of /proc/<pid>/mountinfo the tests use.
type mountinfoLine struct {
	root, mountPoint, fsType string
}

// parseMountinfoLine reads "36 35 98:0 /mnt1 /mnt2 rw,noatime shared:1 - ext3 /dev/root rw".
func parseMountinfoLine(t *testing.T, line string) mountinfoLine {
	t.Helper()
	fields := strings.Fields(line)
	sep := slices.Index(fields, "-")
	if len(fields) < 5 || sep < 0 || sep+1 >= len(fields) {
		t.Fatalf("malformed mountinfo line %q", line)
	}
	return mountinfoLine{root: fields[3], mountPoint: fields[4], fsType: fields[sep+1]}
}

// Copy on write: what one container writes, deletes or changes is in its
// own upper dir; the next container and the image do not see it.
func TestWritesIsolated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--rm", "busybox", "true") // makes the image
	image := e.imageRootfs("busybox")
	busyboxSum := sha256File(t, filepath.Join(image, "bin", "busybox"))
	passwdSum := sha256File(t, filepath.Join(image, "etc", "passwd"))
	if host := sha256File(t, hostBusybox); busyboxSum != host {
		t.Errorf("image's bin/busybox %s differs from the host's %s", busyboxSum, host)
	}

	e.mustRun("run", "--name", "a", "busybox", "sh", "-c",
		"echo A > /a && echo junk >> /etc/passwd && rm /bin/ls")
	out := e.mustRun("run", "--rm", "busybox", "sh", "-c",
		"test -e /a && echo sees-a; grep -q junk /etc/passwd && echo sees-junk; test -e /bin/ls || echo no-ls; echo clean")
	if strings.TrimSpace(out) != "clean" {
		t.Errorf("the second container sees the first one's writes:\n%s", out)
	}

	upper := e.inspect("a").Overlay.Upper
	if data, err := os.ReadFile(filepath.Join(upper, "a")); err != nil || string(data) != "A\n" {
		t.Errorf("a's upper dir %s: file a = %q, %v; want \"A\\n\"", upper, data, err)
	}
	if fi, err := os.Lstat(filepath.Join(upper, "bin", "ls")); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("a's upper dir: bin/ls is not a whiteout (%v, %v)", fi, err)
	}
	if _, err := os.Lstat(filepath.Join(image, "a")); err == nil {
		t.Errorf("the image has /a")
	}
	if _, err := os.Lstat(filepath.Join(image, "bin", "ls")); err != nil {
		t.Errorf("the image lost bin/ls: %v", err)
	}
	if got := sha256File(t, filepath.Join(image, "bin", "busybox")); got != busyboxSum {
		t.Errorf("the image's bin/busybox changed: %s, was %s", got, busyboxSum)
	}
	if got := sha256File(t, filepath.Join(image, "etc", "passwd")); got != passwdSum {
		t.Errorf("the image's etc/passwd changed: %s, was %s", got, passwdSum)
	}
}

// Two running containers, seen side by side from the host through
// /proc/<pid>/root: A's file is in A's root only.
func TestWritesIsolatedWhileRunning(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "a", "busybox", "sh", "-c", "echo A > /a; exec sleep 1000")
	e.mustRun("run", "-d", "--name", "b", "busybox", "sleep", "1000")
	a, b := e.waitRunning("a"), e.waitRunning("b")
	aFile := fmt.Sprintf("/proc/%d/root/a", a.Pid)
	waitFor(t, "A to write /a", func() bool { _, err := os.Stat(aFile); return err == nil })
	if _, err := os.Lstat(fmt.Sprintf("/proc/%d/root/a", b.Pid)); err == nil {
		t.Errorf("container b sees a's /a")
	}
	if a.Overlay.Upper == b.Overlay.Upper || a.Overlay.Lower[0] != b.Overlay.Lower[0] {
		t.Errorf("overlays: a %+v, b %+v; want the same lower, different uppers", a.Overlay, b.Overlay)
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// isMask says whether a mount is one of the masks of masks_test.go: the
// container's null device over a masked file, or a read-only path bound
// onto itself (its root is its path inside procfs).
func isMask(m mountinfoLine) bool {
	switch {
	case slices.Contains(maskedPaths, m.mountPoint):
		return m.root == "/null" || m.root == "/"
	case slices.Contains(readonlyPaths, m.mountPoint):
		return m.root == strings.TrimPrefix(m.mountPoint, "/proc")
	}
	return false
}
