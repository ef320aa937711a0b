package tutorial

// The containers a step works in, made with kobako run as a learner would,
// and shown being made: the command line, then kobako's --trace of it.

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// ensure makes sure the container NAME runs: started with `kobako run -d
// --name NAME ARGS…` unless it runs already (a step's Setup is called again
// before each try, and a shell the learner exited is started anew).
func (s *Session) ensure(name string, args ...string) (*Container, error) {
	if c, err := s.k.inspect(name); err == nil {
		if c.Status == "running" {
			return c, nil
		}
		if _, err := s.k.run("rm", "-f", name); err != nil {
			return nil, err
		}
	}
	run := append([]string{"run", "-d", "--name", name}, args...)
	s.ui.dim("$ sudo kobako --trace " + strings.Join(quoteAll(run), " "))
	_, narration, err := s.k.traced(run...)
	s.showTrace(narration)
	if err != nil {
		return nil, err
	}
	return s.k.inspect(name)
}

// shellArgs are the flags of a container whose shell the learner gets:
// a terminal, kept open while nobody is attached (-dit, as docker has it).
func shellArgs(flags ...string) []string {
	return append(append([]string{"-it"}, flags...), "busybox", "sh")
}

// showTrace shows kobako's narration of what it just did: the sections
// under the current step's chapter heading (and the names the trace
// introduces, ID=… ROOTFS=…), at most 40 lines; --trace shows it all.
func (s *Session) showTrace(narration string) {
	var lines []string
	section := ""
	for _, line := range strings.Split(strings.TrimRight(narration, "\n"), "\n") {
		line = strings.TrimPrefix(line, "kobako: trace: ")
		if strings.HasPrefix(line, "── ") {
			section = line
			continue
		}
		if s.inFocus(section) || traceName.MatchString(line) {
			if strings.TrimSpace(line) != "" {
				lines = append(lines, fitTraceLine(line, s.ui.width-6)...)
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	const most = 40
	if len(lines) > most {
		cut := len(lines) - most
		lines = append(append(lines[:most/2:most/2], s.msg.get("trace.cut", cut)), lines[len(lines)-most/2:]...)
	}
	label := s.msg.get("box.trace")
	if s.focus != "" {
		label += " — " + strings.ReplaceAll(s.focus, "|", ", ")
	}
	s.ui.box(label, strings.Join(lines, "\n"))
}

// traceStep splits a trace line: its step, the Go file:line, and the
// shell twin (with the Go call behind ←).
var traceStep = regexp.MustCompile(`^\s+(.+?)\s{2,}(\S+\.go:\d+)\s+(.*)$`)

// fitTraceLine lays one trace line out for a box width wide: as it is when
// it fits, else the step and its file:line, and the shell twin below them.
func fitTraceLine(line string, width int) []string {
	m := traceStep.FindStringSubmatch(line)
	if m == nil || len([]rune(line)) <= width {
		return []string{line}
	}
	return []string{"  " + m[1] + "  " + m[2], "      " + m[3]}
}

// inFocus says whether a trace section (its heading) is one the current
// step shows: its Trace names them, separated by |.
func (s *Session) inFocus(section string) bool {
	if s.focus == "" {
		return true
	}
	for _, f := range strings.Split(s.focus, "|") {
		if strings.Contains(section, f) {
			return true
		}
	}
	return false
}

// traceName matches a line where the trace introduces a name: "  ID=…".
var traceName = regexp.MustCompile(`^\s+[A-Z][A-Z0-9_]*=`)

// exec runs a command in a running container and returns its output.
// Shell twin: kobako exec NAME CMD…
func (s *Session) exec(name string, cmd ...string) (string, error) {
	return s.k.run(append([]string{"exec", name}, cmd...)...)
}

// shell runs one sh -c line in a container, as --yes does the learner's
// typing.
func (s *Session) shell(name, line string) (string, error) {
	s.ui.dim(fmt.Sprintf("$ sudo kobako exec %s sh -c %s", name, quote(line)))
	return s.exec(name, "sh", "-c", line)
}

// background starts kobako ARGS and leaves it running until the chapter
// ends (a second shell in a container, for --yes).
func (s *Session) background(args ...string) error {
	cmd := s.k.command(args...)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start kobako %s: %w", strings.Join(args, " "), err)
	}
	s.bg = append(s.bg, cmd)
	return nil
}

// quote makes one shell word of s, when it needs it.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"$&|;<>()*?[]#~`\\") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = quote(w)
	}
	return out
}
