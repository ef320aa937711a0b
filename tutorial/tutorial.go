package tutorial

// The tutorial's course: chapters in order, each step shown, tried and
// checked; progress kept per user; everything a chapter made removed when
// it ends, when the learner quits or presses ^C, and — if a tutorial was
// killed — by the next one.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/kobako/kobako/cgroups"
)

// Options are kobako tutorial's flags.
type Options struct {
	Kobako  Kobako
	Tutor   string // this binary: bound into containers as /usr/local/bin/escape
	Busybox string // a static busybox, for the chroot demonstration
	Lang    string // "ja" or "en"
	Yes     bool   // do each task for the learner, then check it
	List    bool
	Reset   bool
	Chapter int    // -1: from where the learner stopped
	Step    string // "N.M": only that step
	In      io.Reader
	Out     *os.File
}

// Session is one run of the tutorial: what every step sees.
type Session struct {
	k       Kobako
	ui      *UI
	msg     catalog
	lang    string
	yes     bool
	tutor   string
	busybox string
	cgroupv string            // "v1" or "v2": this host
	layout  *cgroups.Layout   // where its cgroup file systems are mounted
	vars    map[string]string // the lesson texts' placeholders
	seen    map[string]any    // what a step's setup measured, for its check
	answer  string            // what the learner typed, for Answer tasks
	focus   string            // the trace chapter the current step shows
	bg      []*exec.Cmd       // processes --yes left running (an exec'd shell …)
	// childHasTerminal is set while a child reads the terminal in cooked
	// mode (the chroot demonstration): its ^C is the child's, not ours.
	childHasTerminal atomic.Bool
}

// errQuit ends the tutorial at the learner's word.
var errQuit = errors.New("quit")

// Run is kobako tutorial.
func Run(opts Options) error {
	chapters, err := loadChapters(opts.Lang)
	if err != nil {
		return err
	}
	msg, err := loadCatalog(opts.Lang)
	if err != nil {
		return err
	}
	s := &Session{
		k: opts.Kobako, ui: newUI(opts.In, opts.Out), msg: msg, lang: opts.Lang, yes: opts.Yes,
		tutor: opts.Tutor, busybox: opts.Busybox,
		vars: map[string]string{}, seen: map[string]any{},
	}
	s.layout, s.cgroupv = detectCgroups()
	s.vars["cgroupv"] = s.cgroupv
	prog := loadProgress(opts.Kobako.DataRoot)
	switch {
	case opts.Reset:
		return prog.reset(s)
	case opts.List:
		s.list(chapters, prog)
		return nil
	}
	defs := course()
	todo, err := selectSteps(defs, chapters, prog, opts)
	if err != nil {
		return err
	}
	stop := s.cleanUpOnSignal()
	defer stop()
	if err := s.k.removeLeftovers(); err != nil {
		return err
	}
	failed, err := s.walk(defs, chapters, todo, prog)
	s.cleanUp()
	if errors.Is(err, errQuit) {
		s.ui.say(s.msg.get("quit.bye"))
		return nil
	}
	if err != nil {
		return err
	}
	if failed > 0 && s.yes {
		return fmt.Errorf("%d %s", failed, s.msg.get("summary.failed"))
	}
	if failed > 0 {
		s.ui.say(s.msg.get("summary.skipped", failed))
		return nil
	}
	s.ui.say(s.msg.get("summary.done"))
	return nil
}

// position is one step of one chapter.
type position struct{ chapter, step int }

// selectSteps decides which steps run: one (--step N.M), one chapter
// (--chapter N), or from the first step not yet done to the end.
func selectSteps(defs []chapterDef, chapters []Chapter, prog *progress, opts Options) ([]position, error) {
	if len(defs) != len(chapters) {
		return nil, fmt.Errorf("the course has %d chapters, the lessons %d", len(defs), len(chapters))
	}
	var all []position
	for c, d := range defs {
		for i := range d.Steps {
			all = append(all, position{c, i})
		}
	}
	switch {
	case opts.Step != "":
		c, i, err := parseStepNumber(opts.Step)
		if err != nil || c >= len(defs) || i >= len(defs[c].Steps) {
			return nil, fmt.Errorf("--step %s: give CHAPTER.STEP as kobako tutorial --list numbers them, e.g. --step 3.2", opts.Step)
		}
		return []position{{c, i}}, nil
	case opts.Chapter >= 0:
		if opts.Chapter >= len(defs) {
			return nil, fmt.Errorf("--chapter %d: the chapters are 0 to %d (kobako tutorial --list)", opts.Chapter, len(defs)-1)
		}
		var one []position
		for _, p := range all {
			if p.chapter == opts.Chapter {
				one = append(one, p)
			}
		}
		return one, nil
	}
	for n, p := range all {
		if !prog.Done[defs[p.chapter].Steps[p.step].ID] {
			return all[n:], nil
		}
	}
	return all, nil // all done: from the start again
}

// parseStepNumber reads "3.2" as chapter 3, its second step (index 1).
func parseStepNumber(s string) (chapter, step int, err error) {
	a, b, ok := strings.Cut(s, ".")
	if !ok {
		return 0, 0, fmt.Errorf("no dot")
	}
	chapter, err = strconv.Atoi(a)
	if err != nil {
		return 0, 0, err
	}
	step, err = strconv.Atoi(b)
	if err != nil || step < 1 {
		return 0, 0, fmt.Errorf("bad step")
	}
	return chapter, step - 1, nil
}

// walk shows and runs the chosen steps, chapter by chapter, and returns how
// many checks failed.
func (s *Session) walk(defs []chapterDef, chapters []Chapter, todo []position, prog *progress) (int, error) {
	failed, current := 0, -1
	blocked := s.blockedChapters()
	for _, p := range todo {
		def, ch := defs[p.chapter], chapters[p.chapter]
		if p.chapter != current {
			if current >= 0 {
				s.cleanUp() // what the last chapter made goes with it
			}
			current = p.chapter
			s.ui.heading(s.msg.get("where.chapter", p.chapter, len(defs)-1), ch.Title)
			s.ui.markdown(ch.Intro)
			if why, ok := blocked[def.Slug]; ok {
				s.ui.warn(s.msg.get("chapter.blocked", why))
				continue
			}
		}
		if _, ok := blocked[def.Slug]; ok {
			continue
		}
		st := def.Steps[p.step]
		text, _ := textOf(ch, st.ID)
		s.ui.heading(s.msg.get("where.step", p.chapter, p.step+1, len(def.Steps)), text.Title)
		ok, err := s.runStep(st, text)
		if ok {
			prog.markDone(st.ID)
			if err := prog.save(); err != nil {
				s.ui.warn(err.Error())
			}
		}
		if err != nil {
			return failed, err
		}
		if !ok {
			failed++
		}
	}
	return failed, nil
}

// cleanUp removes what the tutorial made: containers and images by their
// prefix, and the processes it started itself.
func (s *Session) cleanUp() {
	for _, cmd := range s.bg {
		if cmd.Process != nil {
			cmd.Process.Kill() // ours: started by Session.background
			cmd.Wait()
		}
	}
	s.bg = nil
	if err := s.k.removeLeftovers(); err != nil {
		s.ui.warn(err.Error())
	}
}

// cleanUpOnSignal makes ^C, a closed terminal or a TERM end the tutorial
// cleanly: the containers and images it made are removed first.
func (s *Session) cleanUpOnSignal() (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for sig := range sigs {
			if sig == os.Interrupt && s.childHasTerminal.Load() {
				continue // the demonstration's ^C, not ours
			}
			s.quitOnSignal(sig)
		}
	}()
	return func() { signal.Stop(sigs); close(sigs) }
}

// quitOnSignal removes what the tutorial made and exits.
func (s *Session) quitOnSignal(sig os.Signal) {
	fmt.Fprintln(os.Stderr)
	s.ui.warn(s.msg.get("quit.signal", sig.String()))
	s.cleanUp()
	os.Exit(130)
}
