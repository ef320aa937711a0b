// kobako tutorial and kobako doctor: the article, chapter by chapter, and a
// check of this host. Both are the work of kobako-tutor, a binary next to
// kobako: rendering Markdown, boxes and colour takes libraries (glamour,
// lipgloss, chroma) that every container's start would pay for if kobako
// linked them — kobako is every container's init too. So these commands
// hand their whole command line over, as kobako pull hands its own to
// kobako-pull.
package main

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"github.com/urfave/cli/v3"
)

func tutorialCommand() *cli.Command {
	return &cli.Command{
		Name:      "tutorial",
		Usage:     "learn how containers work: the article 「コンテナ技術入門」, chapter by chapter",
		UsageText: "kobako tutorial [--lang ja|en] [--list] [--chapter N] [--step N.M] [--reset] [--yes]",
		Description: `Walks you through hayajo's article, one chapter at a time: what each step
does and why, the article's shell command (and its cgroup v2 twin), the Go
code in kobako that does the same, kobako doing it with --trace — then a
task for you, in a real container shell, and a check of what you did,
read from the kernel itself.

   --lang ja|en    the language (default: from LC_ALL, LC_MESSAGES, LANG)
   --list          the chapters, and which you have done
   --chapter N     start at chapter N; --step N.M at one step
   --reset         forget your progress
   --yes           no questions: kobako does each task itself, then checks it

At the prompt after a task: Enter checks, hint, why, skip, quit.

Examples:
   sudo kobako tutorial
   sudo kobako tutorial --lang ja --chapter 3`,
		SkipFlagParsing: true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return execTutor(cmd, "tutorial")
		},
	}
}

func doctorCommand() *cli.Command {
	return &cli.Command{
		Name:      "doctor",
		Usage:     "check this host: what each tutorial chapter needs, and why the 2019 commands differ here",
		UsageText: "kobako doctor [--lang ja|en] [--json]",
		Description: `Checks what containers need from this host — root, the kernel, the cgroup
version and its controllers, overlayfs, user namespaces (and Ubuntu 24.04's
AppArmor restriction of them), seccomp, idmapped mounts, nftables and
ip_forward, busybox, binfmt — and explains each finding with what to do.
For readers of the 2019 article it also says why its commands act
differently on this host.

Exit status 0 when every tutorial chapter can run here, 1 otherwise.

Examples:
   sudo kobako doctor
   kobako doctor --json | jq .`,
		SkipFlagParsing: true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return execTutor(cmd, "doctor")
		},
	}
}

// execTutor replaces this process by kobako-tutor VERB, with kobako's own
// path and global flags first and the person's arguments after them.
func execTutor(cmd *cli.Command, verb string) error {
	helper, err := helperBinary("kobako-tutor")
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find kobako: %w", err)
	}
	g := globals(cmd)
	argv := []string{"kobako-tutor", verb, "--kobako", self, "--root", g.root, "--data-root", g.dataRoot}
	argv = append(argv, cmd.Args().Slice()...)
	// exec kobako-tutor …: its exit status and signals are ours
	return fmt.Errorf("exec %s: %w", helper, syscall.Exec(helper, argv, os.Environ()))
}
