package tutorial

// What the learner sees. On a terminal: Markdown rendered by glamour, boxes
// and colours by lipgloss, Go code highlighted (glamour uses chroma). When
// stdout is not a terminal, or NO_COLOR is set, the same words as plain
// text — for a log, a screen reader, or a test.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/glamour"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"
)

// UI writes the tutorial's screens and reads the learner's answers.
type UI struct {
	out    io.Writer
	in     *bufio.Reader
	styled bool // colour, boxes, rendered Markdown
	width  int
	md     *glamour.TermRenderer
	codeMD *glamour.TermRenderer // for code in a box: narrower, by the box's edges
}

// newUI decides how to draw: styled only on a terminal without NO_COLOR.
func newUI(in io.Reader, out *os.File) *UI {
	u := &UI{out: out, in: bufio.NewReader(in), width: 80}
	fd := int(out.Fd())
	if term.IsTerminal(fd) && os.Getenv("NO_COLOR") == "" {
		u.styled = true
		if w, _, err := term.GetSize(fd); err == nil && w > 40 {
			u.width = min(w, 100)
		}
		// glamour's "auto" asks the terminal its background colour and
		// waits for the answer; dark is the common case and needs no round trip
		// The lessons are wrapped by hand (Japanese after 、 and 。: glamour
		// wraps only at spaces), and kept so: glamour's own reflow also
		// breaks lines early around inline code.
		u.md, _ = glamour.NewTermRenderer(glamour.WithStandardStyle("dark"),
			glamour.WithWordWrap(u.width-4), glamour.WithPreservedNewLines())
		u.codeMD, _ = glamour.NewTermRenderer(glamour.WithStandardStyle("dark"),
			glamour.WithWordWrap(u.width-8), glamour.WithPreservedNewLines())
	}
	return u
}

var (
	titleStyle = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12"))
	dimStyle   = lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	okStyle    = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("10"))
	failStyle  = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("9"))
	warnStyle  = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("11"))
	boxStyle   = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("8")).Padding(0, 1)
)

// capture runs fn with what it shows held back, and returns that.
func (u *UI) capture(fn func() error) ([]byte, error) {
	out := u.out
	var held bytes.Buffer
	u.out = &held
	defer func() { u.out = out }()
	err := fn()
	return held.Bytes(), err
}

// flush shows what capture held back.
func (u *UI) flush(held []byte) {
	u.out.Write(held)
}

// markdown shows a lesson text.
func (u *UI) markdown(text string) {
	if text == "" {
		return
	}
	if u.styled {
		if out, err := u.md.Render(text); err == nil {
			fmt.Fprint(u.out, out)
			return
		}
	}
	fmt.Fprintf(u.out, "%s\n\n", text)
}

// heading shows where the learner is: the chapter, the step, and how far.
func (u *UI) heading(where, title string) {
	if u.styled {
		fmt.Fprintf(u.out, "\n%s  %s\n", dimStyle.Render(where), titleStyle.Render(title))
		return
	}
	fmt.Fprintf(u.out, "\n== %s — %s ==\n\n", where, title)
}

// box shows a labelled block: a shell command, a trace, a picture.
func (u *UI) box(label, body string) {
	body = strings.TrimRight(body, "\n")
	if u.styled {
		// a long line (a capsh list, mount options) is cut, not wrapped:
		// wrapped, it would break the columns of every line around it
		lines := strings.Split(body, "\n")
		for i, l := range lines {
			lines[i] = ansi.Truncate(l, u.width-6, "…")
		}
		body = strings.Join(lines, "\n")
		fmt.Fprintln(u.out, dimStyle.Render(label))
		fmt.Fprintln(u.out, boxStyle.Width(u.width-2).Render(body))
		return
	}
	fmt.Fprintf(u.out, "--- %s\n%s\n---\n", label, body)
}

// code shows source (lang "go" or "sh") in a box, highlighted on a terminal.
func (u *UI) code(label, lang, src string) {
	if u.styled {
		if out, err := u.codeMD.Render("```" + lang + "\n" + src + "\n```"); err == nil {
			fmt.Fprintln(u.out, dimStyle.Render(label))
			fmt.Fprintln(u.out, boxStyle.Width(u.width-2).Render(strings.Trim(out, "\n")))
			return
		}
	}
	u.box(label, src)
}

// say shows one line of the tutorial's own.
func (u *UI) say(text string) {
	fmt.Fprintln(u.out, text)
}

// dim shows a line that matters less (a command being run, a note).
func (u *UI) dim(text string) {
	if u.styled {
		text = dimStyle.Render(text)
	}
	fmt.Fprintln(u.out, text)
}

// warn shows a line that must not be missed.
func (u *UI) warn(text string) {
	if u.styled {
		text = warnStyle.Render(text)
	}
	fmt.Fprintln(u.out, text)
}

// result shows a check's verdict and what it measured.
func (u *UI) result(r Result) {
	mark, style := "✓", okStyle
	if !r.OK {
		mark, style = "✗", failStyle
	}
	for i, line := range r.Lines {
		prefix := "  "
		if i == 0 {
			prefix = mark + " "
		}
		if u.styled && i == 0 {
			line = style.Render(prefix + line)
			prefix = ""
		}
		fmt.Fprintln(u.out, prefix+line)
	}
}

// prompt asks and returns the learner's line, trimmed. io.EOF (^D, or no
// terminal) reads as "quit".
func (u *UI) prompt(question string) string {
	if u.styled {
		question = titleStyle.Render(question)
	}
	fmt.Fprint(u.out, question+" ")
	line, err := u.in.ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(u.out)
		return "quit"
	}
	return strings.TrimSpace(line)
}

// gauge draws one live line: a bar of frac (0..1 of a core) with the band
// [lo, hi] the check expects. On a terminal it redraws in place.
func (u *UI) gauge(label string, frac, lo, hi float64, throttled uint64) {
	const cells = 40
	bar := make([]rune, cells)
	for i := range bar {
		x := (float64(i) + 0.5) / cells
		switch {
		case x <= frac:
			bar[i] = '█'
		case x >= lo && x <= hi:
			bar[i] = '┄'
		default:
			bar[i] = ' '
		}
	}
	line := fmt.Sprintf("%s [%s] %.2f  nr_throttled %d", label, string(bar), frac, throttled)
	if u.styled {
		fmt.Fprintf(u.out, "\r%s\x1b[K", line)
		return
	}
	fmt.Fprintln(u.out, line)
}

// endGauge ends a line the gauge redrew in place.
func (u *UI) endGauge() {
	if u.styled {
		fmt.Fprintln(u.out)
	}
}
