package rootfs

// makeDevice in an image that tries to send the node out of the root: /dev
// a symlink to a host directory, the node's own name a symlink to a host
// file. The node must land inside the root, with the config's mode and
// owner, and the host must be left as it was.

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestMakeDeviceStaysInRoot(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	root, outside := filepath.Join(dir, "root"), filepath.Join(dir, "outside")
	marker := filepath.Join(outside, "marker")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(marker, []byte("host"), 0o644); err != nil {
		t.Fatal(err)
	}
	// In the root, /dev points at the host's outside (an absolute link is
	// the root's, resolved inside), and /dev/sub/x at the host's marker.
	if err := os.Symlink(outside, filepath.Join(root, "dev")); err != nil {
		t.Fatal(err)
	}
	inRoot := filepath.Join(root, outside)
	if err := os.MkdirAll(filepath.Join(inRoot, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(marker, filepath.Join(inRoot, "sub", "x")); err != nil {
		t.Fatal(err)
	}

	rootDir, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rootDir.Close()
	mode, uid, gid := os.FileMode(0o640), uint32(4242), uint32(4343)
	for _, p := range []string{"/dev/sub/x", "/dev/new/dir/y"} {
		d := specs.LinuxDevice{Path: p, Type: "c", Major: 1, Minor: 3, FileMode: &mode, UID: &uid, GID: &gid}
		if err := makeDevice(rootDir, d, nil); err != nil {
			t.Fatalf("makeDevice %s: %v", p, err)
		}
	}

	for _, p := range []string{"sub/x", "new/dir/y"} {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(inRoot, p), &st); err != nil {
			t.Fatalf("the node %s is not in the root: %v", p, err)
		}
		if st.Mode != unix.S_IFCHR|0o640 || st.Rdev != unix.Mkdev(1, 3) || st.Uid != uid || st.Gid != gid {
			t.Errorf("%s: mode %#o rdev %d:%d owner %d:%d; want a char device 1:3, 0640, 4242:4343",
				p, st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev), st.Uid, st.Gid)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("the host's directory changed: %v", entries)
	}
	if fi, err := os.Lstat(marker); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
		t.Errorf("the host's marker changed: %v, %v", fi, err)
	}
}

func TestMakeDeviceRefuses(t *testing.T) {
	rootDir, err := os.OpenFile(t.TempDir(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rootDir.Close()
	for _, d := range []specs.LinuxDevice{
		{Path: "/dev/fifo", Type: "p"},
		{Path: "dev/x", Type: "c", Major: 1, Minor: 3},
		{Path: "/", Type: "c", Major: 1, Minor: 3},
	} {
		if err := makeDevice(rootDir, d, nil); err == nil {
			t.Errorf("makeDevice(%+v): want an error", d)
		}
	}
}
