package cgroups

// cgroup v2 (Ubuntu 22.04 and later): one tree, every controller's files
// in the same directory. The article's lesson, redone for v2:
//
//	echo +cpu +memory +pids > /sys/fs/cgroup/cgroup.subtree_control
//	mkdir /sys/fs/cgroup/kobako
//	echo +cpu +memory +pids > /sys/fs/cgroup/kobako/cgroup.subtree_control
//	mkdir /sys/fs/cgroup/kobako/$ID
//	echo 10000000 > /sys/fs/cgroup/kobako/$ID/memory.max
//	echo "300000 1000000" > /sys/fs/cgroup/kobako/$ID/cpu.max
//	echo $PID > /sys/fs/cgroup/kobako/$ID/cgroup.procs
//
// A controller's files appear in a cgroup only when its parent lists the
// controller in cgroup.subtree_control, and a cgroup with controllers
// enabled for its children may hold no processes itself ("no internal
// processes"): the container goes into a leaf. See
// Documentation/admin-guide/cgroup-v2.rst.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

type v2 struct {
	root string // /sys/fs/cgroup
	path string // /kobako/<id>
	tr   *trace.Tracer
}

// wantedControllers are the controllers a container's limits use.
var wantedControllers = []string{"cpu", "cpuset", "io", "memory", "pids"}

func (m *v2) dir() string { return m.root + m.path }

// Apply makes the cgroup and every missing one above it, enables the
// controllers level by level down to its parent, and moves pid in.
func (m *v2) Apply(pid int) error {
	// Each level's parent enables the controllers for it: the root for
	// the top one, and so on down; the leaf enables none ("no internal
	// processes": it holds the container).
	if err := makePath(m.tr, m.root, m.path, m.enableControllersIfOurs); err != nil {
		return err
	}
	// echo $PID > cgroup.procs
	return writeFile(m.tr, m.dir(), "cgroup.procs", strconv.Itoa(pid))
}

// enableControllersIfOurs enables the controllers in parent, for dir and
// its siblings, where kobako may write: above a user's delegated subtree
// (delegate.go) it may not, and those cgroups enable what they delegate.
// (makePath's step: dir itself is the next level's parent.)
func (m *v2) enableControllersIfOurs(parent, dir string) error {
	// test -w $PARENT/cgroup.subtree_control || skip
	if unix.Access(parent+"/cgroup.subtree_control", unix.W_OK) != nil {
		return nil
	}
	return m.enableControllers(parent)
}

// enableControllers writes "+cpu +memory …" into dir's subtree_control for
// the wanted controllers that dir has and has not enabled yet.
func (m *v2) enableControllers(dir string) error {
	available, err := readFile(dir, "cgroup.controllers")
	if err != nil {
		return err
	}
	enabled, err := readFile(dir, "cgroup.subtree_control")
	if err != nil {
		return err
	}
	var add []string
	for _, c := range wantedControllers {
		if hasField(available, c) && !hasField(enabled, c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	// echo +cpu +memory +pids > $DIR/cgroup.subtree_control
	return writeFile(m.tr, dir, "cgroup.subtree_control", strings.Join(add, " "))
}

func hasField(list, word string) bool {
	for _, f := range strings.Fields(list) {
		if f == word {
			return true
		}
	}
	return false
}

// Set writes the limits (v2_memory.go, v2_cpu.go), attaches the program
// that says which devices the container may use (v2_devices.go), and
// last writes the files named in unified (v2_unified.go).
func (m *v2) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := unsupportedResources(r); err != nil {
		return err
	}
	if err := errors.Join(m.setMemory(r.Memory), m.setCPU(r.CPU), m.setPids(r.Pids), m.setDevices(r.Devices)); err != nil {
		return err
	}
	return m.setUnified(r.Unified)
}

func (m *v2) setPids(p *specs.LinuxPids) error {
	if p == nil || p.Limit == nil {
		return nil
	}
	// echo $LIMIT > pids.max
	return writeFile(m.tr, m.dir(), "pids.max", pidsValue(*p.Limit))
}

// Destroy removes the leaf, then kobako's own parent (/kobako, or a
// user's <delegated>/kobako) if it is empty; an engine's parents stay.
func (m *v2) Destroy() error {
	if err := rmdir(m.tr, m.dir()); err != nil {
		return err
	}
	removeOwnParent(m.tr, m.root, m.path)
	return nil
}

// Enter returns a handle of the cgroup's directory: passed to clone3 with
// CLONE_INTO_CGROUP (Go: SysProcAttr.UseCgroupFD), the child is born in
// the cgroup. v2 keeps a process's threads in one cgroup, so the v1 trick
// of moving one thread is not available here.
func (m *v2) Enter() (int, error) {
	fd, err := unix.Open(m.dir(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	m.tr.Step("open the cgroup for clone3", "(clone3 CLONE_INTO_CGROUP)", fmt.Sprintf("unix.Open(%q, O_PATH|O_DIRECTORY)", m.dir()), err)
	if err != nil {
		return -1, fmt.Errorf("open cgroup %s: %w", m.dir(), err)
	}
	return fd, nil
}
