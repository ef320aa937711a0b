package trace

// The phases of --trace=time's table, and which step belongs to which
// (timing.go says how the time between steps is shared out). A step's
// phase follows from where it is reported, as its chapter does
// (chapters.go), but more finely: the article's chapter "let's build a
// container" holds the mounts as well as the hostname. The table matches
// files by their name and functions without their package, so that a
// step keeps its phase when its file moves (runtime/execve.go to
// runtime/initproc/execve.go).

import (
	"cmp"
	"path"
	"slices"
	"strings"
)

// The phases, in the order a container is made.
const (
	phaseParentStart = "parent start"
	phaseSpec        = "spec"
	phaseImage       = "image/container dir"
	phaseCgroups     = "cgroups"
	phaseClone       = "clone"
	phaseInitStart   = "init start"
	phaseMounts      = "mounts"
	phasePivotRoot   = "pivot_root"
	phasePrivileges  = "privileges"
	phaseExec        = "exec"
	phaseTeardown    = "teardown"
	phaseOther       = "other"
)

// phases are the table's rows, each with what it holds.
var phases = []struct{ name, what string }{
	{phaseParentStart, "the Go runtime and package inits, before main (CPU time)"},
	{phaseSpec, "the OCI spec, built or read"},
	{phaseImage, "image layers, the container's directory"},
	{phaseCgroups, "mkdir and echo > the cgroup's files"},
	{phaseClone, "the new namespaces: clone, unshare, setns"},
	{phaseInitStart, "the init's execve and Go start-up, until its first step"}, // and how long in all (initStartWhat)
	{phaseMounts, "overlay, /proc, /dev, masks"},
	{phasePivotRoot, "pivot_root . . and umount -l ."},
	{phasePrivileges, "user, capabilities, no_new_privs, seccomp"},
	{phaseExec, "kobako start, execve, the command until it exits"},
	{phaseTeardown, "after the command exited: rmdir, rm -rf"},
	{phaseOther, "steps of no phase above: network, hostname, hooks …"},
}

// phaseRule gives a phase to the steps it matches: by the step's name, by
// the function that reported it (without its package: "awaitStart"), or
// by its file — a name ("pivot_root.go") or a directory ("cgroups/").
type phaseRule struct {
	step, fn, file string
	phase          string
}

// phaseRules: the first match wins, so the exceptions come first. A step
// no rule matches is "other".
var phaseRules = []phaseRule{
	// The marks (timing.go). MarkExited ends the time the command ran.
	{step: MarkSpec, phase: phaseSpec},
	{step: MarkExited, phase: phaseExec},
	{step: MarkDone, phase: phaseTeardown},
	// kobako start: the parent opens the fifo, the init wakes and execs.
	{fn: "awaitStart", phase: phaseExec},
	{fn: "execCommand", phase: phaseExec},
	{file: "start.go", phase: phaseExec},
	// cd into the working directory, between the privileges' steps.
	{fn: "enterCwd", phase: phaseOther},
	{file: "execve.go", phase: phasePrivileges}, // setresuid, no_new_privs, seccomp
	{file: "capabilities.go", phase: phasePrivileges},
	{file: "user.go", phase: phasePrivileges}, // getent passwd, rlimits, umask
	{file: "apparmor.go", phase: phasePrivileges},
	{file: "seccomp/", phase: phasePrivileges},
	{file: "pivot_root.go", phase: phasePivotRoot},
	{step: "new namespaces", phase: phaseClone}, // the clone itself
	{file: "namespaces.go", phase: phaseClone},  // unshare -C
	{file: "setns.go", phase: phaseClone},       // the namespaces the clone joins
	{file: "userns.go", phase: phaseClone},      // a user namespace's maps
	{file: "cgroups/", phase: phaseCgroups},
	{file: "cgroup.go", phase: phaseCgroups}, // runtime's: which cgroup layout
	{file: "unpack.go", phase: phaseImage},   // rootfs's, unpacking an image
	{file: "rootfs/", phase: phaseMounts},
	{file: "image/", phase: phaseImage},
	{file: "build/", phase: phaseImage},
	{file: "container/", phase: phaseImage},
}

// phaseOf is the phase of a step reported from where (file:line) by
// function (its full Go name); where and function are "" for a Mark.
func phaseOf(step, where, function string) string {
	file, _, _ := strings.Cut(where, ":")
	for _, r := range phaseRules {
		if r.step != "" && r.step == step || r.fn != "" && inFunction(function, r.fn) || r.file != "" && inFile(file, r.file) {
			return r.phase
		}
	}
	return phaseOther
}

// inFunction reports whether function is fn, a method named fn, or a
// closure inside one: "…/runtime.awaitStart", "…/initproc.awaitStart.func1".
func inFunction(function, fn string) bool {
	name := function[strings.LastIndex(function, "/")+1:]
	return slices.Contains(strings.Split(name, "."), fn)
}

// inFile reports whether file (module-relative) is the file name, or lies
// in the directory dir/, at any depth.
func inFile(file, name string) bool {
	if file == "" {
		return false
	}
	if strings.HasSuffix(name, "/") {
		return strings.HasPrefix(file, name) || strings.Contains(file, "/"+name)
	}
	return path.Base(file) == name
}

// knownPhase is phase when it is one of the table's, else "other": the
// init's records name theirs.
func knownPhase(phase string) string {
	for _, p := range phases {
		if p.name == phase {
			return phase
		}
	}
	return phaseOther
}

// shares is a run cut into phases.
type shares struct {
	// times is the time each phase took, in nanoseconds. A phase no time
	// went to is missing; one whose steps took no measurable time is
	// there, with 0.
	times map[string]int64
	// initSpan is the time from the parent's clone step to the init's
	// first event, all of the init's start-up, of which times counts only
	// what the parent's own steps did not overlap; 0 without an init.
	initSpan int64
}

// share cuts the events' time line from start to end into phases, as
// timing.go says.
func share(events []event, start, end int64) shares {
	ev := slices.Clone(events)
	slices.SortStableFunc(ev, func(a, b event) int { return cmp.Compare(a.ns, b.ns) })
	for i := range ev {
		if ev[i].step == MarkDone && !ev[i].child && ev[i].ns < end {
			end = ev[i].ns // the run is over
		}
	}
	ev = slices.DeleteFunc(ev, func(e event) bool { return e.ns > end })
	// The init's first and last events: the edges of "init start" and of
	// "exec".
	firstChild := slices.IndexFunc(ev, func(e event) bool { return e.child })
	lastChild := -1
	for i, e := range ev {
		if e.child {
			lastChild = i
		}
	}
	// "init start" opens at the parent's last clone step before the
	// init's first event.
	clone := -1
	for i := 0; i < firstChild; i++ {
		if ev[i].phase == phaseClone && !ev[i].child {
			clone = i
		}
	}
	var initSpan int64
	if clone >= 0 {
		initSpan = ev[firstChild].ns - ev[clone].ns
	}
	times := map[string]int64{}
	prev, execOpen, exited := start, false, false
	// The end of the run closes the last span, like one more event.
	for i, e := range append(ev, event{ns: end, phase: phaseOther}) {
		phase := e.phase
		switch {
		case exited:
			phase = phaseTeardown
		case clone >= 0 && i == firstChild:
			phase = phaseInitStart
		case execOpen:
			phase = phaseExec
		}
		if i < len(ev) || e.ns > prev { // the end adds a row only with time of its own
			times[phase] += max(e.ns-prev, 0)
		}
		prev = max(prev, e.ns)
		if execOpen && !e.child {
			execOpen = false // the parent's first event after the exec
		}
		if i == lastChild && e.phase == phaseExec {
			execOpen = true
		}
		if e.step == MarkExited && !e.child {
			exited = true
		}
	}
	return shares{times: times, initSpan: initSpan}
}
