package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestLevels(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"/kobako", []string{"/kobako"}},
		{"/default/c1", []string{"/default", "/default/c1"}},
		{"/a/b/c/d", []string{"/a", "/a/b", "/a/b/c", "/a/b/c/d"}},
	} {
		if got := levels(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("levels(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestContainerParent(t *testing.T) {
	v1 := &Layout{Mode: V1, V1: map[string]string{"memory": "/sys/fs/cgroup/memory"}}
	if got, err := ContainerParent(v1, 0); err != nil || got != Parent {
		t.Errorf("root: %q, %v; want %q", got, err, Parent)
	}
	if _, err := ContainerParent(v1, 1000); !errors.Is(err, ErrNotDelegated) {
		t.Errorf("a user on v1: %v, want ErrNotDelegated", err)
	}
}

// An engine's nested path on v1: every level is made in every hierarchy,
// the CPUs and memory nodes copied down one level at a time (a cpuset
// cannot have CPUs its parent has not); Destroy removes only the leaf.
func TestV1NestedPath(t *testing.T) {
	// A real cgroup shows its files as soon as it is made; a fake mkdir
	// cannot, so the levels and their empty files are there beforehand.
	root := fakeTree(t, "cpuset/cpuset.cpus=0-3", "cpuset/cpuset.mems=0",
		"cpuset/libpod_parent/cpuset.cpus", "cpuset/libpod_parent/cpuset.mems",
		"cpuset/libpod_parent/libpod-c1/cpuset.cpus", "cpuset/libpod_parent/libpod-c1/cpuset.mems",
		"cpuset/libpod_parent/libpod-c1/cgroup.procs", "memory/libpod_parent/libpod-c1/cgroup.procs")
	layout := &Layout{Mode: V1, V1: map[string]string{
		"cpuset": filepath.Join(root, "cpuset"), "memory": filepath.Join(root, "memory"),
	}}
	m := &v1{layout: layout, path: "/libpod_parent/libpod-c1"}
	if err := m.Apply(42); err != nil {
		t.Fatal(err)
	}
	expectFiles(t, root, map[string]string{
		"cpuset/libpod_parent/cpuset.cpus":            "0-3",
		"cpuset/libpod_parent/cpuset.mems":            "0",
		"cpuset/libpod_parent/libpod-c1/cpuset.cpus":  "0-3",
		"cpuset/libpod_parent/libpod-c1/cgroup.procs": "42",
		"memory/libpod_parent/libpod-c1/cgroup.procs": "42",
	})
}

// On v2 each level's parent enables the controllers for it, and the leaf
// none.
func TestV2NestedPath(t *testing.T) {
	const all = "cpu cpuset io memory pids"
	root := fakeTree(t, "cgroup.controllers="+all, "cgroup.subtree_control=cpu cpuset io memory pids",
		"default/cgroup.controllers="+all, "default/cgroup.subtree_control=memory",
		"default/c1/cgroup.controllers="+all, "default/c1/cgroup.subtree_control", "default/c1/cgroup.procs")
	m := &v2{root: root, path: "/default/c1"}
	if err := m.Apply(42); err != nil {
		t.Fatal(err)
	}
	expectFiles(t, root, map[string]string{
		"cgroup.subtree_control":            "cpu cpuset io memory pids", // all there: not written
		"default/cgroup.subtree_control":    "+cpu +cpuset +io +pids",
		"default/c1/cgroup.subtree_control": "",
		"default/c1/cgroup.procs":           "42",
	})
}

// Destroy removes the leaf and kobako's own parent when empty, never an
// engine's parent.
func TestDestroyLeavesEngineParents(t *testing.T) {
	for _, tc := range []struct {
		path, parent string
		parentGone   bool
	}{
		{"/kobako/c1", "kobako", true},
		{"/user.slice/user@1000.service/kobako/c1", "user.slice/user@1000.service/kobako", true},
		{"/docker/c1", "docker", false},
		{"/libpod_parent/libpod-c1", "libpod_parent", false},
		{"/a/b/c/d", "a/b/c", false},
	} {
		root := t.TempDir()
		if err := os.MkdirAll(root+tc.path, 0o755); err != nil {
			t.Fatal(err)
		}
		m := &v2{root: root, path: tc.path}
		if err := m.Destroy(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(root + tc.path); !os.IsNotExist(err) {
			t.Errorf("%s: the leaf is still there (%v)", tc.path, err)
		}
		_, err := os.Stat(filepath.Join(root, tc.parent))
		if gone := os.IsNotExist(err); gone != tc.parentGone {
			t.Errorf("%s: parent %s gone = %v, want %v", tc.path, tc.parent, gone, tc.parentGone)
		}
	}
}
