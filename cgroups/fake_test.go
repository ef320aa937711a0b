package cgroups

// Unit tests on a fake cgroup tree in a temporary directory: they check
// which file gets which value. They do not replace the end-to-end tests on
// real hierarchies (tests/cgroups_test.go, and the v2 guest), which check
// that the kernel takes them.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fakeTree makes dirs with empty files, like a cgroup file system would
// show them ("dir/file" entries; a value after "=" pre-fills the file).
func fakeTree(t *testing.T, entries ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, e := range entries {
		name, value, _ := strings.Cut(e, "=")
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func expectFiles(t *testing.T, root string, want map[string]string) {
	t.Helper()
	for name, value := range want {
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got) != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
}

var articleResources = func() *specs.LinuxResources {
	limit, swap, quota, period, pids := int64(10000000), int64(10000000), int64(300000), uint64(1000000), int64(20)
	shares := uint64(1024)
	return &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit, Swap: &swap},
		CPU:    &specs.LinuxCPU{Quota: &quota, Period: &period, Shares: &shares},
		Pids:   &specs.LinuxPids{Limit: &pids},
	}
}

func TestV2ApplyAndSet(t *testing.T) {
	leaf := "kobako/c1/"
	root := fakeTree(t, "cgroup.controllers=cpu cpuset memory pids", "cgroup.subtree_control=memory",
		"kobako/cgroup.controllers=cpu cpuset memory pids", "kobako/cgroup.subtree_control",
		leaf+"cgroup.procs", leaf+"memory.max", leaf+"memory.swap.max", leaf+"cpu.max", leaf+"cpu.weight", leaf+"pids.max")
	m := &v2{root: root, path: "/kobako/c1"}
	if err := m.Apply(42); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(articleResources()); err != nil {
		t.Fatal(err)
	}
	expectFiles(t, root, map[string]string{
		// Only what was not enabled yet is written.
		"cgroup.subtree_control":        "+cpu +cpuset +pids",
		"kobako/cgroup.subtree_control": "+cpu +cpuset +memory +pids",
		leaf + "cgroup.procs":           "42",
		leaf + "memory.max":             "10000000",
		leaf + "memory.swap.max":        "0",
		leaf + "cpu.max":                "300000 1000000",
		leaf + "cpu.weight":             "100",
		leaf + "pids.max":               "20",
	})
}

func TestV1ApplyAndSet(t *testing.T) {
	root := fakeTree(t,
		"memory/kobako/c1/cgroup.procs", "memory/kobako/c1/memory.limit_in_bytes", "memory/kobako/c1/memory.memsw.limit_in_bytes",
		"cpu/kobako/c1/cgroup.procs", "cpu/kobako/c1/cpu.cfs_quota_us", "cpu/kobako/c1/cpu.cfs_period_us", "cpu/kobako/c1/cpu.shares",
		"pids/kobako/c1/cgroup.procs", "pids/kobako/c1/pids.max",
		"cpuset/cpuset.cpus=0-1", "cpuset/cpuset.mems=0", "cpuset/kobako/cpuset.cpus", "cpuset/kobako/cpuset.mems",
		"cpuset/kobako/c1/cgroup.procs", "cpuset/kobako/c1/cpuset.cpus", "cpuset/kobako/c1/cpuset.mems")
	layout := &Layout{Mode: V1, V1: map[string]string{}}
	for _, c := range []string{"memory", "cpu", "pids", "cpuset"} {
		layout.V1[c] = filepath.Join(root, c)
	}
	m := &v1{layout: layout, path: "/kobako/c1"}
	if err := m.Apply(42); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(articleResources()); err != nil {
		t.Fatal(err)
	}
	expectFiles(t, root, map[string]string{
		"memory/kobako/c1/cgroup.procs":                "42",
		"memory/kobako/c1/memory.limit_in_bytes":       "10000000",
		"memory/kobako/c1/memory.memsw.limit_in_bytes": "10000000",
		"cpu/kobako/c1/cpu.cfs_quota_us":               "300000",
		"cpu/kobako/c1/cpu.cfs_period_us":              "1000000",
		"cpu/kobako/c1/cpu.shares":                     "1024",
		"pids/kobako/c1/pids.max":                      "20",
		// A new v1 cpuset has no CPUs: they are copied down from the root.
		"cpuset/kobako/cpuset.cpus":    "0-1",
		"cpuset/kobako/c1/cpuset.mems": "0",
	})
}

func TestRejects(t *testing.T) {
	if _, err := New(&Layout{Mode: V2, V2: "/sys/fs/cgroup"}, "/kobako/../../etc", nil); err == nil {
		t.Error("a path with .. must be refused")
	}
	m := &v2{root: t.TempDir(), path: "/kobako/c1"}
	err := m.Set(&specs.LinuxResources{Unified: map[string]string{"../x": "1"}})
	if err == nil || !strings.Contains(err.Error(), "unified") {
		t.Errorf("unified: got %v, want an error naming it", err)
	}
}
