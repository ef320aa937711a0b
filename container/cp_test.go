package container

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		in               string
		clean            string
		follow, contents bool
	}{
		{"/etc/passwd", "/etc/passwd", false, false},
		{"etc/passwd", "/etc/passwd", false, false},
		{"/etc/", "/etc", true, false},
		{"/etc/.", "/etc", true, true},
		{".", "/", true, true},
		{"/", "/", true, true},
		{"/../../etc", "/etc", false, false},
		{"/a/../b/", "/b", true, false},
	} {
		r := parseRef(tc.in)
		if r.clean != tc.clean || r.follow != tc.follow || r.contents != tc.contents {
			t.Errorf("parseRef(%q) = %+v, want {%s %v %v}", tc.in, r, tc.clean, tc.follow, tc.contents)
		}
	}
}

// copyIn copies src (in srcRoot) to dst (in dstRoot), each resolved inside
// its own root, as cp does between a host and a container.
func copyIn(t *testing.T, srcRoot, src, dstRoot, dst string) error {
	t.Helper()
	open := func(dir string) *os.File {
		f, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	_, err := copyTree(end{root: open(srcRoot), path: src}, end{root: open(dstRoot), path: dst, where: "container c"}, nil)
	return err
}

func write(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A source tree: a file, an executable below a directory, a symlink.
func sourceTree(t *testing.T) string {
	src := t.TempDir()
	write(t, filepath.Join(src, "f"), "file", 0o640)
	write(t, filepath.Join(src, "d", "x"), "exe", 0o755)
	if err := os.Symlink("x", filepath.Join(src, "d", "l")); err != nil {
		t.Fatal(err)
	}
	return src
}

// docker cp's rules for where a copy lands.
func TestCopyRules(t *testing.T) {
	for _, tc := range []struct {
		name, src, dst string
		want           map[string]string // path in dst root → content, or "->target"
		err            string
	}{
		{"file to missing name", "/f", "/new", map[string]string{"new": "file"}, ""},
		{"file into dir", "/f", "/dir", map[string]string{"dir/f": "file"}, ""},
		{"file over file", "/f", "/old", map[string]string{"old": "file"}, ""},
		{"dir to missing name", "/d", "/new", map[string]string{"new/x": "exe", "new/l": "->x"}, ""},
		{"dir into dir", "/d/", "/dir", map[string]string{"dir/d/x": "exe", "dir/d/l": "->x"}, ""},
		{"contents into dir", "/d/.", "/dir", map[string]string{"dir/x": "exe", "dir/l": "->x", "dir/keep": "kept"}, ""},
		{"symlink as symlink", "/d/l", "/dir", map[string]string{"dir/l": "->x"}, ""},
		{"dir onto file", "/d", "/old", nil, "cannot copy a directory onto a file in container c: /old"},
		{"file over dir", "/f", "/dir/sub", nil, "cannot overwrite a directory with a non-directory in container c: /dir/sub/f"},
		{"missing dir with slash", "/f", "/nodir/", nil, "no such directory in container c: /nodir/"},
		{"missing parent", "/f", "/nodir/f", nil, "no such directory in container c: /nodir/f"},
		{"missing source", "/nothere", "/dir", nil, "no such file or directory: /nothere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := sourceTree(t), t.TempDir()
			write(t, filepath.Join(dst, "old"), "old", 0o644)
			write(t, filepath.Join(dst, "dir", "keep"), "kept", 0o644)
			write(t, filepath.Join(dst, "dir", "sub", "f", "deep"), "deep", 0o644)
			err := copyIn(t, src, tc.src, dst, tc.dst)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tc.want {
				checkEntry(t, filepath.Join(dst, name), want)
			}
		})
	}
}

func checkEntry(t *testing.T, path, want string) {
	t.Helper()
	if target, ok := strings.CutPrefix(want, "->"); ok {
		if got, err := os.Readlink(path); err != nil || got != target {
			t.Errorf("%s: readlink %q, %v; want a symlink to %s", path, got, err, target)
		}
		return
	}
	if got := read(t, path); got != want {
		t.Errorf("%s = %q, want %q", path, got, want)
	}
}

// Modes and times come along.
func TestCopyKeepsMetadata(t *testing.T) {
	src, dst := sourceTree(t), t.TempDir()
	old := mustStat(t, filepath.Join(src, "d", "x"))
	if err := copyIn(t, src, "/d", dst, "/d"); err != nil {
		t.Fatal(err)
	}
	got := mustStat(t, filepath.Join(dst, "d", "x"))
	if got.Mode != old.Mode || got.Mtim != old.Mtim || got.Uid != old.Uid {
		t.Errorf("copied x: mode %o mtime %v uid %d, want %o %v %d", got.Mode, got.Mtim, got.Uid, old.Mode, old.Mtim, old.Uid)
	}
}

func mustStat(t *testing.T, path string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// A file with two names in the tree keeps them as two names of one inode;
// a device node is refused.
func TestCopyHardLinksAndDevices(t *testing.T) {
	src, dst := sourceTree(t), t.TempDir()
	if err := os.Link(filepath.Join(src, "d", "x"), filepath.Join(src, "d", "y")); err != nil {
		t.Fatal(err)
	}
	if err := copyIn(t, src, "/d", dst, "/d"); err != nil {
		t.Fatal(err)
	}
	x, y := mustStat(t, filepath.Join(dst, "d", "x")), mustStat(t, filepath.Join(dst, "d", "y"))
	if x.Ino != y.Ino || x.Nlink != 2 {
		t.Errorf("x and y: inodes %d and %d, %d links; want one inode with 2", x.Ino, y.Ino, x.Nlink)
	}
	err := copyIn(t, "/", "/dev/null", dst, "/null")
	if err == nil || err.Error() != "cp copies no device nodes or sockets: /dev/null" {
		t.Errorf("cp /dev/null: %v, want a refusal", err)
	}
}

// Symlinks planted in the "container" resolve inside its root, both ways:
// the marker outside is never read, written or replaced.
func TestCopyStaysInRoot(t *testing.T) {
	base := t.TempDir()
	ctr, host, outside := filepath.Join(base, "ctr"), filepath.Join(base, "host"), filepath.Join(base, "outside")
	marker := filepath.Join(outside, "marker")
	write(t, marker, "host only", 0o600)
	write(t, filepath.Join(host, "payload"), "payload", 0o644)
	// Inside the "container", its own /tmp and a directory at the outside's path.
	for _, dir := range []string{"tmp", outside} {
		if err := os.MkdirAll(filepath.Join(ctr, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range map[string]string{
		"abs": marker, "rel": "../../../../../../.." + marker, "d": "/tmp", "x": outside,
	} {
		if err := os.Symlink(target, filepath.Join(ctr, name)); err != nil {
			t.Fatal(err)
		}
	}
	unique := "kobako-cp-unit-" + strconv.Itoa(os.Getpid())
	// Out of the container: the symlinks themselves; through them, nothing.
	for _, name := range []string{"abs", "rel"} {
		if err := copyIn(t, ctr, "/"+name, host, "/out-"+name); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Readlink(filepath.Join(host, "out-"+name)); err != nil {
			t.Errorf("cp ctr:/%s: %v, want the symlink itself", name, err)
		}
		if err := copyIn(t, ctr, "/"+name+"/", host, "/follow-"+name); err == nil {
			t.Errorf("cp ctr:/%s/ followed the link out of the container", name)
		}
	}
	// Into the container: the links are replaced, or resolved inside.
	for _, dst := range []string{"/abs", "/rel", "/d/" + unique, "/x/f"} {
		if err := copyIn(t, host, "/payload", ctr, dst); err != nil {
			t.Errorf("cp payload ctr:%s: %v", dst, err)
		}
	}
	if got := read(t, marker); got != "host only" {
		t.Errorf("marker = %q: written through a symlink", got)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("%s has %d entries, want the marker alone", outside, len(entries))
	}
	if _, err := os.Lstat("/tmp/" + unique); err == nil {
		t.Errorf("/tmp/%s exists on the host", unique)
	}
	for _, name := range []string{"abs", "rel", "tmp/" + unique, filepath.Join(outside, "f")} {
		checkEntry(t, filepath.Join(ctr, name), "payload")
	}
}
