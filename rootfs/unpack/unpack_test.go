// Tests for Unpack: catalogue entry B10 (security-tests.md), hostile
// tarballs built in memory with archive/tar. Each one is unpacked into
// T/root next to an empty sentinel directory T/outside and a marker file
// T/marker; whatever the tarball tries, those two must come out unchanged.
package unpack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/kobako/kobako/internal/testenv"

	"golang.org/x/sys/unix"
)

// requireRoot stops a test that needs root (see testenv).
func requireRoot(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t, "it chowns files")
}

// ent is one entry of a test tarball: a header, and a body for regular files.
type ent struct {
	tar.Header
	body string
}

// testTime is the time every test entry carries unless it says otherwise.
var testTime = time.Date(2020, 2, 2, 2, 2, 2, 0, time.UTC)

func tarFile(name, body string) ent {
	return ent{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: testTime}, body}
}

func tarDir(name string, mode int64) ent {
	return ent{Header: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: testTime}}
}

func tarSymlink(name, target string) ent {
	return ent{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: testTime}}
}

func tarHardlink(name, target string) ent {
	return ent{Header: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, ModTime: testTime}}
}

func tarDevice(typ byte, name string, major, minor int64) ent {
	return ent{Header: tar.Header{Typeflag: typ, Name: name, Mode: 0o600, Devmajor: major, Devminor: minor, ModTime: testTime}}
}

// makeTar writes the entries as a tar stream.
func makeTar(t *testing.T, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, e := range ents {
		if err := w.WriteHeader(&e.Header); err != nil {
			t.Fatalf("write tar header %q: %v", e.Name, err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatalf("write tar body %q: %v", e.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close tar: %v", err)
	}
	return buf.Bytes()
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(data); err != nil {
		t.Fatalf("gzip: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("gzip: %v", err)
	}
	return buf.Bytes()
}

// sandbox is T/root (where the tarball goes), T/outside (must stay empty)
// and T/marker (must keep its content, mode and owner).
type sandbox struct {
	top, root, outside, marker string
}

const markerText = "marker: the host's own file"

func newSandbox(t *testing.T) sandbox {
	t.Helper()
	top := t.TempDir()
	s := sandbox{top: top, root: filepath.Join(top, "root"), outside: filepath.Join(top, "outside"), marker: filepath.Join(top, "marker")}
	for _, d := range []string{s.root, s.outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(s.marker, []byte(markerText), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s sandbox) unpack(t *testing.T, stream []byte, limits Limits) (Result, error) {
	t.Helper()
	res, err := Tar(bytes.NewReader(stream), s.root, limits, nil)
	s.checkUntouched(t)
	return res, err
}

// checkUntouched fails the test if anything outside the root changed.
func (s sandbox) checkUntouched(t *testing.T) {
	t.Helper()
	if names := readDir(t, s.outside); len(names) != 0 {
		t.Errorf("outside/ is not empty: %v", names)
	}
	if names := readDir(t, s.top); !slices.Equal(names, []string{"marker", "outside", "root"}) {
		t.Errorf("next to the root there is now %v", names)
	}
	text, err := os.ReadFile(s.marker)
	if err != nil || string(text) != markerText {
		t.Errorf("marker content changed: %q, %v", text, err)
	}
	st := lstat(t, s.marker)
	if st.Mode != unix.S_IFREG|0o600 || st.Uid != 0 || st.Gid != 0 || st.Nlink != 1 {
		t.Errorf("marker changed: mode %o, owner %d:%d, %d links", st.Mode, st.Uid, st.Gid, st.Nlink)
	}
}

func readDir(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func lstat(t *testing.T, path string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatalf("lstat %s: %v", path, err)
	}
	return st
}

// B10 a, c, h: entries that must stop the whole import, with an error that
// names the entry.
func TestUnpackRefuses(t *testing.T) {
	requireRoot(t)
	long := strings.Repeat("a/", 2100) + "x"
	tests := []struct {
		name    string
		ents    func(s sandbox) []ent
		wantErr string
	}{
		{"traversal", func(sandbox) []ent { return []ent{tarFile("../outside/evil", "x")} },
			`refusing tar entry "../outside/evil": path escapes the image root`},
		{"absolute", func(s sandbox) []ent { return []ent{tarFile(s.outside+"/evil", "x")} },
			"path escapes the image root"},
		{"dotdot inside", func(sandbox) []ent { return []ent{tarDir("a/", 0o755), tarFile("a/../../outside/x", "x")} },
			`refusing tar entry "a/../../outside/x": path escapes the image root`},
		{"hard link relative", func(sandbox) []ent { return []ent{tarHardlink("h", "../marker")} },
			`refusing tar entry "h": hard link target "../marker": path escapes the image root`},
		{"hard link absolute", func(s sandbox) []ent { return []ent{tarHardlink("h", s.marker)} },
			`hard link target "` + "/"},
		{"hard link through dotdot", func(sandbox) []ent { return []ent{tarFile("f", "x"), tarHardlink("h", "f/../../marker")} },
			"path escapes the image root"},
		{"name too long", func(sandbox) []ent { return []ent{tarFile(long, "x")} },
			"name longer than 4096 bytes"},
		{"file as root", func(sandbox) []ent { return []ent{tarFile(".", "x")} },
			"only a directory can stand for the image root"},
		{"hard link to nothing", func(sandbox) []ent { return []ent{tarHardlink("h", "missing")} },
			"hard link h to missing: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			_, err := s.unpack(t, makeTar(t, tc.ents(s)...), Limits{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Unpack error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// A tarball's padding is a few KiB: a stream that goes on after the end
// marker (a small gzip of a gigabyte of zeros) is refused, not read to its
// end; ordinary padding is fine.
func TestUnpackTrailer(t *testing.T) {
	requireRoot(t)
	tarball := makeTar(t, tarFile("f", "x"))
	s := newSandbox(t)
	if _, err := s.unpack(t, append(slices.Clone(tarball), make([]byte, 10<<10)...), Limits{}); err != nil {
		t.Errorf("a tarball with 10 KiB of padding: %v", err)
	}
	s = newSandbox(t)
	_, err := s.unpack(t, append(slices.Clone(tarball), make([]byte, 2<<20)...), Limits{})
	if err == nil || !strings.Contains(err.Error(), "after the tar's end marker") {
		t.Errorf("a tarball followed by 2 MiB: error %v, want one about what follows the end marker", err)
	}
}

// B10 b, d: symlinks planted by earlier entries resolve inside the root,
// and a later entry replaces a symlink instead of following it. Where the
// symlink's target does not exist inside the root, the entry is refused
// (pathrs-lite does not make directories through a dangling symlink); where
// it does, the file lands there.
func TestUnpackContainsSymlinks(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name string
		ents func(s sandbox) []ent
		want func(s sandbox) string // where the file "pwn" lands inside the root, or "" if refused
	}{
		{"relative symlink then file",
			func(sandbox) []ent { return []ent{tarSymlink("l", "../../outside"), tarFile("l/pwn", "x")} },
			func(sandbox) string { return "" }},
		{"relative symlink to an in-root dir then file",
			func(sandbox) []ent {
				return []ent{tarDir("outside/", 0o755), tarSymlink("l", "../../outside"), tarFile("l/pwn", "x")}
			},
			func(sandbox) string { return "outside/pwn" }},
		{"absolute symlink then file",
			func(s sandbox) []ent { return []ent{tarSymlink("l", s.outside), tarFile("l/pwn", "x")} },
			func(sandbox) string { return "" }},
		{"absolute symlink to an in-root dir then file",
			func(s sandbox) []ent {
				return []ent{tarDir(s.outside[1:]+"/", 0o755), tarSymlink("l", s.outside), tarFile("l/pwn", "x")}
			},
			func(s sandbox) string { return s.outside + "/pwn" }},
		{"symlink to / then dir then file",
			func(sandbox) []ent { return []ent{tarSymlink("a", "/"), tarDir("a/", 0o755), tarFile("a/pwn", "x")} },
			func(sandbox) string { return "a/pwn" }},
		{"symlink to / then file",
			func(sandbox) []ent { return []ent{tarSymlink("a", "/"), tarFile("a/pwn", "x")} },
			func(sandbox) string { return "pwn" }},
		{"dir replaced by symlink then file",
			func(s sandbox) []ent {
				return []ent{tarDir("d/", 0o755), tarFile("d/f", "x"), tarSymlink("d", s.outside), tarFile("d/pwn", "x")}
			},
			func(sandbox) string { return "" }},
		{"dir replaced by symlink to an in-root dir then file",
			func(sandbox) []ent {
				return []ent{tarDir("d/", 0o755), tarDir("x/", 0o755), tarSymlink("d", "/../x"), tarFile("d/pwn", "x")}
			},
			func(sandbox) string { return "x/pwn" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			_, err := s.unpack(t, makeTar(t, tc.ents(s)...), Limits{})
			want := tc.want(s)
			if want == "" {
				if err == nil || !strings.Contains(err.Error(), "make parent directory of tar entry") {
					t.Fatalf("Unpack error = %v, want a refusal to make the parent", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			if st := lstat(t, filepath.Join(s.root, want)); st.Mode&unix.S_IFMT != unix.S_IFREG {
				t.Errorf("pwn is not a regular file inside the root: mode %o", st.Mode)
			}
		})
	}
}

// B10 c: a hard link to an in-root symlink that points out links the
// symlink itself, so opening the link cannot reach what the symlink names.
func TestUnpackHardlinkToSymlink(t *testing.T) {
	requireRoot(t)
	s := newSandbox(t)
	if _, err := s.unpack(t, makeTar(t, tarSymlink("s", s.marker), tarHardlink("h", "s")), Limits{}); err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	sym, link := lstat(t, filepath.Join(s.root, "s")), lstat(t, filepath.Join(s.root, "h"))
	if link.Mode&unix.S_IFMT != unix.S_IFLNK || link.Ino != sym.Ino || link.Nlink != 2 {
		t.Errorf("h: mode %o inode %d links %d, want the symlink's inode %d with 2 links", link.Mode, link.Ino, link.Nlink, sym.Ino)
	}
}

// B10 e: device nodes are skipped and listed; FIFOs are made.
func TestUnpackDevices(t *testing.T) {
	requireRoot(t)
	s := newSandbox(t)
	res, err := s.unpack(t, makeTar(t,
		tarDevice(tar.TypeChar, "dev/mem", 1, 1),
		tarDevice(tar.TypeBlock, "./dev/sda", 8, 0),
		tarDevice(tar.TypeFifo, "run/fifo", 0, 0),
	), Limits{})
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	if want := []string{"dev/mem", "dev/sda"}; !slices.Equal(res.Skipped, want) {
		t.Errorf("Skipped = %q, want %q", res.Skipped, want)
	}
	for _, name := range []string{"dev/mem", "dev/sda"} {
		if _, err := os.Lstat(filepath.Join(s.root, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was made: %v", name, err)
		}
	}
	if st := lstat(t, filepath.Join(s.root, "run/fifo")); st.Mode != unix.S_IFIFO|0o600 {
		t.Errorf("run/fifo: mode %o, want a FIFO 0600", st.Mode)
	}
}

// B10 f, g: setuid survives the chown, owners are numeric, and a symlink's
// owner is the link's, never its target's.
func TestUnpackOwnership(t *testing.T) {
	requireRoot(t)
	s := newSandbox(t)
	su := tarFile("bin/su", "#!/bin/sh\n")
	su.Mode, su.Uid, su.Gid = 0o4755, 1000, 1000
	link := tarSymlink("shadow", s.marker)
	link.Uid, link.Gid = 1000, 1000
	if _, err := s.unpack(t, makeTar(t, su, link), Limits{}); err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	if st := lstat(t, filepath.Join(s.root, "bin/su")); st.Mode != unix.S_IFREG|0o4755 || st.Uid != 1000 || st.Gid != 1000 {
		t.Errorf("bin/su: mode %o owner %d:%d, want 104755 1000:1000", st.Mode, st.Uid, st.Gid)
	}
	if st := lstat(t, filepath.Join(s.root, "shadow")); st.Uid != 1000 || st.Gid != 1000 {
		t.Errorf("symlink shadow: owner %d:%d, want 1000:1000", st.Uid, st.Gid)
	}
}

// B10 h: bombs stop with a clear error under small limits, while streaming.
func TestUnpackLimits(t *testing.T) {
	requireRoot(t)
	small := Limits{MaxBytes: 16 << 20, MaxEntries: 10_000}
	zeros := tarFile("zeros", strings.Repeat("\x00", 64<<20))
	bomb := gzipped(t, makeTar(t, zeros))
	if len(bomb) > 1<<20 {
		t.Fatalf("the bomb is %d bytes, not a bomb", len(bomb))
	}
	many := make([]ent, 10_001)
	for i := range many {
		many[i] = tarFile(fmt.Sprintf("f%d", i), "")
	}
	tests := []struct {
		name    string
		stream  []byte
		wantErr string
	}{
		{"gzip of 64 MiB zeros", bomb, `tar stream exceeds the limit of 16777216 bytes of file data at entry "zeros"`},
		{"sizes add up", makeTar(t, tarFile("a", strings.Repeat("a", 10<<20)), tarFile("b", strings.Repeat("b", 10<<20))),
			`exceeds the limit of 16777216 bytes of file data at entry "b"`},
		{"too many entries", makeTar(t, many...), "tar stream exceeds the limit of 10000 entries"},
		{"not a tarball", []byte(strings.Repeat("not a tar ", 100)), "kobako reads plain or gzip-compressed tarballs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			res, err := s.unpack(t, tc.stream, small)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Unpack error = %v, want one containing %q", err, tc.wantErr)
			}
			if res.Bytes > small.MaxBytes {
				t.Errorf("wrote %d bytes, past the limit", res.Bytes)
			}
		})
	}
}

// The layer's name: sha256 of the uncompressed stream, padding and all,
// the same for the plain and the gzipped tarball; an empty layer is fine.
func TestUnpackDiffID(t *testing.T) {
	requireRoot(t)
	plain := makeTar(t, tarFile("a", "a"), tarDir("d/", 0o755))
	padded := append(slices.Clone(plain), make([]byte, 10240)...) // docker's tarballs end in more zeros
	for _, tc := range []struct {
		name   string
		stream []byte
		hashed []byte
	}{
		{"plain", plain, plain},
		{"gzip", gzipped(t, plain), plain},
		{"padded", padded, padded},
		{"empty layer", makeTar(t), makeTar(t)},
		{"no bytes at all", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSandbox(t)
			res, err := s.unpack(t, tc.stream, Limits{})
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			want := fmt.Sprintf("sha256:%x", sha256.Sum256(tc.hashed))
			if res.DiffID != want {
				t.Errorf("DiffID = %s, want %s", res.DiffID, want)
			}
		})
	}
}

// B10 h: deep trees are fine as long as the names fit.
func TestUnpackDeepTree(t *testing.T) {
	requireRoot(t)
	s := newSandbox(t)
	deep := strings.Repeat("d/", 1000)
	if _, err := s.unpack(t, makeTar(t, tarFile(deep+"f", "deep")), Limits{}); err != nil {
		t.Fatalf("Unpack: %v", err)
	}
}

// B10 j: what real images need. A 0000 directory still takes its files,
// a later duplicate wins, types can change, and mtime, xattrs and hard
// links survive.
func TestUnpackReliability(t *testing.T) {
	requireRoot(t)
	s := newSandbox(t)
	withXattr := tarFile("xattr", "x")
	withXattr.PAXRecords = map[string]string{"SCHILY.xattr.user.kobako": "small box"}
	stream := makeTar(t,
		tarDir("locked/", 0o000), tarFile("locked/inner", "in"),
		tarFile("dup", "one"), tarFile("dup", "two"),
		tarFile("was-file", "f"), tarDir("was-file/", 0o750), tarFile("was-file/in", "x"),
		tarDir("was-dir/", 0o755), tarFile("was-dir/in", "x"), tarSymlink("was-dir/l", "/"), tarFile("was-dir", "now a file"),
		tarSymlink("was-link", "/"), tarDir("was-link/", 0o711),
		tarFile("a", "linked"), tarHardlink("b", "a"),
		withXattr,
	)
	if _, err := s.unpack(t, stream, Limits{}); err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	checkTree(t, s.root, []ent{
		tarDir("locked", 0o000), tarFile("locked/inner", "in"),
		tarFile("dup", "two"),
		tarDir("was-file", 0o750), tarFile("was-file/in", "x"),
		tarFile("was-dir", "now a file"),
		tarDir("was-link", 0o711),
	})
	if a, b := lstat(t, filepath.Join(s.root, "a")), lstat(t, filepath.Join(s.root, "b")); a.Ino != b.Ino || a.Nlink != 2 {
		t.Errorf("a and b: inodes %d and %d, %d links; want one inode with 2 links", a.Ino, b.Ino, a.Nlink)
	}
	value := make([]byte, 64)
	n, err := unix.Getxattr(filepath.Join(s.root, "xattr"), "user.kobako", value)
	switch {
	case errors.Is(err, unix.ENOTSUP):
		t.Log("the test filesystem has no user xattrs: not checked")
	case err != nil || string(value[:n]) != "small box":
		t.Errorf("xattr user.kobako = %q, %v; want \"small box\"", value[:n], err)
	}
}

// A busybox-like tree, as docker export writes it, plain and gzipped, comes
// out exactly as described: types, modes, owners, contents, link targets
// and modification times.
func TestUnpackBusyboxTree(t *testing.T) {
	requireRoot(t)
	tree := []ent{
		tarDir("./", 0o755),
		tarDir("bin/", 0o755),
		tarFile("bin/busybox", "\x7fELF not really"),
		tarSymlink("bin/sh", "busybox"),
		tarSymlink("bin/ls", "/bin/busybox"),
		tarDir("etc/", 0o755),
		tarFile("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
		tarDir("home/", 0o755),
		tarDir("home/user/", 0o700),
		tarFile("home/user/.profile", "PS1='$ '\n"),
		tarDir("root/", 0o700),
		tarDir("tmp/", 0o1777),
		tarDir("usr/", 0o755),
		tarDir("usr/bin/", 0o755),
		tarSymlink("usr/bin/awk", "/bin/busybox"),
		tarDevice(tar.TypeFifo, "tmp/fifo", 0, 0),
	}
	tree[2].Mode = 0o755
	tree[8].Uid, tree[8].Gid = 1000, 1000
	tree[9].Uid, tree[9].Gid = 1000, 1000
	plain := makeTar(t, tree...)
	for name, stream := range map[string][]byte{"plain": plain, "gzip": gzipped(t, plain)} {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t)
			res, err := s.unpack(t, stream, Limits{})
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			if res.Entries != len(tree) || len(res.Skipped) != 0 || res.Bytes != int64(len(tree[2].body)+len(tree[6].body)+len(tree[9].body)) {
				t.Errorf("result %+v", res)
			}
			tree[0].Name = "."
			checkTree(t, s.root, tree)
		})
	}
}

// checkTree compares what is under root with the entries that describe it.
func checkTree(t *testing.T, root string, ents []ent) {
	t.Helper()
	kinds := map[byte]uint32{tar.TypeReg: unix.S_IFREG, tar.TypeDir: unix.S_IFDIR, tar.TypeSymlink: unix.S_IFLNK, tar.TypeFifo: unix.S_IFIFO}
	for _, e := range ents {
		path := filepath.Join(root, e.Name)
		st := lstat(t, path)
		want := kinds[e.Typeflag] | uint32(e.Mode)
		if e.Typeflag == tar.TypeSymlink {
			want = unix.S_IFLNK | 0o777
		}
		if st.Mode != want || int(st.Uid) != e.Uid || int(st.Gid) != e.Gid {
			t.Errorf("%s: mode %o owner %d:%d, want %o %d:%d", e.Name, st.Mode, st.Uid, st.Gid, want, e.Uid, e.Gid)
		}
		if got := time.Unix(st.Mtim.Unix()); !got.Equal(e.ModTime) {
			t.Errorf("%s: mtime %v, want %v", e.Name, got, e.ModTime)
		}
		switch e.Typeflag {
		case tar.TypeReg:
			if body, err := os.ReadFile(path); err != nil || string(body) != e.body {
				t.Errorf("%s: content %q, %v; want %q", e.Name, body, err, e.body)
			}
		case tar.TypeSymlink:
			if target, err := os.Readlink(path); err != nil || target != e.Linkname {
				t.Errorf("%s: target %q, %v; want %q", e.Name, target, err, e.Linkname)
			}
		}
	}
}

// noOpenat2Env marks the child process of TestUnpackWithoutOpenat2.
const noOpenat2Env = "KOBAKO_TEST_NO_OPENAT2"

// B0: pathrs-lite resolves names with openat2(RESOLVE_IN_ROOT) on kernels
// that have it (5.6 and later) and with its own O_PATH walk elsewhere
// (Ubuntu 18.04 and 20.04). The hostile cases run again in a child process
// where a seccomp filter makes openat2 fail with ENOSYS, so both resolvers
// are tested on any kernel. (crun does the same with tests/no_openat2.c.)
func TestUnpackWithoutOpenat2(t *testing.T) {
	requireRoot(t)
	if os.Getenv(noOpenat2Env) == "" {
		child := exec.Command(os.Args[0], "-test.run=^TestUnpackWithoutOpenat2$", "-test.v")
		child.Env = append(os.Environ(), noOpenat2Env+"=1")
		out, err := child.CombinedOutput()
		if err != nil {
			t.Fatalf("tests without openat2: %v\n%s", err, out)
		}
		return
	}
	denyOpenat2(t)
	t.Run("Refuses", TestUnpackRefuses)
	t.Run("ContainsSymlinks", TestUnpackContainsSymlinks)
	t.Run("HardlinkToSymlink", TestUnpackHardlinkToSymlink)
	t.Run("Ownership", TestUnpackOwnership)
	t.Run("Reliability", TestUnpackReliability)
	t.Run("BusyboxTree", TestUnpackBusyboxTree)
}

// denyOpenat2 installs, on every thread of this process, a seccomp filter
// that makes openat2 return ENOSYS, as on a kernel older than 5.6.
func denyOpenat2(t *testing.T) {
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // A = seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_OPENAT2, Jt: 0, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	// TSYNC: the Go runtime's other threads must get the filter too
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC,
		uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		t.Fatalf("seccomp(SECCOMP_SET_MODE_FILTER): %v", errno)
	}
	_, err := unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{Flags: unix.O_PATH})
	if !errors.Is(err, unix.ENOSYS) {
		t.Fatalf("openat2 after the filter: %v, want ENOSYS", err)
	}
}
