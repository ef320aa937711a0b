package tutorial

// One step, in the order the learner meets it: what and why, the
// article's command, kobako's Go code, kobako doing it, the task, the check.

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// runStep shows one step and runs its task until the check passes, the
// learner skips it, or quits (errQuit). It reports whether the check
// passed.
func (s *Session) runStep(st *Step, text StepText) (bool, error) {
	// The setup runs first, so that the text can name what it made ({ip},
	// {port} …), but what it shows comes fourth, after the code.
	s.focus = st.Trace
	shown, err := s.ui.capture(func() error { return s.setUp(st) })
	s.ui.markdown(fill(text.Body, s.vars))
	s.showArticle(st)
	s.showCode(st)
	s.ui.flush(shown)
	if err != nil {
		return false, err
	}
	s.ui.heading(s.msg.get("task.label"), "")
	s.ui.markdown(fill(text.Task, s.vars))
	if s.yes {
		return s.performAndCheck(st), nil
	}
	return s.tryUntilDone(st, text)
}

// showArticle shows the article's command and, on a cgroup v2 host, its v2
// twin beside it, so the 2019 text still makes sense here.
func (s *Session) showArticle(st *Step) {
	if st.Article == "" {
		return
	}
	s.ui.code(s.msg.get("box.article"), "sh", s.localComments(st.Article))
	if st.V2 != "" && s.cgroupv == "v2" {
		s.ui.code(s.msg.get("box.v2"), "sh", s.localComments(st.V2))
	}
}

// commentKey is a comment of the article's commands written «key»: its
// words are the catalogue's article.key, in the learner's language.
var commentKey = regexp.MustCompile(`«([a-z0-9_.]+)»`)

func (s *Session) localComments(commands string) string {
	return commentKey.ReplaceAllStringFunc(commands, func(k string) string {
		return s.msg.get("article." + strings.Trim(k, "«»"))
	})
}

// showCode quotes the kobako functions that do the step.
func (s *Session) showCode(st *Step) {
	for _, ref := range st.Code {
		ex, err := excerpt(ref)
		if err != nil {
			s.ui.warn(err.Error())
			continue
		}
		s.ui.code(s.msg.get("box.code", fmt.Sprintf("%s:%d", ex.File, ex.Line)), "go", ex.Code)
	}
}

// setUp runs the step's Setup, if any.
func (s *Session) setUp(st *Step) error {
	if st.Setup == nil {
		return nil
	}
	return st.Setup(s)
}

// performAndCheck is --yes: kobako does the task, then checks it.
func (s *Session) performAndCheck(st *Step) bool {
	if st.Typed != "" {
		_, err := s.typeInto(st.Task.Container, fill(st.Typed, s.vars))
		switch {
		case errors.Is(err, errShellEnded):
			// What a learner's shell can meet too (the OOM killer takes
			// it): the check reads the kernel all the same.
			s.ui.dim(s.msg.get("yes.shell_ended", st.Task.Container))
		case err != nil:
			s.ui.result(fail(s.msg.get("yes.perform_failed", err.Error())))
			return false
		}
	} else if st.Perform != nil {
		if err := st.Perform(s); err != nil {
			s.ui.result(fail(s.msg.get("yes.perform_failed", err.Error())))
			return false
		}
	}
	r := st.Check(s)
	s.ui.result(r)
	return r.OK
}

// tryUntilDone is the interactive loop: the learner tries, kobako checks;
// hint, why, skip and quit are there at every prompt.
func (s *Session) tryUntilDone(st *Step, text StepText) (bool, error) {
	for tries := 0; ; tries++ {
		typed := s.ui.prompt(s.promptFor(st, tries))
		switch strings.ToLower(typed) {
		case "hint", "h":
			s.ui.markdown(fill(text.Hint, s.vars))
			continue
		case "why", "w":
			s.ui.markdown(fill(text.Why, s.vars))
			continue
		case "skip", "s":
			s.ui.dim(s.msg.get("step.skipped"))
			return false, nil
		case "quit", "q":
			return false, errQuit
		}
		// Again before another try in a shell: it starts a shell that was
		// exited, and takes the check's "before" anew. Not for work done
		// elsewhere (a second terminal): that was done before this Enter,
		// and a new "before" would hide it.
		if tries > 0 && st.Task.Kind == InShell {
			if err := s.setUp(st); err != nil {
				return false, err
			}
		}
		if err := s.doTask(st, typed); err != nil {
			s.ui.warn(err.Error())
		}
		r := st.Check(s)
		s.ui.result(r)
		if r.OK {
			// a pause, so the verdict is read before the next step scrolls it away
			if s.ui.prompt(s.msg.get("prompt.next")) == "quit" {
				return true, errQuit
			}
			return true, nil
		}
		s.ui.dim(s.msg.get("step.try_again"))
	}
}

// promptFor is the question at the prompt, which says what Enter does.
func (s *Session) promptFor(st *Step, tries int) string {
	switch st.Task.Kind {
	case InShell:
		return s.msg.get("prompt.shell", st.Task.Container)
	case OnHost:
		return s.msg.get("prompt.host")
	case Answer:
		return s.msg.get("prompt.answer")
	case ChrootDemo:
		if tries == 0 {
			return s.msg.get("prompt.demo")
		}
		return s.msg.get("prompt.answer")
	}
	return s.msg.get("prompt.look")
}

// doTask hands the terminal to the learner where the task is done; typed
// is what they typed at the prompt (an answer, or nothing).
func (s *Session) doTask(st *Step, typed string) error {
	s.answer = typed
	switch st.Task.Kind {
	case InShell:
		s.ui.dim(s.msg.get("shell.attach", st.Task.Container))
		err := s.k.attach(st.Task.Container)
		s.ui.say("")
		return err
	case ChrootDemo:
		if typed != "" {
			return nil // they typed the word already: check it
		}
		if _, err := s.chrootDemo(false); err != nil {
			return err
		}
		s.answer = s.ui.prompt(s.msg.get("prompt.word"))
	}
	return nil
}
