package tutorial

// A step, as the engine knows it: the language-free half of a lesson. Its
// words live in tutorial/LANG/NN-*.md under the same id; this is what kobako
// shows and does around them, and how it checks the learner's work.

import (
	"fmt"
	"strings"
)

// Step is one step of a chapter.
type Step struct {
	ID string
	// Article is the article's shell command for the step, as it ran on
	// Ubuntu 18.04 (cgroup v1); V2 is its twin on a cgroup v2 host, when
	// it differs.
	Article, V2 string
	// Code names the kobako functions that do the same, quoted from the
	// embedded source.
	Code []CodeRef
	// Trace names the chapter of kobako's --trace that the step shows
	// ("cgroup", "Namespace" …, as the trace's headings say; several
	// separated by |); "" shows it all.
	Trace string
	// Setup makes what the task needs (containers …) and shows kobako
	// doing it. It is called again before each try, so it makes only what
	// is missing.
	Setup func(*Session) error
	// Task says where the learner works.
	Task Task
	// Typed is what the learner types in the shell of an InShell task;
	// --yes types it there ({placeholders} filled in).
	Typed string
	// Perform does the learner's task, for --yes, when it is not typing
	// into the container's shell.
	Perform func(*Session) error
	// Check reads the kernel and says whether the task was done.
	Check func(*Session) Result
}

// Task is where the learner works for a step.
type Task struct {
	Kind      TaskKind
	Container string // for InShell: the container whose shell they get
}

// TaskKind is where the learner does a step's task.
type TaskKind int

const (
	Look       TaskKind = iota // nothing to do but read: the check follows at once
	InShell                    // in a container's shell, attached to their terminal
	OnHost                     // in a second terminal on the host
	Answer                     // type an answer at the prompt
	ChrootDemo                 // in the unsafe chroot demonstration
)

// Result is a check's verdict and what it measured, in the learner's
// language: the first line says it, the others show the evidence.
type Result struct {
	OK    bool
	Lines []string
}

// pass and fail make Results.
func pass(lines ...string) Result { return Result{OK: true, Lines: lines} }
func fail(lines ...string) Result { return Result{OK: false, Lines: lines} }

// broken is a check that could not read what it needed: a failure that
// says why, never a stack trace.
func (s *Session) broken(err error) Result {
	if err == errNotRunning {
		return fail(s.msg.get("check.not_running"))
	}
	return fail(s.msg.get("check.error", err.Error()))
}

// chapterDef ties a chapter's lesson file to its steps.
type chapterDef struct {
	Slug  string // "namespace": what doctor's findings name
	File  string // "03-namespace.md"
	Steps []*Step
}

// stepByID finds a step among all chapters.
func stepByID(defs []chapterDef, id string) (*Step, error) {
	for _, d := range defs {
		for _, st := range d.Steps {
			if st.ID == id {
				return st, nil
			}
		}
	}
	return nil, fmt.Errorf("no step %q", id)
}

// textOf finds a step's words in a chapter.
func textOf(ch Chapter, id string) (StepText, bool) {
	for _, t := range ch.Steps {
		if t.ID == id {
			return t, true
		}
	}
	return StepText{}, false
}

// shellLines joins shell commands for a box, dropping the indentation of
// Go's raw strings.
func shellLines(lines ...string) string {
	return strings.Join(lines, "\n")
}
