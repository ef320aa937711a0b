// Command kobako-tutor is the work of `kobako tutorial` and `kobako doctor`,
// in a binary of its own.
//
// The tutorial renders Markdown, boxes and highlighted Go (glamour,
// lipgloss, chroma): megabytes of code and their package inits, which
// every start of the kobako binary would pay for — and kobako starts twice
// for each container, since its init is the same file. So kobako tutorial
// and kobako doctor exec this program, which lives next to kobako (make
// builds both, make install installs both):
//
//	kobako-tutor tutorial --kobako PATH --root DIR --data-root DIR [flags]
//	kobako-tutor doctor   --kobako PATH --root DIR --data-root DIR [flags]
//
// It has two more faces, for the chroot chapter: as "escape" (the name it
// is bound under inside a container) it is the classic chroot escape, and
// as "kobako-tutor chroot-demo-init" the init of the unsafe chroot
// demonstration (tutorial/chrootdemo).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kobako/kobako/tutorial"
	"github.com/kobako/kobako/tutorial/chrootdemo"
	languages "github.com/kobako/kobako/tutorial/lang"
)

func main() {
	if filepath.Base(os.Args[0]) == "escape" {
		os.Exit(chrootdemo.Escape(os.Args[1:]))
	}
	if len(os.Args) > 1 && os.Args[1] == chrootdemo.InitCommand {
		chrootdemo.Init() // never returns
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "kobako-tutor is run by kobako tutorial and kobako doctor: see kobako tutorial --help")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "tutorial":
		os.Exit(tutorialMain(os.Args[2:]))
	case "doctor":
		os.Exit(doctorMain(os.Args[2:]))
	}
	fmt.Fprintf(os.Stderr, "kobako-tutor: no command %q: it is run by kobako tutorial and kobako doctor\n", os.Args[1])
	os.Exit(2)
}

// tutorialMain reads kobako tutorial's flags and runs the course.
func tutorialMain(args []string) int {
	flags := flag.NewFlagSet("kobako tutorial", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	opts := tutorial.Options{In: os.Stdin, Out: os.Stdout}
	flags.StringVar(&opts.Kobako.Path, "kobako", "", "the kobako binary")
	flags.StringVar(&opts.Kobako.Root, "root", "/run/kobako", "kobako's --root")
	flags.StringVar(&opts.Kobako.DataRoot, "data-root", "/var/lib/kobako", "kobako's --data-root")
	flags.StringVar(&opts.Lang, "lang", languages.FromEnv(os.Getenv), "ja or en")
	flags.BoolVar(&opts.List, "list", false, "list the chapters")
	flags.IntVar(&opts.Chapter, "chapter", -1, "only chapter N")
	flags.StringVar(&opts.Step, "step", "", "only step N.M")
	flags.BoolVar(&opts.Reset, "reset", false, "forget the progress")
	flags.BoolVar(&opts.Yes, "yes", false, "do each task, then check it")
	if code, done := parseFlags(flags, args, "tutorial", usage, &opts.Lang); done {
		return code
	}
	if err := prepare(&opts); err != nil {
		fmt.Fprintln(os.Stderr, "kobako:", err)
		return 1
	}
	if err := tutorial.Run(opts); err != nil {
		fmt.Fprintln(os.Stderr, "kobako:", err)
		return 1
	}
	return 0
}

// parseFlags reads a command's flags and says whether it is done already:
// --help printed (exit 0), or a wrong command line told in one line (exit
// 2). lang is the --lang flag's value, read after parsing.
func parseFlags(flags *flag.FlagSet, args []string, verb, help string, lang *string) (code int, done bool) {
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Print(help)
			return 0, true
		}
		fmt.Fprintf(os.Stderr, "kobako: %v (kobako %s --help lists the flags)\n", err, verb)
		return 2, true
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "kobako: %s takes no arguments, only flags: %s (kobako %s --help)\n", verb, strings.Join(flags.Args(), " "), verb)
		return 2, true
	}
	if !languages.Valid(*lang) {
		fmt.Fprintf(os.Stderr, "kobako: --lang %s: kobako %s speaks ja and en\n", *lang, verb)
		return 2, true
	}
	return 0, false
}

// prepare finds what the tutorial needs beside its flags: root, the
// kobako binary, this binary (for escape), a busybox.
func prepare(opts *tutorial.Options) error {
	if os.Geteuid() != 0 && !opts.List && !opts.Reset {
		return errors.New("the tutorial makes containers, cgroups and a bridge: run it as root (sudo kobako tutorial)")
	}
	if opts.Kobako.Path == "" {
		return errors.New("kobako-tutor is run by kobako tutorial: see kobako tutorial --help")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find kobako-tutor: %w", err)
	}
	opts.Tutor = self
	for _, path := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(path); err == nil {
			opts.Busybox = path
			break
		}
	}
	return nil
}

const usage = `Usage: kobako tutorial [--lang ja|en] [--list] [--chapter N] [--step N.M] [--reset] [--yes]

Walks you through the article 「コンテナ技術入門」, chapter by chapter: what each
step does and why, the article's shell command (and its cgroup v2 twin),
the Go code in kobako that does the same, kobako doing it with --trace,
then a task for you in a real container shell, and a check of what you
did, read from the kernel itself.

  --lang ja|en   the language (default: from LC_ALL, LC_MESSAGES, LANG)
  --list         the chapters and their steps, with what you have done
  --chapter N    only chapter N (0 to 9, as --list numbers them)
  --step N.M     only step M of chapter N
  --reset        forget what you have done
  --yes          no questions: kobako does each task itself, then checks it

Without --chapter or --step the tutorial goes on where you stopped.
At the prompt: Enter goes on (to the container shell, or checks),
hint, why, skip, quit. In a container's shell, ctrl-p ctrl-q comes back
here and keeps the container running.

Examples:
  sudo kobako tutorial
  sudo kobako tutorial --lang ja --chapter 3
  sudo kobako tutorial --list
`
