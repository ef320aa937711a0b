// Package trace is kobako's one narrator. Every package reports each kernel
// step through it, and with --trace the learner sees, one line per step:
//
//	kobako: trace: change root — pivot_root . . — unix.PivotRoot(".", ".") — ok
//
// that is "step — shell equivalent — Go call — result": what happened, the
// command the article types for the same thing, the Go call kobako made, and
// whether it worked. The tutorial reuses the same lines.
//
// A nil *Tracer is valid and prints nothing, so code never has to ask
// whether tracing is on before reporting a step.
package trace

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// Tracer writes trace lines to one writer. It is safe for concurrent use.
type Tracer struct {
	mu sync.Mutex
	w  io.Writer
}

// New returns a Tracer that writes to w (kobako passes os.Stderr).
func New(w io.Writer) *Tracer {
	return &Tracer{w: w}
}

// Enabled reports whether lines are printed at all. Callers use it only to
// skip work that exists for the trace alone, such as a fmt.Sprintf of a long
// Go call.
func (t *Tracer) Enabled() bool {
	return t != nil
}

// Step reports one kernel step: its name, its shell twin, the Go call and its
// error (nil means "ok").
func (t *Tracer) Step(step, shell, call string, err error) {
	if t == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "failed: " + err.Error()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "kobako: trace: %s — %s — %s — %s\n", step, shell, call, result)
}

// Note reports a step that has no single kernel call of its own (a decision,
// or a step done by a library), still with its shell twin.
func (t *Tracer) Note(step, shell string) {
	t.Step(step, shell, "-", nil)
}

// File returns the file the tracer writes to, when it is one. The runtime
// hands it to the container's init process so that the child's steps are
// narrated on the same terminal as the parent's.
func (t *Tracer) File() *os.File {
	if t == nil {
		return nil
	}
	f, _ := t.w.(*os.File)
	return f
}
