package image

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/testenv"
)

func TestWhiteoutOf(t *testing.T) {
	for _, tc := range []struct {
		name           string
		target         string
		opaque, marker bool
		fails          bool
	}{
		{name: "file"},
		{name: ".whatever"},
		{name: ".wh.f", target: "f", marker: true},
		{name: ".wh..hidden", target: ".hidden", marker: true},
		{name: ".wh..wh..opq", opaque: true, marker: true},
		{name: ".wh..wh.plnk", marker: true},
		{name: ".wh...", marker: true, fails: true}, // would white out ".."
		{name: ".wh..", marker: true, fails: true},
		{name: ".wh.", marker: true, fails: true},
	} {
		target, opaque, marker, err := whiteoutOf(tc.name)
		if target != tc.target || opaque != tc.opaque || marker != tc.marker || (err != nil) != tc.fails {
			t.Errorf("whiteoutOf(%q) = %q, %v, %v, %v; want %q, %v, %v, fails %v",
				tc.name, target, opaque, marker, err, tc.target, tc.opaque, tc.marker, tc.fails)
		}
	}
}

func TestConvertWhiteouts(t *testing.T) {
	testenv.RequireRoot(t, "mknod c 0 0 and trusted.* xattrs need it")
	layer := t.TempDir()
	for _, f := range []string{"a/.wh.f", "a/f", "b/.wh..wh..opq", "b/new"} {
		path := filepath.Join(layer, f)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := convertWhiteouts(layer); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(layer, "a/f"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("a/f is not a whiteout (char 0,0): mode %o rdev %d, %v", st.Mode, st.Rdev, err)
	}
	buf := make([]byte, 8)
	if n, err := unix.Lgetxattr(filepath.Join(layer, "b"), opaqueXattr, buf); err != nil || string(buf[:n]) != "y" {
		t.Errorf("b: %s = %q, %v; want y", opaqueXattr, buf[:n], err)
	}
	for _, gone := range []string{"a/.wh.f", "b/.wh..wh..opq"} {
		if _, err := os.Lstat(filepath.Join(layer, gone)); err == nil {
			t.Errorf("marker %s is still there", gone)
		}
	}
	if _, err := os.Lstat(filepath.Join(layer, "b/new")); err != nil {
		t.Errorf("b/new: %v", err)
	}

	climbing := t.TempDir()
	if err := os.WriteFile(filepath.Join(climbing, ".wh..."), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := convertWhiteouts(climbing); err == nil {
		t.Error("a whiteout of .. was accepted")
	}
}
