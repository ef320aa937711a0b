package cgroups

// Real cgroups on this host: an engine's nested path, made, used, frozen
// and removed, leaving the engine's parents in place. The test's top
// cgroup has a name of its own and is removed at the end, whatever
// happens.

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/internal/testenv"
)

func TestRealNestedPath(t *testing.T) {
	testenv.RequireRoot(t, "making cgroups needs root")
	layout, err := Detect()
	if err != nil {
		t.Fatal(err)
	}
	top := fmt.Sprintf("/kobako-test-cgroups-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	leaf := top + "/engine/pod/c1"
	t.Cleanup(func() { removeTestTree(t, layout, leaf) })

	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })

	m, err := New(layout, leaf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(sleeper.Process.Pid); err != nil {
		t.Fatal(err)
	}
	// The kernel's word: /proc/PID/cgroup names the leaf.
	own, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", sleeper.Process.Pid))
	if err != nil || !strings.Contains(string(own), ":"+leaf+"\n") {
		t.Fatalf("/proc/PID/cgroup = %q (%v), want %s in it", own, err, leaf)
	}
	if layout.Mode == V1 {
		// The CPUs came down level by level from the root.
		cpus, _ := readFile(layout.V1["cpuset"], "cpuset.cpus")
		if got, err := readFile(layout.V1["cpuset"]+leaf, "cpuset.cpus"); err != nil || got != cpus {
			t.Errorf("the leaf's cpuset.cpus = %q, %v; want the root's %q", got, err, cpus)
		}
	}
	limit := int64(10 << 20)
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}); err != nil {
		t.Fatal(err)
	}
	if pids, err := m.Procs(); err != nil || !slices.Contains(pids, sleeper.Process.Pid) {
		t.Errorf("Procs() = %v, %v, want the sleeper in it", pids, err)
	}
	// Pause and resume work at any depth.
	if err := m.Freeze(true); err != nil {
		t.Fatal(err)
	}
	if frozen, err := m.Frozen(); err != nil || !frozen {
		t.Errorf("Frozen() = %v, %v after Freeze(true)", frozen, err)
	}
	if err := m.Freeze(false); err != nil {
		t.Fatal(err)
	}

	sleeper.Process.Kill()
	sleeper.Wait()
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, root := range testRoots(layout) {
		if _, err := os.Stat(root + leaf); !os.IsNotExist(err) {
			t.Errorf("%s%s: still there after Destroy (%v)", root, leaf, err)
		}
		if _, err := os.Stat(root + top + "/engine/pod"); err != nil {
			t.Errorf("the engine's parent must stay: %v", err)
		}
	}
	// A cgroup that is gone is not frozen: a stopped container is not paused.
	if frozen, err := m.Frozen(); err != nil || frozen {
		t.Errorf("Frozen() of a removed cgroup = %v, %v; want false, nil", frozen, err)
	}
}

// Two kobakos making and removing containers in /kobako at once: one may
// remove the empty /kobako just as the other is making its container in
// it. makePath starts again, and never fails for it.
func TestRealConcurrentParentRemoval(t *testing.T) {
	testenv.RequireRoot(t, "making cgroups needs root")
	layout, err := Detect()
	if err != nil {
		t.Fatal(err)
	}
	root, prepare := layout.V2, (&v2{root: layout.V2}).enableControllersIfOurs
	if layout.Mode == V1 {
		m := &v1{layout: layout}
		root, prepare = layout.V1["cpuset"], m.inheritCpuset
	}
	if root == "" {
		testenv.Missing(t, "the cpuset hierarchy")
	}
	top := fmt.Sprintf("/kobako-test-cgroups-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	t.Cleanup(func() { os.Remove(root + top + Parent); os.Remove(root + top) })
	errs := make(chan error, 2)
	for _, id := range []string{"c1", "c2"} {
		leaf := top + Parent + "/" + id
		go func() {
			for i := 0; i < 100; i++ {
				if err := makePath(nil, root, leaf, prepare); err != nil {
					errs <- err
					return
				}
				if err := rmdir(nil, root+leaf); err != nil {
					errs <- err
					return
				}
				removeOwnParent(nil, root, leaf)
			}
			errs <- nil
		}()
	}
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// testRoots are the directories a path is joined to: v1's hierarchies, or
// v2's tree.
func testRoots(l *Layout) []string {
	if l.Mode == V2 {
		return []string{l.V2}
	}
	var roots []string
	for mnt := range l.Hierarchies() {
		roots = append(roots, mnt)
	}
	return roots
}

// removeTestTree removes every level of p, from the bottom up, in every
// hierarchy: the test's own cgroups only.
func removeTestTree(t *testing.T, l *Layout, p string) {
	lv := levels(p)
	slices.Reverse(lv)
	for _, root := range testRoots(l) {
		for _, level := range lv {
			if err := os.Remove(root + level); err != nil && !os.IsNotExist(err) {
				t.Errorf("clean up: %v", err)
			}
		}
	}
}
