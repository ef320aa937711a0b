package trace

// How one step looks on the terminal. The columns are how long the step
// took (since the previous line of the same process), the step, where in
// kobako it happened, and its shell twin, last because it is the one that
// can be long (a mount's options, capsh's list of capabilities). The Go
// call follows only when it teaches something the shell twin does not, so
// that a line stays short enough to read at a glance:
//
//	kobako: trace: ── ネットワーク (network) ──
//	kobako: trace:     0.31ms  loopback up                          runtime/initproc/loopback.go:22 ip link set lo up  ← ioctl(SIOCSIFFLAGS, lo, IFF_UP)
//	kobako: trace: ✗   0.02ms  set hostname                         runtime/initproc/hostname.go:24 hostname $ID — sethostname: operation not permitted

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// prefix marks kobako's narration among the container's own output.
const prefix = "kobako: trace: "

// Column widths, in characters: most steps and file:lines fit, and the
// few that do not push the rest of their line along. A duration is as wide
// up to 9999 seconds.
const (
	tookWidth  = 8
	stepWidth  = 36
	whereWidth = 28
)

// stepIndent is where a step's name starts after the prefix: past the
// mark (✗ or -) and the duration. A name's introduction starts there too
// (names.go).
var stepIndent = strings.Repeat(" ", 2+tookWidth+2)

// line is one report: a step, a note or a skipped step.
type line struct {
	step, shell string
	call        string // "" for a note or a skip
	err         error
	skipped     bool
}

// heading is the line that opens a chapter.
func heading(chapter string) string {
	return prefix + "── " + chapter + " ──\n"
}

// format lays l out; where is its file:line, took the time it took in
// nanoseconds, and short abbreviates.
func (l line) format(m Mode, where string, took int64, short func(string) string) string {
	mark := "  "
	switch {
	case l.err != nil:
		mark = "✗ "
	case l.skipped:
		mark = "- "
	}
	var b strings.Builder
	b.WriteString(prefix + mark)
	b.WriteString(duration(took) + "  ")
	b.WriteString(pad(short(l.step), stepWidth) + " ")
	b.WriteString(pad(where, whereWidth) + " ")
	b.WriteString(short(l.shell))
	if call := l.shownCall(m); call != "" {
		b.WriteString("  ← " + short(call))
	}
	if l.err != nil {
		b.WriteString(" — " + short(l.err.Error()))
	}
	b.WriteString("\n")
	return b.String()
}

// duration is how long a step took, right-aligned in tookWidth characters:
// milliseconds with two decimals ("  0.42ms"), seconds from one second on
// ("   1.20s").
func duration(ns int64) string {
	ms := float64(ns) / 1e6
	if ms < 1000 {
		return fmt.Sprintf("%*.2fms", tookWidth-2, ms)
	}
	return fmt.Sprintf("%*.2fs", tookWidth-1, ms/1000)
}

// shownCall is the Go call as the line shows it: whole with --trace=all,
// otherwise only the function's name, and nothing when that name just
// repeats the shell twin (unix.Mount behind mount, os.Mkdir behind mkdir).
func (l line) shownCall(m Mode) string {
	if l.call == "" || l.call == "-" {
		return ""
	}
	if m.All {
		return l.call
	}
	name := funcName(l.call)
	if repeats(name, l.shell) {
		return ""
	}
	return name
}

// funcName is the Go function a call text starts with: "unix.Mount" of
// `unix.Mount("proc", …)`, "exec.Cmd" of `exec.Cmd{Path: …}`.
func funcName(call string) string {
	if i := strings.IndexAny(call, "({ "); i > 0 {
		return strings.TrimRight(call[:i], ",")
	}
	return call
}

// repeats reports whether the Go function name says what the shell twin's
// command already says: Sethostname and hostname, PivotRoot and
// pivot_root, Mknodat and mknod.
func repeats(name, shell string) bool {
	fields := strings.Fields(shell)
	if len(fields) == 0 {
		return false
	}
	fn := simplify(name[strings.LastIndex(name, ".")+1:])
	command := simplify(fields[0])
	return command != "" && strings.Contains(fn, command)
}

// simplify lowercases s and keeps only its letters.
func simplify(s string) string {
	return strings.Map(func(r rune) rune {
		if !unicode.IsLetter(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// pad fills s with spaces to width characters; a longer s gets one more,
// so that the next column still stands apart.
func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s + " "
}
