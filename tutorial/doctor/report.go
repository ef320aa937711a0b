package doctor

// The report: findings in groups, each with a mark, a title, what it
// means and what to do, and a last line saying which chapters can run.
// Colour (lipgloss) only when asked — the caller asks when stdout is a
// terminal and NO_COLOR is unset; a pipe or a file gets plain text.

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// marks are the per-status symbols of the report.
var marks = [...]string{OK: "✓", Note: "ℹ", Warn: "!", Fail: "✗"}

// markColors are the ANSI colours of the marks: green, blue, yellow, red.
var markColors = [...]lipgloss.Color{OK: "2", Note: "4", Warn: "3", Fail: "1"}

// Write prints the report of fs in language l on w.
func Write(w io.Writer, l string, fs []Finding, color bool) error {
	c, err := LoadCatalogue(l)
	if err != nil {
		return err
	}
	r := lipgloss.NewRenderer(w)
	r.SetColorProfile(termenv.Ascii)
	if color {
		r.SetColorProfile(termenv.ANSI)
	}
	heading := r.NewStyle().Bold(true).Foreground(lipgloss.Color("5"))
	title := r.NewStyle().Bold(true)
	faint := r.NewStyle().Faint(true)

	var b strings.Builder
	fmt.Fprintln(&b, title.Render(c.must("ui", "header", nil)))
	for _, g := range Groups {
		first := true
		for _, f := range fs {
			if f.Group != g {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n%s\n", heading.Render(c.must("group", g, nil)))
				first = false
			}
			writeFinding(&b, c, f, r.NewStyle().Foreground(markColors[f.Status]).Bold(true), title, faint)
		}
	}
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, summary(c, fs))
	_, err = io.WriteString(w, b.String())
	return err
}

// writeFinding prints one finding:
//
//	✗ overlayfs
//	    This kernel has no overlayfs …
//	    → Load it: modprobe overlay
//	    Stops: Copy on Write, …
func writeFinding(b *strings.Builder, c *Catalogue, f Finding, mark, title, faint lipgloss.Style) {
	e := c.Explain(f)
	fmt.Fprintf(b, "  %s %s\n", mark.Render(marks[f.Status]), title.Render(e.Title))
	indent(b, e.Text, "    ")
	if e.Fix != "" {
		indent(b, c.must("ui", "fix", map[string]string{"fix": e.Fix}), "    ")
	}
	if f.Status != OK && len(f.Blocks) > 0 {
		fmt.Fprintf(b, "    %s\n", faint.Render(c.must("ui", "blocks", map[string]string{"chapters": chapterNames(c, f.Blocks)})))
	}
}

// indent writes text, every line prefixed.
func indent(b *strings.Builder, text, prefix string) {
	for _, line := range strings.Split(text, "\n") {
		fmt.Fprintf(b, "%s%s\n", prefix, line)
	}
}

// chapterNames is the chapters' titles in c's language, in order.
func chapterNames(c *Catalogue, slugs []string) string {
	names := make([]string, 0, len(slugs))
	for _, ch := range Chapters {
		for _, s := range slugs {
			if s == ch {
				names = append(names, c.must("chapter", ch, nil))
			}
		}
	}
	sep, _ := c.Text("ui", "list-separator", nil)
	return strings.Join(names, sep)
}

// summary is the report's last line: every chapter can run, or which
// cannot.
func summary(c *Catalogue, fs []Finding) string {
	ok, blocked := Runnable(fs)
	if ok {
		return c.must("ui", "runnable", nil)
	}
	slugs := make([]string, 0, len(blocked))
	for ch := range blocked {
		slugs = append(slugs, ch)
	}
	return c.must("ui", "blocked", map[string]string{"chapters": chapterNames(c, slugs)})
}

// jsonFinding is a finding as WriteJSON prints it.
type jsonFinding struct {
	ID      string            `json:"id"`
	Group   string            `json:"group"`
	Status  Status            `json:"status"`
	Variant string            `json:"variant"`
	Blocks  []string          `json:"blocks"`
	Args    map[string]string `json:"args"`
	Title   string            `json:"title"`
	Text    string            `json:"text"`
	Fix     string            `json:"fix,omitempty"`
}

// jsonReport is what WriteJSON prints: whether every chapter can run,
// which cannot (chapter → finding ids), and every finding in words.
type jsonReport struct {
	Lang     string              `json:"lang"`
	Runnable bool                `json:"runnable"`
	Blocked  map[string][]string `json:"blocked"`
	Findings []jsonFinding       `json:"findings"`
}

// WriteJSON prints fs as JSON for scripts (kobako doctor --json | jq),
// with the texts in language l.
func WriteJSON(w io.Writer, l string, fs []Finding) error {
	c, err := LoadCatalogue(l)
	if err != nil {
		return err
	}
	ok, blocked := Runnable(fs)
	rep := jsonReport{Lang: c.Lang, Runnable: ok, Blocked: blocked, Findings: make([]jsonFinding, 0, len(fs))}
	for _, f := range fs {
		e := c.Explain(f)
		blocks, args := f.Blocks, f.Args
		if blocks == nil {
			blocks = []string{}
		}
		if args == nil {
			args = map[string]string{}
		}
		rep.Findings = append(rep.Findings, jsonFinding{ID: f.ID, Group: f.Group, Status: f.Status, Variant: f.Variant,
			Blocks: blocks, Args: args, Title: e.Title, Text: e.Text, Fix: e.Fix})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}
