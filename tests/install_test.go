package tests

// make install and what it installs: the shell completions and the man
// page, both printed by kobako itself from its command tree.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// kobakoOutput runs kobako without a container world (no root needed) and
// returns its stdout, failing the test unless it exits 0.
func kobakoOutput(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(kobako, args...).Output()
	if err != nil {
		t.Fatalf("kobako %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// The bash script, sourced, registers a completion for kobako.
func TestCompletionBash(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		missing(t, "bash: %v", err)
	}
	script := filepath.Join(t.TempDir(), "kobako.bash")
	if err := os.WriteFile(script, []byte(kobakoOutput(t, "completion", "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "-c", `source "$1" && complete -p kobako`, "bash", script).CombinedOutput()
	spec := strings.TrimSpace(string(out))
	if err != nil || !strings.HasPrefix(spec, "complete ") || !strings.HasSuffix(spec, " kobako") {
		t.Errorf("source the script; complete -p kobako: %v\n%s", err, out)
	}
}

// The zsh script is a completion function zsh loads from its fpath by
// its first line.
func TestCompletionZsh(t *testing.T) {
	t.Parallel()
	if script := kobakoOutput(t, "completion", "zsh"); !strings.HasPrefix(script, "#compdef kobako\n") {
		t.Errorf("kobako completion zsh does not start with #compdef kobako:\n%.200s", script)
	}
}

// The scripts ask kobako what may come next: the visible commands, and
// completion is one of them, in --help too.
func TestCompletionCommands(t *testing.T) {
	t.Parallel()
	commands := completedCommands(t)
	for _, want := range []string{"run", "logs", "ps", "completion"} {
		if !commands[want] {
			t.Errorf("completion of kobako's commands lacks %q: %v", want, commands)
		}
	}
	for _, hidden := range []string{"monitor", "man"} {
		if commands[hidden] {
			t.Errorf("completion offers the hidden command %q", hidden)
		}
	}
	if help := kobakoOutput(t, "--help"); !strings.Contains(help, "completion") {
		t.Errorf("kobako --help does not list completion:\n%s", help)
	}
}

// completedCommands is what a TAB after "kobako " offers.
func completedCommands(t *testing.T) map[string]bool {
	t.Helper()
	commands := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(kobakoOutput(t, "--generate-shell-completion")), "\n") {
		name, _, _ := strings.Cut(line, ":")
		commands[name] = true
	}
	return commands
}

// Commands that take a container complete the names in the store (with
// the image as description): for the first argument, or for every one
// where several may be given; a word starting with "-" completes flags.
func TestCompletionContainerNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--name", "done", "busybox", "true")
	for _, tc := range []struct {
		args []string
		want string // a line of the answer; "" for no answer at all
	}{
		{[]string{"logs"}, "done:busybox"},
		{[]string{"rm", "done"}, "done:busybox"},
		{[]string{"logs", "done"}, ""},
		{[]string{"logs", "-"}, "--follow:keep printing new output until the container stops"},
	} {
		out := e.mustRun(append(tc.args, "--generate-shell-completion")...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if (tc.want == "" && out != "") || (tc.want != "" && !slices.Contains(lines, tc.want)) {
			t.Errorf("completion of kobako %s: %q, want %q", strings.Join(tc.args, " "), out, tc.want)
		}
	}
}

// kobako man prints kobako(1): a page with a section for every command,
// made of the roff requests it means to use — a description line that
// began with "." would otherwise be read as a request.
func TestManPage(t *testing.T) {
	t.Parallel()
	page := kobakoOutput(t, "man")
	for _, want := range []string{".TH KOBAKO 1 ", ".SH NAME\nkobako \\- ", ".SH SYNOPSIS", ".SH \"GLOBAL OPTIONS\"", ".SH COMMANDS"} {
		if !strings.Contains(page, want) {
			t.Errorf("kobako man lacks %q", want)
		}
	}
	for name := range completedCommands(t) {
		if !strings.Contains(page, `.SS "kobako `+name+` `) && !strings.Contains(page, `.SS "kobako `+name+`"`) {
			t.Errorf("kobako man has no section for %q", name)
		}
	}
	if !strings.Contains(page, `.SS "kobako run [OPTIONS] IMAGE [COMMAND [ARG...]]"`) {
		t.Errorf("kobako man: no synopsis for run")
	}
	request := regexp.MustCompile(`^\.(TH|SH|SS|PP|TP|nf|fi|B)( |$)`)
	for i, line := range strings.Split(page, "\n") {
		if (strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'")) && !request.MatchString(line) {
			t.Errorf("kobako man, line %d: unexpected roff request %q", i+1, line)
		}
	}
}

// make install DESTDIR=… puts the binaries, both completions and the man
// page in place, and make uninstall takes them away. BIN= makes it install
// the binary under test rather than build one.
func TestInstall(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("make"); err != nil {
		missing(t, "make: %v", err)
	}
	destdir := t.TempDir()
	makeIn := func(target string) {
		t.Helper()
		// The tests run in tests/; the Makefile is one up.
		cmd := exec.Command("make", "-C", "..", "--no-print-directory", target,
			"DESTDIR="+destdir, "PREFIX=/usr", "BIN="+kobako)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
	}
	makeIn("install")

	want := map[string]string{
		"usr/bin/kobako":      readString(t, kobako),
		"usr/bin/kobako-pull": readString(t, filepath.Join(filepath.Dir(kobako), "kobako-pull")),
		"usr/share/bash-completion/completions/kobako": kobakoOutput(t, "completion", "bash"),
		"usr/share/zsh/site-functions/_kobako":         kobakoOutput(t, "completion", "zsh"),
		"usr/share/man/man1/kobako.1":                  kobakoOutput(t, "man"),
	}
	for path, content := range want {
		got, err := os.ReadFile(filepath.Join(destdir, path))
		if err != nil {
			t.Errorf("after make install: %v", err)
		} else if !bytes.Equal(got, []byte(content)) {
			t.Errorf("after make install, %s is not what kobako made", path)
		}
	}
	if fi, err := os.Stat(filepath.Join(destdir, "usr/bin/kobako")); err == nil && fi.Mode().Perm() != 0o755 {
		t.Errorf("installed kobako has mode %v, want 0755", fi.Mode().Perm())
	}

	makeIn("uninstall")
	for path := range want {
		if _, err := os.Stat(filepath.Join(destdir, path)); !os.IsNotExist(err) {
			t.Errorf("after make uninstall, %s: %v, want it gone", path, err)
		}
	}
}
