// Package tutorial is `kobako tutorial`: hayajo's article 「コンテナ技術入門」,
// chapter by chapter, in Japanese or English. Each step shows what it does
// and why (a Markdown text a teacher can edit: tutorial/ja, tutorial/en),
// the article's shell command and its cgroup v2 twin, the Go code in kobako
// that does the same (quoted from the embedded source), kobako doing it
// with --trace — then a task for the learner in a real container shell,
// and a check that reads the same kernel state the task changed.
//
// This file reads the lesson texts. A chapter is one Markdown file per
// language; HTML comments mark where each step and its parts begin:
//
//	# chapter title
//	intro …
//	## step title
//	<!-- step: ns.uts -->
//	what and why …
//	<!-- task -->  <!-- hint -->  <!-- why -->
//
// (tutorial/README.md is the same, for teachers.)
package tutorial

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed en ja
var texts embed.FS

// Chapter is one chapter's text in one language.
type Chapter struct {
	File  string // "03-namespace.md"
	Title string
	Intro string
	Steps []StepText
}

// StepText is one step's text: its body, and the parts shown around the
// learner's task.
type StepText struct {
	ID, Title             string
	Body, Task, Hint, Why string
}

// loadChapters reads every chapter of one language, in file order.
func loadChapters(lang string) ([]Chapter, error) {
	names, err := fs.Glob(texts, lang+"/[0-9][0-9]-*.md")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var chapters []Chapter
	for _, name := range names {
		data, err := texts.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ch, err := parseChapter(string(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ch.File = path.Base(name)
		chapters = append(chapters, ch)
	}
	if len(chapters) == 0 {
		return nil, fmt.Errorf("no lessons in language %q", lang)
	}
	return chapters, nil
}

// parseChapter splits one chapter file into its title, intro and steps.
func parseChapter(text string) (Chapter, error) {
	var ch Chapter
	var step *StepText
	part := &ch.Intro // where the next line of text goes
	pendingTitle := ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case ch.Title == "" && strings.HasPrefix(line, "# "):
			ch.Title = strings.TrimSpace(line[2:])
		case strings.HasPrefix(line, "## "):
			pendingTitle = strings.TrimSpace(line[3:])
			part = new(string) // a heading without a step marker is dropped
		case strings.HasPrefix(trimmed, "<!-- step:"):
			id := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(trimmed, "<!-- step:"), "-->"))
			ch.Steps = append(ch.Steps, StepText{ID: id, Title: pendingTitle})
			step = &ch.Steps[len(ch.Steps)-1]
			part = &step.Body
		case trimmed == "<!-- task -->" || trimmed == "<!-- hint -->" || trimmed == "<!-- why -->":
			if step == nil {
				return ch, fmt.Errorf("%s before the first step", trimmed)
			}
			part = map[string]*string{"task": &step.Task, "hint": &step.Hint, "why": &step.Why}[strings.Fields(trimmed)[1]]
		default:
			*part += line + "\n"
		}
	}
	if ch.Title == "" {
		return ch, fmt.Errorf("no '# title' line")
	}
	ch.Intro = strings.TrimSpace(ch.Intro)
	for i := range ch.Steps {
		s := &ch.Steps[i]
		s.Body, s.Task, s.Hint, s.Why = strings.TrimSpace(s.Body), strings.TrimSpace(s.Task), strings.TrimSpace(s.Hint), strings.TrimSpace(s.Why)
	}
	return ch, nil
}

// fill replaces the placeholders of a lesson text ({name}, {ip}, …) with
// this run's values; a placeholder with no value is left as it is.
func fill(text string, vars map[string]string) string {
	for k, v := range vars {
		text = strings.ReplaceAll(text, "{"+k+"}", v)
	}
	return text
}
