package tests

// Volumes: -v HOST:CTR[:ro], --tmpfs CTR[:OPTS] and --read-only. What a
// container writes into a volume lands on the host, and only there; a
// read-only volume or root refuses writes (EROFS); a bind is nosuid and
// nodev, a tmpfs noexec too. And the image decides what CTR is: a symlink
// in it (to /etc, absolute or climbing with ../) is followed inside the
// root, never to the host's /etc (CVE-2021-30465, B4/B5). Every test's
// env checks on clean-up that the host's mount table is unchanged (B13).

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// A host directory bound with -v is seen and written from inside: the
// file appears on the host, owned by root; the bind is nosuid and nodev,
// and private (no "shared:" or "master:" tag). With :ro a write fails.
func TestVolumeBind(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hostDir := t.TempDir()
	out := e.mustRun("run", "--rm", "-v", hostDir+":/data", "busybox", "sh", "-c",
		"echo inside > /data/f && cat /proc/self/mountinfo")
	data, err := os.ReadFile(filepath.Join(hostDir, "f"))
	if err != nil || string(data) != "inside\n" {
		t.Fatalf("the container's /data/f on the host: %q, %v", data, err)
	}
	fi, err := os.Stat(filepath.Join(hostDir, "f"))
	if err != nil || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("the file written through the volume is not root's: %v", err)
	}
	fields := mountFields(t, out, "/data")
	if opts := strings.Split(fields[5], ","); !slices.Contains(opts, "nosuid") || !slices.Contains(opts, "nodev") {
		t.Errorf("the bind of /data is not nosuid,nodev: %s", strings.Join(fields, " "))
	}
	if tags := strings.Join(fields[6:slices.Index(fields, "-")], " "); tags != "" {
		t.Errorf("the bind of /data is not private (rprivate is the default): %q", tags)
	}

	_, stderr, code := e.run("run", "--rm", "-v", hostDir+":/data:ro", "busybox", "sh", "-c", "echo no > /data/g")
	if code == 0 || !strings.Contains(stderr, "Read-only file system") {
		t.Errorf("a write to a :ro volume: exit %d, stderr %q; want EROFS", code, stderr)
	}
	if _, err := os.Lstat(filepath.Join(hostDir, "g")); err == nil {
		t.Errorf("a write to a :ro volume reached the host")
	}
}

// mountFields returns the fields of the container's mountinfo line for
// mount point at, the last one if mounts are stacked there.
func mountFields(t *testing.T, mountinfo, at string) []string {
	t.Helper()
	var found []string
	for _, l := range strings.Split(strings.TrimSpace(mountinfo), "\n") {
		if parseMountinfoLine(t, l).mountPoint == at {
			found = strings.Fields(l)
		}
	}
	if found == nil {
		t.Fatalf("no mount on %s in the container:\n%s", at, mountinfo)
	}
	return found
}

// --tmpfs mounts a tmpfs of the size asked, noexec as docker's: a script
// written there does not run.
func TestTmpfs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, stderr, code := e.run("run", "--rm", "--tmpfs", "/tmp:size=1m,mode=1777", "busybox", "sh", "-c",
		"cat /proc/self/mountinfo; printf '#!/bin/sh\\ntrue\\n' > /tmp/x && chmod 755 /tmp/x && /tmp/x")
	if code != 126 || !strings.Contains(stderr, "Permission denied") {
		t.Errorf("exec from the tmpfs: exit %d, stderr %q; want 126, Permission denied (noexec)", code, stderr)
	}
	fields := mountFields(t, out, "/tmp")
	super := fields[len(fields)-1]
	if fsType := fields[slices.Index(fields, "-")+1]; fsType != "tmpfs" || !strings.Contains(super, "size=1024k") {
		t.Errorf("/tmp is %s with %s, want a tmpfs of size=1024k", fsType, super)
	}
	if opts := fields[5]; !strings.Contains(opts, "noexec") || !strings.Contains(opts, "nosuid") || !strings.Contains(opts, "nodev") {
		t.Errorf("/tmp is mounted %s, want nosuid,nodev,noexec", opts)
	}
}

// --read-only: a write to / fails with EROFS; /dev/shm and a --tmpfs /tmp
// stay writable, as in docker.
func TestReadOnlyRoot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, stderr, code := e.run("run", "--rm", "--read-only", "--tmpfs", "/tmp", "busybox", "sh", "-c",
		"echo tmp > /tmp/a && echo shm > /dev/shm/a && echo ok; echo root > /a")
	if code == 0 || !strings.Contains(stderr, "Read-only file system") {
		t.Errorf("a write to / with --read-only: exit %d, stderr %q; want EROFS", code, stderr)
	}
	if strings.TrimSpace(out) != "ok" {
		t.Errorf("writes to /tmp and /dev/shm with --read-only failed: %q, stderr %q", out, stderr)
	}
	// A working directory the image lacks is made before the root goes
	// read-only, as without --read-only; the root stays read-only.
	out, stderr, code = e.run("run", "--rm", "--read-only", "-w", "/work/here", "busybox", "sh", "-c", "pwd; touch x")
	if out != "/work/here\n" || code == 0 || !strings.Contains(stderr, "Read-only file system") {
		t.Errorf("--read-only -w /work/here: exit %d, out %q, stderr %q; want pwd to work and touch to fail", code, out, stderr)
	}
}

// B4/B5 for volumes: the image's /data is a symlink to /etc, absolute or
// climbing out with ../. The bind follows it inside the root: it covers
// the container's /etc, the marker written there lands in the volume, and
// the host's /etc neither changes nor gains an entry.
func TestVolumeSymlinkTarget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base, _ := busyboxTar(t)
	etcBefore := snapshotDir(t, "/etc")
	marker := "kobako-volume-" + randomHex(t)
	for _, target := range []string{"/etc", "../../../../../../etc"} {
		image := "symdata" + fmt.Sprint(len(target))
		e.importImage(image, append(slices.Clone(base), tarSymlink("data", target)))
		hostDir := t.TempDir()
		out, stderr, code := e.run("run", "--rm", "-v", hostDir+":/data", image, "sh", "-c",
			"echo pwned > /data/"+marker+"; cat /proc/self/mountinfo")
		t.Logf("/data -> %s: exit %d, %s", target, code, strings.TrimSpace(stderr))
		if _, err := os.Lstat(filepath.Join("/etc", marker)); err == nil {
			os.Remove(filepath.Join("/etc", marker))
			t.Fatalf("/data -> %s: the container wrote into the host's /etc", target)
		}
		if code != 0 {
			if code != 125 {
				t.Errorf("/data -> %s: exit %d, want 0 or 125; stderr:\n%s", target, code, stderr)
			}
			continue
		}
		// Confined: the bind sits on the container's own /etc.
		if fields := mountFields(t, out, "/etc"); fields[3] != hostDir {
			t.Errorf("/data -> %s: the container's /etc is %s, want the volume %s", target, fields[3], hostDir)
		}
		if _, err := os.Lstat(filepath.Join(hostDir, marker)); err != nil {
			t.Errorf("/data -> %s: the marker is not in the volume: %v", target, err)
		}
	}
	if after := snapshotDir(t, "/etc"); !slices.Equal(after, etcBefore) {
		t.Errorf("the host's /etc changed:\nbefore %v\nafter  %v", etcBefore, after)
	}
}

// snapshotDir lists a directory's entries with their size, mode and
// modification time: enough to see that nothing was made or written.
func snapshotDir(t *testing.T, dir string) []string {
	t.Helper()
	var snap []string
	for _, name := range dirEntries(t, dir) {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		snap = append(snap, fmt.Sprintf("%s %d %v %d", name, fi.Size(), fi.Mode(), fi.ModTime().UnixNano()))
	}
	return snap
}

// A host path that does not exist is made as a directory, as docker does.
func TestVolumeHostDirMade(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hostDir := filepath.Join(t.TempDir(), "new", "dir")
	e.mustRun("run", "--rm", "-v", hostDir+":/data", "busybox", "sh", "-c", "echo x > /data/f")
	if _, err := os.Stat(filepath.Join(hostDir, "f")); err != nil {
		t.Errorf("-v with a missing host directory: %v", err)
	}
}

// A host file is bound as a file, read-only with :ro (the tutorial binds
// its escape tool this way); it used to be taken for a missing directory.
func TestVolumeHostFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hostFile := filepath.Join(t.TempDir(), "greeting")
	if err := os.WriteFile(hostFile, []byte("hello from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := e.mustRun("run", "--rm", "-v", hostFile+":/greeting:ro", "busybox", "sh", "-c", "cat /greeting; echo x > /greeting || echo read-only")
	if !strings.Contains(out, "hello from the host") || !strings.Contains(out, "read-only") {
		t.Errorf("-v FILE:/greeting:ro: got %q, want the file's text and a refused write", out)
	}
}

// Bad flags fail with exit 125 and one line that names the problem, before
// anything is made: no container, no host directory.
func TestVolumeBadFlags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hostDir := filepath.Join(t.TempDir(), "never")
	for _, tc := range []struct {
		flag, value, want string
	}{
		{"-v", hostDir + ":data", "must be absolute"},
		{"-v", hostDir + ":/", "cannot be /"},
		{"-v", hostDir + ":/data:bogus", `unknown option "bogus"`},
		{"-v", "relative/dir:/data", "neither a volume name nor a host path"},
		{"-v", hostDir + ":/proc/sys", "/proc"},
		{"-v", hostDir + ":/data:ro:x", "SRC:CTR"},
		{"--tmpfs", "tmp", "must be absolute"},
		{"--tmpfs", "/tmp:bogus=1", `unknown option "bogus=1"`},
	} {
		_, stderr, code := e.run("run", "--rm", tc.flag, tc.value, "busybox", "true")
		if code != 125 {
			t.Errorf("%s %s: exit %d, want 125; stderr:\n%s", tc.flag, tc.value, code, stderr)
		}
		checkOneLineError(t, stderr, tc.want)
		e.expectNoContainers("after %s %s", tc.flag, tc.value)
	}
	if _, err := os.Lstat(hostDir); err == nil {
		t.Errorf("a refused -v made its host directory %s", hostDir)
	}
}
