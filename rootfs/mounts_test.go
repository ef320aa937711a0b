package rootfs

// The config's mounts with runc's extensions, made for real on a root
// built by hand in a mount namespace of the test's own (newMaskRoot, in
// masks_test.go): tmpcopyup, rro on an rbind, an idmapped bind, sysctl.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/testenv"
)

// tmpcopyup: the tmpfs starts with the image's files — owners, modes,
// symlinks (copied, not followed) and fifos — and writes land in memory.
func TestMountTmpcopyup(t *testing.T) {
	r := newMaskRoot(t)
	run := filepath.Join(r.dir, "run")
	r.mkdir(t, "run/sub")
	must(t, os.WriteFile(filepath.Join(run, "pid"), []byte("42"), 0o600))
	must(t, os.Chown(filepath.Join(run, "pid"), 1234, 5678))
	must(t, os.Chmod(filepath.Join(run, "pid"), 0o750|os.ModeSetuid))
	must(t, os.Chmod(filepath.Join(run, "sub"), 0o710))
	must(t, os.Symlink("/etc/passwd", filepath.Join(run, "sub/passwd")))
	must(t, unix.Mkfifo(filepath.Join(run, "fifo"), 0))
	must(t, os.Chmod(filepath.Join(run, "fifo"), 0o620))

	m := specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup", "nosuid", "mode=755"}}
	if err := mountInRoot(r.handle, m, nil); err != nil {
		t.Fatalf("mountInRoot(%+v): %v", m, err)
	}
	var fs unix.Statfs_t
	must(t, unix.Statfs(run, &fs))
	if fs.Type != unix.TMPFS_MAGIC || !r.isMountPoint(t, "run") {
		t.Fatalf("/run is not a tmpfs mount (magic %#x)", fs.Type)
	}
	want := []struct {
		name     string
		mode     os.FileMode
		uid, gid uint32
	}{
		{"pid", 0o750 | os.ModeSetuid, 1234, 5678},
		{"sub", 0o710 | os.ModeDir, 0, 0},
		{"fifo", 0o620 | os.ModeNamedPipe, 0, 0},
		{"sub/passwd", os.ModeSymlink | 0o777, 0, 0},
	}
	for _, w := range want {
		fi, err := os.Lstat(filepath.Join(run, w.name))
		if err != nil {
			t.Errorf("copy of %s: %v", w.name, err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode() != w.mode || st.Uid != w.uid || st.Gid != w.gid {
			t.Errorf("copy of %s: %v %d:%d, want %v %d:%d", w.name, fi.Mode(), st.Uid, st.Gid, w.mode, w.uid, w.gid)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(run, "pid")); string(data) != "42" {
		t.Errorf("copy of pid reads %q, want 42", data)
	}
	if link, _ := os.Readlink(filepath.Join(run, "sub/passwd")); link != "/etc/passwd" {
		t.Errorf("copy of the symlink points to %q, want /etc/passwd", link)
	}
}

// rro on an rbind: the bind and the mount that came along under it are
// both read-only (a plain ro would reach the top one only).
func TestMountRecursiveReadOnly(t *testing.T) {
	r := newMaskRoot(t)
	source := t.TempDir()
	must(t, os.Mkdir(filepath.Join(source, "below"), 0o755))
	must(t, unix.Mount("tmpfs", filepath.Join(source, "below"), "tmpfs", 0, ""))
	t.Cleanup(func() { unix.Unmount(filepath.Join(source, "below"), unix.MNT_DETACH) })

	m := specs.Mount{Destination: "/v", Type: "bind", Source: source, Options: []string{"rbind", "rro", "rnosuid"}}
	if err := mountInRoot(r.handle, m, nil); err != nil {
		t.Fatalf("mountInRoot(%+v): %v", m, err)
	}
	for _, p := range []string{"v", "v/below"} {
		var fs unix.Statfs_t
		must(t, unix.Statfs(filepath.Join(r.dir, p), &fs))
		if fs.Flags&unix.ST_RDONLY == 0 || fs.Flags&unix.ST_NOSUID == 0 {
			t.Errorf("/%s: mount flags %#x, want read-only and nosuid", p, fs.Flags)
		}
	}
	// The source itself, outside the root, is untouched.
	if err := os.WriteFile(filepath.Join(source, "below/x"), nil, 0o644); err != nil {
		t.Errorf("the source became read-only too: %v", err)
	}
}

// An unknown word on a bind is refused, and nothing is mounted.
func TestMountRefusesUnknownBindWord(t *testing.T) {
	r := newMaskRoot(t)
	m := specs.Mount{Destination: "/v", Type: "bind", Source: t.TempDir(), Options: []string{"rbind", "rroo"}}
	err := mountInRoot(r.handle, m, nil)
	if err == nil || !strings.Contains(err.Error(), `"rroo"`) {
		t.Fatalf("mountInRoot(%+v) = %v, want the word refused", m, err)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "v")); err == nil {
		t.Errorf("/v was made for a refused mount")
	}
}

// idmap: a bind through the maps of a user namespace, as a container in
// one would have them: the host's root files read as 1000's, the id the
// map gives to "0 inside" — which is how the container's root, 1000 on the
// host, owns a volume it never chowned.
func TestMountIdmapped(t *testing.T) {
	r := newMaskRoot(t)
	source := t.TempDir()
	must(t, os.WriteFile(filepath.Join(source, "f"), nil, 0o644))
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	m := specs.Mount{Destination: "/v", Type: "bind", Source: source, Options: []string{"bind", "idmap"},
		UIDMappings: maps, GIDMappings: maps}
	if err := mountInRoot(r.handle, m, nil); err != nil {
		testenv.Missing(t, fmt.Sprintf("idmapped mounts on %s (the file system may not support them): %v", source, err))
	}
	var st unix.Stat_t
	must(t, unix.Stat(filepath.Join(r.dir, "v/f"), &st))
	if st.Uid != 1000 || st.Gid != 1000 {
		t.Errorf("v/f is %d:%d through the idmapped bind, want 1000:1000", st.Uid, st.Gid)
	}
	// The source itself still shows root's file.
	must(t, unix.Stat(filepath.Join(source, "f"), &st))
	if st.Uid != 0 {
		t.Errorf("the source's f is owned by %d now, want 0 (an idmapped mount changes no file)", st.Uid)
	}
}

// sysctl: written under the root's own /proc/sys, in the test thread's
// own network namespace; the host's value is untouched.
func TestWriteSysctl(t *testing.T) {
	r := newMaskRoot(t)
	const key, file = "net.ipv4.ip_unprivileged_port_start", "/proc/sys/net/ipv4/ip_unprivileged_port_start"
	host, err := os.ReadFile(file)
	if err != nil {
		testenv.Missing(t, fmt.Sprintf("a network sysctl to write: %v", err))
	}
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		t.Fatalf("unshare(CLONE_NEWNET): %v", err)
	}
	r.mountProc(t)
	if err := writeSysctls(r.handle, map[string]string{key: "80"}, nil); err != nil {
		t.Fatalf("writeSysctls: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(r.dir, file)); strings.TrimSpace(string(got)) != "80" {
		t.Errorf("%s in the root reads %q, want 80", file, got)
	}
	// Another goroutine's thread is in the host's network namespace.
	done := make(chan []byte)
	go func() { b, _ := os.ReadFile(file); done <- b }()
	if now := <-done; string(now) != string(host) {
		t.Errorf("the host's %s changed: %q, was %q", file, now, host)
	}
	for _, bad := range []string{"net..ipv4", "/net/ipv4", "net.ipv4."} {
		if err := writeSysctls(r.handle, map[string]string{bad: "1"}, nil); err == nil {
			t.Errorf("writeSysctls(%q) = nil, want it refused", bad)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
