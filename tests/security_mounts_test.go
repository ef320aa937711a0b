package tests

// Security of the root and its mounts. pivot_root, not chroot: root in the
// container cannot climb back to the host (B11). And the image decides what
// the paths under the rootfs are, and an image is untrusted: /proc or /sys
// as a symlink is refused (CVE-2019-19921 and its regression
// CVE-2023-27561, B3); a /dev symlink that points out of the root is
// followed inside it, never on the host (CVE-2021-30465, static part of
// B4). In every case the host's mount table is checked by the env's
// clean-up.

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// B11: root in the container calls chroot, and chroot is no way out. The
// classic escape (mkdir x; chroot x; cd .. ×64; chroot .) climbs to the
// root of the mount namespace; after pivot_root and the unmount of the old
// root, that is the container's own "/". The mount table confirms it: the
// overlay on "/", the config's mounts, and nothing of the host.
func TestChrootEscape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.importImage("probe", probeTar(t))
	marker, content := writeMarker(t)

	var r struct {
		RootBefore, RootAfter struct{ Dev, Ino uint64 }
		Marker, MarkerError   string
		Escaped               bool
		Error                 string
	}
	decodeProbe(t, "chroot-escape", e.mustRun("run", "--rm", "probe", "/probe", "chroot-escape", marker), &r)
	if r.Error != "" {
		t.Fatalf("the escape could not be tried, so it proves nothing: %s", r.Error)
	}
	if r.Escaped || r.RootAfter != r.RootBefore {
		t.Errorf("chroot escape: / was %+v, is %+v after the climb (escaped: %v)", r.RootBefore, r.RootAfter, r.Escaped)
	}
	if r.MarkerError == "" || r.Marker == content {
		t.Errorf("chroot escape: the host's marker %s is readable: %q", marker, r.Marker)
	}

	// The mount points are those of the config and kobako's files in /etc.
	out := e.mustRun("run", "--rm", "probe", "/probe", "mountinfo")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if first := parseMountinfoLine(t, lines[0]); first.mountPoint != "/" || first.fsType != "overlay" {
		t.Errorf("first mount: %s on %s, want the overlay on /\n%s", first.fsType, first.mountPoint, out)
	}
	expected := []string{"/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"}
	var seen []string
	for _, l := range lines {
		m := parseMountinfoLine(t, l)
		seen = append(seen, m.mountPoint)
		// /sys/fs/cgroup/<controller>: the v1 hierarchies under the cgroup
		// tmpfs; and the masks over /proc and /sys (masks_test.go).
		if !slices.Contains(expected, m.mountPoint) && !strings.HasPrefix(m.mountPoint, "/etc/") &&
			!strings.HasPrefix(m.mountPoint, "/sys/fs/cgroup/") &&
			!slices.Contains(maskedPaths, m.mountPoint) && !slices.Contains(readonlyPaths, m.mountPoint) {
			t.Errorf("unexpected mount in the container (the old root, or a part of it?): %s", l)
		}
		if strings.HasPrefix(m.mountPoint, e.dataRoot) {
			t.Errorf("a mount point under the host's data root in the container: %s", l)
		}
	}
	for _, want := range expected {
		if !slices.Contains(seen, want) {
			t.Errorf("no mount on %s in the container:\n%s", want, out)
		}
	}
}

// replaceEntry returns entries with the one called name replaced by with.
func replaceEntry(t *testing.T, entries []tarEntry, name string, with ...tarEntry) []tarEntry {
	t.Helper()
	for i, e := range entries {
		if e.hdr.Name == name {
			return append(append(entries[:i:i], with...), entries[i+1:]...)
		}
	}
	t.Fatalf("the image has no entry %s", name)
	return nil
}

// B3: proc and sysfs are never mounted on a symlink, wherever it points
// (runc's "must be mounted on ordinary directory"), nor on a file: the run
// fails with one line that names the path, and nothing is made on the host.
func TestProcSysNotDirectory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := probeTar(t)
	for _, tc := range []struct {
		image, entry, dest string
		with               []tarEntry
	}{
		{"badproc", "proc/", "/proc", []tarEntry{tarSymlink("proc", "/bad-proc"), tarDir("bad-proc/", 0o755)}},
		{"badprocrel", "proc/", "/proc", []tarEntry{tarSymlink("proc", "bad-proc"), tarDir("bad-proc/", 0o755)}},
		{"badprocfile", "proc/", "/proc", []tarEntry{tarFile("proc", 0o644, nil)}},
		{"badsys", "sys/", "/sys", []tarEntry{tarSymlink("sys", "/x"), tarDir("x/", 0o755)}},
	} {
		hostBefore := hostHas(tc.with)
		e.importImage(tc.image, replaceEntry(t, base, tc.entry, tc.with...))
		_, stderr, code := e.run("run", "--rm", tc.image, "/probe", "fds")
		t.Logf("%s: exit %d, %s", tc.image, code, strings.TrimSpace(stderr))
		if code != 125 {
			t.Errorf("%s: run exit %d, want 125; stderr:\n%s", tc.image, code, stderr)
		}
		checkOneLineError(t, stderr, tc.dest)
		if after := hostHas(tc.with); !slices.Equal(after, hostBefore) {
			t.Errorf("%s: the host's / changed: %v, was %v", tc.image, after, hostBefore)
		}
	}
}

// hostHas says, for each entry's name taken as a path of the host's /,
// whether it exists: an image's /bad-proc must stay the image's.
func hostHas(entries []tarEntry) []bool {
	var has []bool
	for _, e := range entries {
		_, err := os.Lstat("/" + strings.TrimSuffix(e.hdr.Name, "/"))
		has = append(has, err == nil)
	}
	return has
}

// B4, CVE-2021-30465, static part: the image's /dev is a symlink to a host
// directory, relative (climbing with ../) or absolute. The tmpfs of /dev,
// devpts, /dev/shm and mqueue follow it inside the root or the run fails
// cleanly; the host directory stays empty either way, and no mount appears
// on the host.
func TestDevSymlinkOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hostDir := t.TempDir()
	base := probeTar(t)
	// The image may also hold the directory the symlink names: then it is
	// there to be mounted on, inside the root.
	var inImage []tarEntry
	for dir := strings.TrimPrefix(hostDir, "/"); dir != "."; dir = filepath.Dir(dir) {
		if !slices.ContainsFunc(base, func(e tarEntry) bool { return e.hdr.Name == dir+"/" }) {
			inImage = append([]tarEntry{tarDir(dir+"/", 0o755)}, inImage...)
		}
	}
	for _, tc := range []struct {
		image, target string
		extra         []tarEntry
	}{
		{"devrel", escape(hostDir), nil},
		{"devabs", hostDir, nil},
		{"devrelinimage", escape(hostDir), inImage},
		{"devabsinimage", hostDir, inImage},
	} {
		image := replaceEntry(t, base, "dev/", append([]tarEntry{tarSymlink("dev", tc.target)}, tc.extra...)...)
		e.importImage(tc.image, image)
		stdout, stderr, code := e.run("run", "--rm", tc.image, "/probe", "mountinfo")
		t.Logf("%s: /dev -> %s: exit %d, %s", tc.image, tc.target, code, strings.TrimSpace(stderr))
		if entries := dirEntries(t, hostDir); len(entries) > 0 {
			t.Errorf("%s: /dev -> %s made %v in the host's %s", tc.image, tc.target, entries, hostDir)
		}
		if added, _ := diffLines(e.mounts, readMountinfo(t)); len(added) > 0 {
			t.Errorf("%s: mounts appeared on the host:\n%s", tc.image, strings.Join(added, "\n"))
		}
		if code != 0 {
			if code != 125 {
				t.Errorf("%s: run exit %d, want 0 or 125; stderr:\n%s", tc.image, code, stderr)
			}
			checkOneLineError(t, stderr, "/dev")
			continue
		}
		// Accepted: /dev is the container's own hostDir, inside its root.
		want := map[string]string{hostDir: "tmpfs", filepath.Join(hostDir, "pts"): "devpts"}
		for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
			m := parseMountinfoLine(t, l)
			if want[m.mountPoint] == m.fsType {
				delete(want, m.mountPoint)
			}
		}
		if len(want) > 0 {
			t.Errorf("%s: no %v in the container's mounts, though the run succeeded:\n%s", tc.image, want, stdout)
		}
	}
}
