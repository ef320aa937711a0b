package cgroups

// cgroup v1, the article's: one hierarchy per controller, and a container's
// cgroup is a directory in each of them.
//
//	mkdir /sys/fs/cgroup/memory/kobako/$ID        (and cpu, pids, cpuset …)
//	echo 10000000 > /sys/fs/cgroup/memory/kobako/$ID/memory.limit_in_bytes
//	echo $PID > /sys/fs/cgroup/memory/kobako/$ID/cgroup.procs
//
// kobako joins every mounted controller hierarchy, as runc does, so that
// accounting tools find the container wherever they look.

import (
	"errors"
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

type v1 struct {
	layout *Layout
	path   string // /kobako/<id>, /docker/<id> …
	tr     *trace.Tracer
}

// dir is the cgroup's directory for one controller ("" if not mounted).
func (m *v1) dir(controller string) string {
	mnt, ok := m.layout.V1[controller]
	if !ok {
		return ""
	}
	return mnt + m.path
}

// Apply makes the cgroup in every hierarchy, with every missing cgroup
// above it, and moves pid in: the article's cgcreate followed by cgexec.
func (m *v1) Apply(pid int) error {
	for mnt, controllers := range m.layout.Hierarchies() {
		var prepare func(parent, dir string) error
		if containsWord(controllers, "cpuset") {
			prepare = m.inheritCpuset
		}
		if err := makePath(m.tr, mnt, m.path, prepare); err != nil {
			return err
		}
		// cgexec -g $CONTROLLERS:$PATH — echo $PID > cgroup.procs
		if err := writeFile(m.tr, mnt+m.path, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return err
		}
	}
	return nil
}

// inheritCpuset copies cpuset.cpus and cpuset.mems from parent to child
// when the child has none: a v1 cpuset cgroup starts empty, and a task
// cannot join a cpuset that has no CPUs (cgroup v1's cpusets.txt). Nor
// can a cgroup get CPUs its parent has not, so a nested path is filled in
// level by level, from the top down (makePath).
func (m *v1) inheritCpuset(from, to string) error {
	for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := readFile(to, file)
		if err != nil {
			return err
		}
		if cur != "" {
			continue
		}
		val, err := readFile(from, file)
		if err != nil {
			return err
		}
		if err := writeFile(m.tr, to, file, val); err != nil {
			return err
		}
	}
	return nil
}

// Set writes the limits, controller by controller (v1_memory.go …), and
// the devices the container may use (v1_devices.go).
func (m *v1) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := unsupportedResources(r); err != nil {
		return err
	}
	if err := checkUnified(V1, r.Unified); err != nil {
		return err
	}
	return errors.Join(m.setMemory(r.Memory), m.setCPU(r.CPU), m.setPids(r.Pids), m.setDevices(r.Devices))
}

// Destroy removes the cgroup from every hierarchy (cgdelete), and /kobako
// where it was the last one there; an engine's parents stay.
func (m *v1) Destroy() error {
	var errs []error
	for mnt := range m.layout.Hierarchies() {
		if err := rmdir(m.tr, mnt+m.path); err != nil {
			errs = append(errs, err)
			continue
		}
		removeOwnParent(m.tr, mnt, m.path)
	}
	return errors.Join(errs...)
}

// need returns the controller's directory, or an error naming the setting
// that needs it.
func (m *v1) need(controller, setting string) (string, error) {
	dir := m.dir(controller)
	if dir == "" {
		return "", fmt.Errorf("%s needs the %s controller, which is not mounted on this host", setting, controller)
	}
	return dir, nil
}

// Enter moves the calling thread into the cgroup in every hierarchy, like
// cgexec moves itself before it execs the command: v1 lets single threads
// change cgroup through the "tasks" file, and a child forked from this
// thread starts where the thread is. The thread must never run anything
// else (the caller keeps it locked and lets it die).
func (m *v1) Enter() (int, error) {
	tid := strconv.Itoa(unix.Gettid())
	for mnt := range m.layout.Hierarchies() {
		// echo $TID > tasks
		if err := writeFile(m.tr, mnt+m.path, "tasks", tid); err != nil {
			return -1, err
		}
	}
	return -1, nil
}
