package fileutil

import (
	"os"
	"path/filepath"
	"testing"
)

// DiskUsage counts a hard-linked file once, a symlink as a link (not its
// target), and a missing tree as 0.
func TestDiskUsage(t *testing.T) {
	dir := t.TempDir()
	empty, err := DiskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i) // not zeros: no file system may keep it sparse
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "f"), filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	got, err := DiskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if grown := got - empty; grown < 1<<20 || grown >= 2<<20 {
		t.Errorf("1 MiB file, a hard link to it and a symlink out grew the tree by %d bytes, want 1 MiB and a little", grown)
	}
	if n, err := DiskUsage(filepath.Join(dir, "missing")); n != 0 || err != nil {
		t.Errorf("DiskUsage of a missing tree = %d, %v; want 0, nil", n, err)
	}
}
