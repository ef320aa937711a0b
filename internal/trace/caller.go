package trace

// Where a step happened: the Go file and line that reported it, relative to
// the module (rootfs/pivot_root.go:45), so that the learner can open the
// code that did what the line says. Found with runtime.Callers, and only
// when tracing is on.

import (
	"fmt"
	"path"
	goruntime "runtime"
	"strings"
)

// thisFile is this file's path inside the module.
const thisFile = "internal/trace/caller.go"

// modulePrefix is what comes before a module-relative path in the file
// names the Go runtime reports: "github.com/kobako/kobako/" in a binary
// built with -trimpath, the work tree's directory in one that is not.
func modulePrefix() string {
	_, file, _, ok := goruntime.Caller(0)
	if !ok || !strings.HasSuffix(file, thisFile) {
		return ""
	}
	return strings.TrimSuffix(file, thisFile)
}

// Helper marks the calling function as a helper that reports steps for its
// callers, as testing.T.Helper does for test failures: the line then names
// the helper's caller. rootfs's one mount function is the example — the
// learner wants the line that mounted /proc, not the line that calls
// mount(2) for every mount.
func (t *Tracer) Helper() {
	if t == nil {
		return
	}
	var pc [1]uintptr
	if goruntime.Callers(2, pc[:]) == 0 {
		return
	}
	frame, _ := goruntime.CallersFrames(pc[:]).Next()
	t.mu.Lock()
	t.helpers[frame.Function] = true
	t.mu.Unlock()
}

// caller is the file:line that called Step, Note or Skip (through report),
// past helpers and method-value wrappers (tr.Note passed as a func), and
// its function's name.
func (t *Tracer) caller() (where, function string) {
	var pcs [16]uintptr
	// Skip runtime.Callers, caller, report and Step/Note/Skip.
	n := goruntime.Callers(4, pcs[:])
	if n == 0 {
		return "?", ""
	}
	frames := goruntime.CallersFrames(pcs[:n])
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		f, more := frames.Next()
		if !t.helpers[f.Function] && !strings.HasSuffix(f.Function, "-fm") {
			return fmt.Sprintf("%s:%d", t.relative(f.File), f.Line), f.Function
		}
		if !more {
			return "?", ""
		}
	}
}

// relative is file inside the module, or its base name when it is not
// kobako's (a library's, the standard library's).
func (t *Tracer) relative(file string) string {
	if t.module != "" && strings.HasPrefix(file, t.module) {
		return strings.TrimPrefix(file, t.module)
	}
	return path.Base(file)
}
