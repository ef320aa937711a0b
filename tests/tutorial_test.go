package tests

// kobako tutorial, end to end: every chapter passes with --yes in both
// languages and leaves the host as it was; a learner at a terminal gets ✓
// for a right answer and ✗ and a hint for a wrong one; ^C in the middle of
// the network chapter leaves nothing behind. The network chapter runs in a
// network namespace the test made (newBridgeEnv), so its bridge, veths and
// nftables table never touch the host's.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// tutorialSteps is how many steps the course has (kobako tutorial --list).
const tutorialSteps = 19

// hostTraces is what a tutorial may not leave behind, beyond what newEnv
// and newBridgeEnv check (mounts, state, links, nftables): kobako's
// cgroups and the env's images.
type hostTraces struct {
	cgroups []string
	images  string
}

func (e *env) traces() hostTraces {
	e.t.Helper()
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/kobako/*")
	v2, _ := filepath.Glob("/sys/fs/cgroup/kobako/*")
	dirs = append(dirs, v2...)
	var cgroups []string
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			cgroups = append(cgroups, d)
		}
	}
	slices.Sort(cgroups)
	// the images' names and layers (their ages change as the test runs)
	var images []string
	for _, line := range strings.Split(e.mustRun("images"), "\n") {
		if f := strings.Fields(line); len(f) >= 4 {
			images = append(images, f[0]+" "+f[3])
		}
	}
	return hostTraces{cgroups: cgroups, images: strings.Join(images, "\n")}
}

func (e *env) expectSameTraces(before hostTraces) {
	e.t.Helper()
	after := e.traces()
	if !slices.Equal(after.cgroups, before.cgroups) {
		e.t.Errorf("cgroups after the tutorial: %v, before: %v", after.cgroups, before.cgroups)
	}
	if after.images != before.images {
		e.t.Errorf("images after the tutorial:\n%s\nbefore:\n%s", after.images, before.images)
	}
	out := e.mustRun("ps", "-a", "--format", "{{.Names}}")
	if strings.Contains(out, "kobako-tutorial-") {
		e.t.Errorf("the tutorial left containers: %s", out)
	}
}

// Every chapter, kobako doing each task: each of the 19 checks passes,
// in English and in Japanese, and nothing is left.
func TestTutorialYes(t *testing.T) {
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			e := tutorialEnv(t)
			e.mustRun("run", "--rm", "busybox", "true") // the busybox image, before the snapshot
			before := e.traces()
			out, stderr, err := e.runOutput(5*time.Minute, "tutorial", "--yes", "--lang", lang)
			// a check's verdict starts its line: ✓ passed, ✗ failed. The
			// failed ones and what led to them come first: a CI log may
			// keep only the start of a long transcript.
			passed := len(regexp.MustCompile(`(?m)^✓ `).FindAllString(out, -1))
			if failed := failedChecks(out); err != nil || passed != tutorialSteps || failed != "" {
				t.Fatalf("kobako tutorial --yes --lang %s: %v; %d of %d checks passed\nfailed checks, each after the lines that led to it:\n%s\nstderr:\n%s\nstdout:\n%s",
					lang, err, passed, tutorialSteps, failed, stderr, out)
			}
			if lang == "ja" {
				expectJapanese(t, out)
			}
			e.expectSameTraces(before)
			// progress: all done, as --list shows
			list := e.mustRun("tutorial", "--list", "--lang", lang)
			if strings.Count(list, "✓") != tutorialSteps+10 {
				t.Errorf("--list after a full run:\n%s", list)
			}
		})
	}
}

// runOutput runs kobako for at most limit, for a command that takes
// minutes, and returns its stdout, its stderr and how it exited.
func (e *env) runOutput(limit time.Duration, args ...string) (stdout, stderr string, err error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := e.command(ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// failedChecks is every ✗ line of a tutorial transcript with the 12 lines
// before it.
func failedChecks(transcript string) string {
	lines := strings.Split(transcript, "\n")
	var b strings.Builder
	for i, line := range lines {
		if strings.HasPrefix(line, "✗ ") {
			b.WriteString("  ⋮\n" + strings.Join(lines[max(0, i-12):i+1], "\n") + "\n")
		}
	}
	return b.String()
}

// lessonHint is the first words of a step's hint in the English lesson,
// as the tutorial shows them (a teacher may change the text: the test
// reads it).
func lessonHint(t *testing.T, file, step string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "tutorial", "en", file))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, "<!-- step: "+step+" -->")
	j := strings.Index(text[max(i, 0):], "<!-- hint -->")
	if i < 0 || j < 0 {
		t.Fatalf("%s: no hint for %s", file, step)
	}
	hint := strings.Fields(text[i+j+len("<!-- hint -->"):])
	return strings.Join(hint[:4], " ")
}

// tutorialEnv is where a whole tutorial runs: in a network namespace of
// the test's own on a host, or in the v2 guest as it is — a VM with no
// network but its own, and without the nft and nsenter a test namespace
// needs.
func tutorialEnv(t *testing.T) *env {
	if inGuest() {
		return newEnv(t)
	}
	e, _ := newBridgeEnv(t)
	return e
}

// expectJapanese fails when a line of the tutorial's own words is English:
// a check's verdict (✓/✗ lines) or a heading must have kana or kanji.
func expectJapanese(t *testing.T, out string) {
	t.Helper()
	japanese := regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}]`)
	for _, line := range strings.Split(out, "\n") {
		if (strings.HasPrefix(line, "✓ ") || strings.HasPrefix(line, "✗ ") || strings.HasPrefix(line, "== ")) && !japanese.MatchString(line) {
			t.Errorf("English in the Japanese tutorial: %q", line)
		}
	}
}

// A learner at a terminal: nothing done is ✗ with a way on, hint shows
// the hint, the right command is ✓.
func TestTutorialInteractive(t *testing.T) {
	t.Setenv("NO_COLOR", "1") // plain text, so the test reads words, not escapes
	e := newEnv(t)
	e.mustRun("run", "--rm", "busybox", "true")
	before := e.traces()
	term := e.startOnTerminal(40, 120, "tutorial", "--lang", "en", "--step", "3.2")
	term.waitOutput(t, "open the shell of kobako-tutorial-ns")
	term.ptmx.Write([]byte("\r"))
	term.waitOutput(t, "attached to kobako-tutorial-ns")
	time.Sleep(300 * time.Millisecond)
	term.ptmx.Write([]byte{0x10, 0x11}) // ctrl-p ctrl-q, having done nothing
	term.waitOutput(t, "✗")
	term.waitOutput(t, "Not yet")
	term.ptmx.Write([]byte("hint\r"))
	term.waitOutput(t, lessonHint(t, "03-namespace.md", "ns.uts"))
	term.ptmx.Write([]byte("\r"))
	waitFor(t, "the second attach", func() bool { return strings.Count(term.output(), "attached to kobako-tutorial-ns") == 2 })
	time.Sleep(300 * time.Millisecond)
	term.ptmx.Write([]byte("hostname kobako-was-here\r"))
	time.Sleep(500 * time.Millisecond)
	term.ptmx.Write([]byte{0x10, 0x11})
	term.waitOutput(t, "is now called kobako-was-here")
	term.waitOutput(t, "next step")
	term.ptmx.Write([]byte("\r"))
	out, code := term.wait(t)
	if code != 0 {
		t.Errorf("kobako tutorial --step 3.2: exit %d\n%s", code, out)
	}
	e.expectSameTraces(before)
}

// ^C at the network chapter's prompt: kobako removes its containers, the
// bridge and the nftables table before it exits (newBridgeEnv checks
// links and nftables; expectSameTraces the rest).
func TestTutorialInterrupted(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	e, ns := newBridgeEnv(t)
	e.mustRun("run", "--rm", "busybox", "true")
	before := e.traces()
	term := e.startOnTerminal(40, 120, "tutorial", "--lang", "en", "--chapter", "8")
	term.waitOutput(t, "open the shell of kobako-tutorial-client")
	if links := ns.links(); !slices.ContainsFunc(links, func(l string) bool { return strings.Contains(l, "kobako0") }) {
		t.Fatalf("no bridge while the network chapter runs: %v", links)
	}
	term.ptmx.Write([]byte{0x03}) // ^C
	out, code := term.wait(t)
	if code != 130 {
		t.Errorf("^C: exit %d, want 130\n%s", code, out)
	}
	e.expectSameTraces(before)
}

// Bad flags: one line that says what to do, exit 2, nothing made.
func TestTutorialBadFlags(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{
		{"tutorial", "--lang", "fr"},
		{"tutorial", "--step", "42.1"},
		{"tutorial", "--chapter", "12"},
		{"tutorial", "--bogus"},
	} {
		_, stderr, code := e.run(args...)
		if code == 0 {
			t.Errorf("kobako %s: exit 0", strings.Join(args, " "))
		}
		checkOneLineError(t, stderr, "kobako:")
	}
	if ids := e.containerIDs(); len(ids) > 0 {
		t.Errorf("bad flags made containers: %v", ids)
	}
}
