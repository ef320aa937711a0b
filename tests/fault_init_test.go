package tests

// Injected faults of the cgroup and of the container's init, from the
// test build of kobako (internal/fault): the cgroup's mkdir refused in the
// fifth hierarchy, and the init failing at each step of its setup.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A cgroup mkdir that fails in the fifth hierarchy (on cgroup v2, in the
// one tree) after four were made: they go again, and so does everything
// else the container had.
func faultCgroupMkdir(t *testing.T, faultBin string) {
	e := newEnv(t)
	fe := e.withBinary(faultBin)
	e.mustRun("run", "--rm", "busybox", "true")
	fault := fmt.Sprintf("cgroup-mkdir:%d", min(5, hierarchyCount(hostCgroups(t))))
	want := "injected fault " + fault
	before := e.snapshot()
	for _, args := range [][]string{
		{"run", "--rm", "busybox", "true"},
		{"run", "--name", "s", "busybox", "true"},
		{"run", "-d", "--name", "d", "busybox", "sleep", "1000"},
		{"run", "--rm", "--memory", "10m", "--pids-limit", "100", "busybox", "true"},
	} {
		fe.expectFailure(before, fault, 125, want, args...)
	}
	// start of a container made by create, which runs nothing yet
	e.mustRun("create", "--name", "made", "busybox", "true")
	fe.expectStartFailure(e.snapshot(), fault, want, "made")
	e.mustRun("rm", "made")
	e.expectHost(before, "start of a created container, then rm", "")
}

// hierarchyCount is how many cgroup hierarchies kobako makes a cgroup in:
// one per mount of v1 controllers, or the one v2 tree.
func hierarchyCount(l cgroupLayout) int {
	if l.v2 {
		return 1
	}
	var mounts []string
	for _, mnt := range l.v1 {
		if !slices.Contains(mounts, mnt) {
			mounts = append(mounts, mnt)
		}
	}
	return len(mounts)
}

// initSteps are the init's fault points in the order it takes them, the
// flags a container needs for the step to happen at all, and whether the
// step comes after `start`: then the init has told its parent "ready",
// and its failure is the container's exit status, 125.
var initSteps = []struct {
	step       string
	flags      []string
	afterStart bool
}{
	{"config", nil, false},
	{"cgroupns", nil, false},
	{"mounts", nil, false},
	{"hooks", nil, false},
	{"seal", nil, false},
	{"pivot_root", nil, false},
	{"console", []string{"-t"}, false},
	{"user", []string{"-u", "root"}, false},
	{"capabilities", nil, true},
	{"seccomp", nil, true},
	{"execve", nil, true},
}

// The init failing at each step: run --rm leaves nothing; run without it
// leaves nothing either when the container never started, and, when its
// command could not be started, an exited container (as docker's run
// does) that rm removes completely. start of a created container fails
// the same way, and the container stays as create made it.
func faultInitSteps(t *testing.T, faultBin string) {
	e := newEnv(t)
	fe := e.withBinary(faultBin)
	e.mustRun("run", "--rm", "busybox", "true")
	before := e.snapshot()
	for _, s := range initSteps {
		fault := "init:" + s.step
		want := "injected fault " + fault
		run := func(opts ...string) []string {
			return slices.Concat([]string{"run"}, opts, s.flags, []string{"busybox", "true"})
		}
		fe.expectFailure(before, fault, 125, want, run("--rm")...)
		if !s.afterStart {
			fe.expectFailure(before, fault, 125, want, run("--name", "s")...)
			e.mustRun(slices.Concat([]string{"create", "--name", "made"}, s.flags, []string{"busybox", "true"})...)
			fe.expectStartFailure(e.snapshot(), fault, want, "made")
			e.mustRun("rm", "made")
		} else {
			_, stderr, code := fe.runFaults(fault, run("--name", "s")...)
			if code != 125 {
				t.Errorf("KOBAKO_FAULTS=%s run: exit %d, want 125; stderr:\n%s", fault, code, stderr)
			}
			checkOneLineError(t, stderr, want)
			if ps := e.mustRun("ps", "-a", "--format", "{{.Names}} {{.Status}}"); !strings.Contains(ps, "s Exited (125)") {
				t.Errorf("KOBAKO_FAULTS=%s run: ps -a lists\n%s\nwant s, Exited (125)", fault, ps)
			}
			e.mustRun("rm", "s")
		}
		e.expectHost(before, fmt.Sprintf("KOBAKO_FAULTS=%s run or start, then rm", fault), "")
	}
}
