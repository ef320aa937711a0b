package cgroups

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestV1Freeze(t *testing.T) {
	root := fakeTree(t, "freezer/kobako/c1/freezer.state=THAWED", "pids/kobako/c1/cgroup.procs=7\n42\n")
	layout := &Layout{Mode: V1, V1: map[string]string{
		"freezer": filepath.Join(root, "freezer"), "pids": filepath.Join(root, "pids"),
	}}
	m := &v1{layout: layout, path: "/kobako/c1"}
	if err := m.Freeze(true); err != nil {
		t.Fatal(err)
	}
	expectFiles(t, root, map[string]string{"freezer/kobako/c1/freezer.state": "FROZEN"})
	if frozen, err := m.Frozen(); err != nil || !frozen {
		t.Errorf("Frozen() = %v, %v after Freeze(true)", frozen, err)
	}
	if err := m.Freeze(false); err != nil {
		t.Fatal(err)
	}
	expectFiles(t, root, map[string]string{"freezer/kobako/c1/freezer.state": "THAWED"})
	if pids, err := m.Procs(); err != nil || !slices.Equal(pids, []int{7, 42}) {
		t.Errorf("Procs() = %v, %v, want [7 42]", pids, err)
	}
}

func TestV1FreezeWithoutFreezer(t *testing.T) {
	m := &v1{layout: &Layout{Mode: V1, V1: map[string]string{}}, path: "/kobako/c1"}
	err := m.Freeze(true)
	want := "pause needs the freezer controller, which is not mounted on this host"
	if err == nil || err.Error() != want {
		t.Errorf("Freeze without a freezer: %v, want %q", err, want)
	}
}

func TestV2Frozen(t *testing.T) {
	for _, tc := range []struct {
		events string
		want   bool
	}{
		{"populated 1\nfrozen 0\n", false},
		{"populated 1\nfrozen 1\n", true},
	} {
		root := fakeTree(t, "kobako/c1/cgroup.events="+tc.events, "kobako/c1/cgroup.freeze=0")
		m := &v2{root: root, path: "/kobako/c1"}
		if got, err := m.Frozen(); err != nil || got != tc.want {
			t.Errorf("%q: Frozen() = %v, %v, want %v", tc.events, got, err, tc.want)
		}
	}
	// Freezing writes cgroup.freeze and waits for the kernel's word in
	// cgroup.events, which this fake gives at once.
	root := fakeTree(t, "kobako/c1/cgroup.events=frozen 0\n", "kobako/c1/cgroup.freeze=1")
	m := &v2{root: root, path: "/kobako/c1"}
	if err := m.Freeze(false); err != nil {
		t.Fatal(err)
	}
	expectFiles(t, root, map[string]string{"kobako/c1/cgroup.freeze": "0"})
}

func TestParseProcs(t *testing.T) {
	if pids, err := parseProcs("1\n23\n"); err != nil || !slices.Equal(pids, []int{1, 23}) {
		t.Errorf("parseProcs = %v, %v", pids, err)
	}
	if pids, err := parseProcs(""); err != nil || len(pids) != 0 {
		t.Errorf("empty cgroup.procs = %v, %v", pids, err)
	}
	if _, err := parseProcs("1\nx\n"); err == nil {
		t.Error("a line that is no pid must be an error")
	}
}
