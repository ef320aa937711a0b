package rootfs

// applyMasks on a root made by hand, in a mount namespace of the test's
// own: a /proc that is procfs or only looks like it, and a /dev/null that
// is the null device or a fake (CVE-2025-31133). The end-to-end tests
// (tests/masks_test.go) show the same guards through kobako run.

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// maskRoot is a root for applyMasks: a tmpfs in a private mount namespace.
type maskRoot struct {
	dir    string
	handle *os.File
}

// newMaskRoot moves the test's goroutine, for good, onto a thread of its
// own in a new mount namespace (the thread ends with the test, and the
// namespace with it), and mounts a tmpfs there to build a root in. Nothing
// mounted in it can reach the host: / is made private first.
func newMaskRoot(t *testing.T) maskRoot {
	requireRoot(t)
	goruntime.LockOSThread() // never unlocked: see above
	// unshare -m && mount --make-rprivate /
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		t.Fatalf("unshare(CLONE_NEWNS): %v", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
		t.Fatalf("mount --make-rprivate /: %v", err)
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "mode=755"); err != nil {
		t.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	// umount -l, before TempDir's clean-up removes the directory.
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	handle, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { handle.Close() })
	return maskRoot{dir, handle}
}

// mkdir makes each directory (and its parents) in the root.
func (r maskRoot) mkdir(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(r.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// mountProc mounts procfs on the root's /proc, as the config's first mount.
func (r maskRoot) mountProc(t *testing.T) {
	t.Helper()
	r.mkdir(t, "proc")
	if err := unix.Mount("proc", filepath.Join(r.dir, "proc"), "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		t.Fatalf("mount proc: %v", err)
	}
}

// mknodNull makes the root's /dev/null, with the numbers given.
func (r maskRoot) mknodNull(t *testing.T, major, minor uint32) {
	t.Helper()
	r.mkdir(t, "dev")
	if err := unix.Mknod(filepath.Join(r.dir, "dev/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(major, minor))); err != nil {
		t.Fatal(err)
	}
}

// isMountPoint says whether something is mounted on the root's p.
func (r maskRoot) isMountPoint(t *testing.T, p string) bool {
	t.Helper()
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, filepath.Join(r.dir, p), unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS, &st); err != nil {
		t.Fatalf("statx %s: %v", p, err)
	}
	return st.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0
}

// Without masked or read-only paths — a config without them, or none at
// all — nothing is mounted, and no /dev/null is needed.
func TestMaskNothing(t *testing.T) {
	r := newMaskRoot(t)
	r.mountProc(t)
	for _, linux := range []*specs.Linux{nil, {}} {
		masks := MasksOf(linux)
		if len(masks.Masked)+len(masks.Readonly) > 0 {
			t.Fatalf("MasksOf(%+v) = %+v, want nothing", linux, masks)
		}
		before, _ := os.ReadFile("/proc/thread-self/mountinfo")
		if err := applyMasks(r.handle, masks, nil); err != nil {
			t.Errorf("applyMasks(%+v): %v", masks, err)
		}
		if after, _ := os.ReadFile("/proc/thread-self/mountinfo"); string(after) != string(before) {
			t.Errorf("applyMasks(%+v) changed the mounts:\n%s\nwas:\n%s", masks, after, before)
		}
	}
}

// CVE-2025-31133: the root's /dev/null is not the null device — a symlink
// to the host's core_pattern through the container's own procfs, a file, a
// directory, another device. The mask is refused, naming /dev/null, and
// nothing is mounted; the real null device masks, and reads empty.
func TestMaskRefusesFakeDevNull(t *testing.T) {
	corePattern, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		make func(t *testing.T, r maskRoot)
		says string
	}{
		{"symlink to core_pattern", func(t *testing.T, r maskRoot) {
			r.mkdir(t, "dev")
			if err := os.Symlink("/proc/sys/kernel/core_pattern", filepath.Join(r.dir, "dev/null")); err != nil {
				t.Fatal(err)
			}
		}, "a regular file"},
		{"regular file", func(t *testing.T, r maskRoot) {
			r.mkdir(t, "dev")
			if err := os.WriteFile(filepath.Join(r.dir, "dev/null"), nil, 0o666); err != nil {
				t.Fatal(err)
			}
		}, "a regular file"},
		{"directory", func(t *testing.T, r maskRoot) { r.mkdir(t, "dev/null") }, "a directory"},
		{"zero device", func(t *testing.T, r maskRoot) { r.mknodNull(t, 1, 5) }, "character device 1:5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newMaskRoot(t)
			r.mountProc(t)
			tc.make(t, r)
			err := applyMasks(r.handle, Masks{Masked: []string{"/proc/uptime"}}, nil)
			if err == nil || !strings.Contains(err.Error(), "/dev/null") || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("applyMasks: %v; want a refusal that says /dev/null is %s", err, tc.says)
			}
			if r.isMountPoint(t, "proc/uptime") {
				t.Errorf("/proc/uptime was mounted over, with a fake /dev/null")
			}
		})
	}
	if after, _ := os.ReadFile("/proc/sys/kernel/core_pattern"); string(after) != string(corePattern) {
		t.Errorf("the host's core_pattern changed: %q, was %q", after, corePattern)
	}

	r := newMaskRoot(t)
	r.mountProc(t)
	r.mknodNull(t, 1, 3)
	if err := applyMasks(r.handle, Masks{Masked: []string{"/proc/uptime"}}, nil); err != nil {
		t.Fatalf("applyMasks with the null device: %v", err)
	}
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(r.dir, "proc/uptime"), &st); err != nil || st.Rdev != unix.Mkdev(1, 3) {
		t.Errorf("masked /proc/uptime: rdev %d:%d (%v), want the null device 1:3", unix.Major(st.Rdev), unix.Minor(st.Rdev), err)
	}
}

// A target must be on the file system its path promises: a /proc or /sys
// that is only the image's directory is refused, naming the path's file
// system; a path this kernel does not have is skipped.
func TestMaskTargetFileSystem(t *testing.T) {
	r := newMaskRoot(t)
	r.mknodNull(t, 1, 3)
	r.mkdir(t, "proc/sys", "sys/firmware")
	if err := os.WriteFile(filepath.Join(r.dir, "proc/uptime"), []byte("fake"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		masks Masks
		says  string
	}{
		{Masks{Masked: []string{"/proc/uptime"}}, "mask /proc/uptime: it is not on procfs"},
		{Masks{Masked: []string{"/sys/firmware"}}, "mask /sys/firmware: it is not on sysfs"},
		{Masks{Readonly: []string{"/proc/sys"}}, "make /proc/sys read-only: it is not on procfs"},
		{Masks{Masked: []string{"proc/uptime"}}, `"proc/uptime" must be an absolute path`},
	} {
		err := applyMasks(r.handle, tc.masks, nil)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("applyMasks(%+v): %v; want an error saying %q", tc.masks, err, tc.says)
		}
	}
	for _, p := range []string{"proc/uptime", "proc/sys", "sys/firmware"} {
		if r.isMountPoint(t, p) {
			t.Errorf("/%s was mounted over, though it is not on the right file system", p)
		}
	}

	if err := unix.Mount("proc", filepath.Join(r.dir, "proc"), "proc", 0, ""); err != nil {
		t.Fatalf("mount proc: %v", err)
	}
	missing := Masks{Masked: []string{"/proc/kobako-none", "/proc/kobako/none"}, Readonly: []string{"/proc/kobako-none"}}
	if err := applyMasks(r.handle, missing, nil); err != nil {
		t.Errorf("applyMasks of paths this kernel does not have: %v, want them skipped", err)
	}
}

// A read-only path, a directory or a file, refuses writes, and keeps the
// nosuid, nodev and noexec of the mount it was on: a bind remount that
// dropped them would fail with EPERM in a user namespace.
func TestReadonlyPathKeepsFlags(t *testing.T) {
	const nsLastPid = "/proc/sys/kernel/ns_last_pid"
	for _, p := range []string{"/proc/sys", nsLastPid} {
		t.Run(p, func(t *testing.T) {
			r := newMaskRoot(t)
			r.mountProc(t)
			if err := applyMasks(r.handle, Masks{Readonly: []string{p}}, nil); err != nil {
				t.Fatalf("applyMasks: %v", err)
			}
			if _, err := os.OpenFile(filepath.Join(r.dir, nsLastPid), os.O_WRONLY, 0); !errors.Is(err, unix.EROFS) {
				t.Errorf("open %s for writing: %v, want EROFS", nsLastPid, err)
			}
			var st unix.Statfs_t
			if err := unix.Statfs(filepath.Join(r.dir, p), &st); err != nil {
				t.Fatal(err)
			}
			const want = unix.ST_RDONLY | unix.ST_NOSUID | unix.ST_NODEV | unix.ST_NOEXEC
			if st.Flags&want != want || st.Type != unix.PROC_SUPER_MAGIC {
				t.Errorf("%s: file system %#x, flags %#x; want procfs, ro, nosuid, nodev and noexec (%#x)", p, st.Type, st.Flags, want)
			}
		})
	}
}

// The lists podman, containerd and docker really send are applied as
// given: each path this kernel has is masked or made read-only, and a path
// it does not have (/sys/fs/selinux without SELinux, /proc/asound without
// sound) is skipped, as runc skips it.
func TestMasksOfRealConfigs(t *testing.T) {
	for _, client := range []string{"podman", "containerd", "docker"} {
		t.Run(client, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "runtime", "testdata", client+"-config.json"))
			if err != nil {
				t.Fatal(err)
			}
			var spec specs.Spec
			if err := json.Unmarshal(data, &spec); err != nil {
				t.Fatal(err)
			}
			r := newMaskRoot(t)
			r.mountProc(t)
			r.mkdir(t, "sys")
			if err := unix.Mount("sysfs", filepath.Join(r.dir, "sys"), "sysfs", unix.MS_RDONLY, ""); err != nil {
				t.Fatalf("mount sysfs: %v", err)
			}
			r.mknodNull(t, 1, 3)
			masks := MasksOf(spec.Linux)
			if err := applyMasks(r.handle, masks, nil); err != nil {
				t.Fatalf("applyMasks(%s's lists): %v", client, err)
			}
			for _, p := range append(masks.Masked, masks.Readonly...) {
				_, err := os.Lstat(filepath.Join("/", p)) // does the host's kernel have it?
				exists, mounted := err == nil, r.isMountPointOrMissing(t, p)
				if exists != mounted {
					t.Errorf("%s: on this kernel: %v; mounted over in the root: %v", p, exists, mounted)
				}
			}
		})
	}
}

// isMountPointOrMissing is isMountPoint for a path that may not exist
// (false then).
func (r maskRoot) isMountPointOrMissing(t *testing.T, p string) bool {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(r.dir, p)); errors.Is(err, os.ErrNotExist) {
		return false
	}
	return r.isMountPoint(t, p)
}
