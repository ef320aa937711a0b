package trace

// Time: where a run's milliseconds go.
//
// Every event — a step, a note, a skipped step, a Mark — is stamped with
// CLOCK_MONOTONIC, read with clock_gettime(2). Go's own time.Now carries a
// monotonic reading too, but only for comparisons inside one process; the
// init is another process, and the raw clock is the one both can read and
// compare. (Its nearest shell twin is the first number of /proc/uptime:
// the same clock, plus the time the machine slept.)
//
// The narration (--trace, --trace=all) shows each step's duration in a
// column before it: the time since the previous line of the same process,
// as `strace -r` shows the time since the previous system call. A learner
// sees at a glance which guard costs what.
//
// --trace=time narrates nothing. The parent collects its events, and the
// init's, which come through a pipe (child.go), and Finish prints one
// table (table.go): the run cut into phases (phases.go), in the order a
// container is made —
//
//	parent start          the Go runtime and package inits before main
//	spec                  the OCI config (Mark MarkSpec)
//	image/container dir   image layers, the container's directory
//	cgroups               mkdir and echo > the cgroup's files
//	clone                 the new namespaces: clone, unshare, setns
//	init start            the init's Go start-up
//	mounts                overlay, /proc, /dev, masks
//	pivot_root            pivot_root . . and umount -l .
//	privileges            user, capabilities, no_new_privs, seccomp
//	exec                  kobako start, execve, the command
//	teardown              what the parent does after the command exited
//	other                 steps of no phase above (network, hostname …)
//
// How the time is shared out:
//
//   - "parent start" is not on the clock: it is the CPU time the process
//     had used when its tracer was made (getrusage(2), at the earliest
//     point the command line's code controls). Go runs its runtime's
//     start-up and every package's init before main, unseen by any step.
//   - From the tracer's making on, the parent's and the init's events
//     are merged into one time line. The time between two events goes to
//     the phase of the later one: the step that just ended is what the
//     time was spent on.
//   - "init start" is the init's first event's span: the clone, the
//     execve of the init binary and its Go start-up. The parent does not
//     wait idle meanwhile — it writes the cgroup's files — and its steps
//     keep their phases: a run's time is shared out, never counted twice,
//     so "init start" is the wait that the parent's steps did not hide.
//     The table says how long the whole start-up took, from the parent's
//     clone step to the init's first event.
//   - "exec" is the span from the init's last event, its exec step, to
//     the parent's next event: the command runs meanwhile, and the parent
//     learns it has exited (Mark MarkExited).
//   - "teardown" is everything after MarkExited.
//   - The run ends at MarkDone, or when Finish is called.
//
// The table ends with two peaks of resident memory: the parent's
// (getrusage's ru_maxrss) and the init's (its VmHWM just before execve,
// sent by Peak).

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// The marks a caller sets where no step of its own ends a phase.
const (
	MarkSpec   = "spec ready"       // the OCI spec is built or read
	MarkExited = "container exited" // the parent saw the command exit
	MarkDone   = "teardown done"    // the run is over: the table stops here
)

// event is one stamped report.
type event struct {
	ns    int64  // CLOCK_MONOTONIC, in nanoseconds
	step  string // the step's name, or a Mark's
	phase string // phases.go
	child bool   // reported by the init
}

// timeline is what a parent's tracer in time mode collects; nil in the
// other modes, and in the init, which sends instead (child.go).
type timeline struct {
	cpu       int64             // CPU time used before the tracer was made, ns
	events    []event           // in arrival order
	peaks     map[string]memory // resident memory by who
	pipes     []*os.File        // the read ends of the children's pipes
	children  int               // pipes handed out (ChildFile)
	readers   sync.WaitGroup    // a goroutine per pipe, reading it (child.go)
	finishing bool              // Finish began: it prints the table
	finished  bool              // Finish has the events: no more are kept
}

// monotonic is CLOCK_MONOTONIC in nanoseconds (clock_gettime(2)).
func monotonic() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return 0 // not on Linux: no stamps, no durations
	}
	return ts.Nano()
}

// cpuTime is the user and system CPU time this process has used so far,
// in nanoseconds: `ps -o times= $$`, at a finer grain.
func cpuTime() int64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// maxRSS is this process's peak resident set so far, in KiB: getrusage's
// ru_maxrss, which Linux counts in kilobytes.
func maxRSS() int64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss
}

// Mark stamps an event that has no narration line: a phase edge that no
// step reports, such as MarkExited. Only --trace=time records it; the
// narration's durations count from the previous line the learner saw.
func (t *Tracer) Mark(step string) {
	if t == nil || !t.mode.Time {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stamp(event{ns: monotonic(), step: step, phase: phaseOf(step, "", "")})
}

// stamp keeps e (a parent in time mode) or sends it to the parent (the
// init in time mode). The caller holds t.mu.
func (t *Tracer) stamp(e event) {
	switch {
	case t.emit:
		t.send(recordStep, e.step, e.phase, e.ns)
	case t.timeline != nil && !t.timeline.finished:
		t.timeline.events = append(t.timeline.events, e)
	}
}

// Peak records who's resident memory — its peak so far, VmHWM, the "high
// water mark" in /proc/self/status (`grep -E 'VmHWM|RssAnon|RssFile'
// /proc/self/status`), and how what it holds now splits — for the table's
// last lines. The init calls Peak("init") right before its execve, after
// which the process is the command's. Only --trace=time records it.
func (t *Tracer) Peak(who string) {
	if t == nil || !t.mode.Time {
		return
	}
	m, err := readMemory()
	if err != nil {
		return // no /proc: no line in the table, and no reason to fail
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.emit:
		t.send(recordPeak, who, m.String(), monotonic())
	case t.timeline != nil && !t.timeline.finished:
		t.timeline.peaks[who] = m
	}
}

// memory is a process's resident memory, in KiB: its peak, and what it
// holds now, split into its own pages (anonymous: heap, stacks) and the
// pages of files it maps — its binary's, which stay in the page cache and
// are shared by every process that runs the same file.
type memory struct {
	peak, anon, file int64
}

// String is how a memory travels in a record: "peak anon file".
func (m memory) String() string {
	return fmt.Sprintf("%d %d %d", m.peak, m.anon, m.file)
}

// parseMemory reads a memory back from its String.
func parseMemory(s string) (memory, bool) {
	var m memory
	n, err := fmt.Sscanf(s, "%d %d %d", &m.peak, &m.anon, &m.file)
	return m, err == nil && n == 3
}

// readMemory reads this process's memory from /proc/self/status.
func readMemory() (memory, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	return parseStatus(f)
}

var errNoVmHWM = errors.New("no VmHWM line in /proc/self/status")

// parseStatus finds the lines "VmHWM:	    6144 kB", "RssAnon: …" and
// "RssFile: …" of a /proc/<pid>/status.
func parseStatus(r io.Reader) (memory, error) {
	var m memory
	fields := map[string]*int64{"VmHWM:": &m.peak, "RssAnon:": &m.anon, "RssFile:": &m.file}
	found := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), "\t")
		dst, ok := fields[key]
		if !ok {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return memory{}, err
		}
		*dst, found = kib, found || key == "VmHWM:"
	}
	if err := sc.Err(); err != nil {
		return memory{}, err
	}
	if !found {
		return memory{}, errNoVmHWM
	}
	return m, nil
}
