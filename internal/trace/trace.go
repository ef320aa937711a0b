// Package trace is kobako's one narrator. Every package reports each kernel
// step through it, and with --trace the learner reads the steps under the
// article's chapter names, one line per step:
//
//	kobako: trace: ── chroot と pivot_root ──
//	kobako: trace:     0.05ms  change root                          rootfs/pivot_root.go:45      pivot_root . .
//	kobako: trace:     0.21ms  detach the old root                  rootfs/pivot_root.go:60      umount -l .  ← unix.Unmount
//
// that is "how long, step, where in kobako, shell twin": the time since the
// previous line of the same process (timing.go), what happened, the Go file
// and line that did it, and the command the article types for the same
// thing — followed by the Go call's name when it says more than the shell
// twin does (unix.Unmount behind umount, os.WriteFile behind an `echo >`),
// and by ✗ and the error when the step failed (format.go). --trace=all adds
// the whole Go call of every step and the steps that were skipped (a path
// this kernel does not have). --trace=time narrates nothing, and prints
// instead, at the end, a table of where the run's milliseconds went
// (timing.go, table.go).
//
// Long strings the learner does not need to read twice — the container's
// 64-digit id, its root file system's path — are written as the article
// writes them, $ID and $ROOTFS (names.go); each name is spelt out, like a
// shell assignment, before the first line that uses it.
//
// A nil *Tracer is valid and prints nothing, so code never has to ask
// whether tracing is on before reporting a step.
package trace

import (
	"io"
	"os"
	"sync"
)

// Mode is what --trace=MODE asks for beyond the narration itself.
type Mode struct {
	All  bool `json:"all,omitempty"`  // skipped steps too, and each step's whole Go call
	Time bool `json:"time,omitempty"` // no narration: a table of the time by phase, at the end
}

// Tracer writes trace lines to one writer. It is safe for concurrent use.
type Tracer struct {
	mu      sync.Mutex
	w       io.Writer
	mode    Mode
	module  string          // the prefix that makes a source file module-relative (caller.go)
	helpers map[string]bool // functions that report for their callers (Helper)
	chapter string          // the heading printed last
	names   []abbrev        // longest value first (names.go)

	// Time (timing.go).
	start    int64     // CLOCK_MONOTONIC when the tracer was made, ns
	last     int64     // the previous line's stamp: the next line's duration counts from it
	emit     bool      // an init's tracer in time mode: sends records to the parent (child.go)
	timeline *timeline // a parent's tracer in time mode: the events, for the table
}

// New returns a Tracer that writes to w (kobako passes os.Stderr).
func New(w io.Writer) *Tracer {
	return NewMode(w, Mode{})
}

// NewMode returns a Tracer for --trace=MODE. With --trace=time it reads
// the CPU time the process has used so far, the table's "parent start":
// kobako makes its tracer as soon as it has read its command line.
func NewMode(w io.Writer, m Mode) *Tracer {
	t := &Tracer{w: w, mode: m, module: modulePrefix(), helpers: map[string]bool{}}
	t.start = monotonic()
	t.last = t.start
	if m.Time {
		t.timeline = &timeline{cpu: cpuTime(), peaks: map[string]memory{}}
	}
	return t
}

// Enabled reports whether steps are reported at all: printed, or timed
// (--trace=time). Callers use it only to skip work that exists for the
// trace alone, such as a fmt.Sprintf of a long Go call.
func (t *Tracer) Enabled() bool {
	return t != nil
}

// Mode is what this tracer was asked to show (the zero Mode when off).
func (t *Tracer) Mode() Mode {
	if t == nil {
		return Mode{}
	}
	return t.mode
}

// Step reports one kernel step: its name, its shell twin, the Go call and its
// error (nil means "ok").
func (t *Tracer) Step(step, shell, call string, err error) {
	if t == nil {
		return
	}
	t.report(line{step: step, shell: shell, call: call, err: err})
}

// Note reports a step that has no single kernel call of its own (a decision,
// or a step done by a library), still with its shell twin.
func (t *Tracer) Note(step, shell string) {
	if t == nil {
		return
	}
	t.report(line{step: step, shell: shell})
}

// Skip reports a step that was not taken because there is nothing to do it
// to, such as a path to mask that this kernel does not have. It is shown
// with --trace=all only: the learner reads what kobako did. --trace=time
// times it as any step.
func (t *Tracer) Skip(step, shell string) {
	if t == nil || !t.mode.All && !t.mode.Time {
		return
	}
	t.report(line{step: step, shell: shell, skipped: true})
}

// report finds who called Step, Note or Skip and writes the line, under a
// heading when the chapter changes — or, with --trace=time, stamps it for
// the table. It is called by them directly: the frame count in caller
// depends on that.
func (t *Tracer) report(l line) {
	where, fn := t.caller()
	t.mu.Lock()
	defer t.mu.Unlock()
	now := monotonic()
	if t.mode.Time {
		t.stamp(event{ns: now, step: l.step, phase: phaseOf(l.step, where, fn)})
		return
	}
	t.write(l, where, fn, now)
}

// write writes l, reported from where by function fn at now. The caller
// holds t.mu.
func (t *Tracer) write(l line, where, fn string, now int64) {
	took := max(now-t.last, 0)
	t.last = now
	var out []byte
	if chapter := chapterOf(where, fn); chapter != "" && chapter != t.chapter {
		t.chapter = chapter
		out = append(out, heading(chapter)...)
	}
	text := l.format(t.mode, where, took, t.abbreviate)
	out = append(out, t.introduce(text)...) // ID=… before the first line with $ID
	out = append(out, text...)
	// One write per report: the init's lines go to the same terminal
	// through another descriptor, and must not cut into ours. A narration
	// that cannot be written is no reason to fail the step it narrates.
	_, _ = t.w.Write(out)
}

// File returns the file the tracer writes to, when it is one. The
// container's init narrates on a copy of it (ChildFile), so that the
// child's steps are narrated on the same terminal as the parent's.
func (t *Tracer) File() *os.File {
	if t == nil {
		return nil
	}
	f, _ := t.w.(*os.File)
	return f
}
