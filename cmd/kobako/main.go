// Command kobako is an educational container runtime: it does, step by step
// and in native Go, what the article "コンテナ技術入門" does by hand with
// unshare, mount, hostname, pivot_root and friends.
//
// This file wires the commands together and turns errors into exit codes.
// Each command lives in its own file (run.go, ps.go, import.go …) and does no
// kernel work itself: it turns flags into a request for the packages below.

// Go 1.25+ sizes GOMAXPROCS from the cgroup's CPU limit, which keeps
// /sys/fs/cgroup files open in every process — a host handle runc leaked
// into containers once (CVE-2024-21626). kobako needs no such tuning.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"
)

func main() {
	// A careless caller may hand us descriptors without close-on-exec; none
	// of them may reach a container. Mark every one above stderr now (runc
	// does the same). kobako's own inherited fds (the init's 3–6, the
	// monitor's report pipe) still work here: this only closes them at exec.
	unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)

	code := run(os.Args)
	finishTrace() // --trace=time: the table of where the time went
	os.Exit(code)
}

// run executes the command line and returns the process exit status.
// runc's command line, which engines speak, has an app of its own
// (oci.go); oci_dispatch.go says how it is recognised.
func run(args []string) int {
	cli.VersionPrinter = func(cmd *cli.Command) { printVersion(cmd.Root().Writer) }
	if help, ok := ociHelpArgs(args); ok {
		return runOCI(help, commandLine{})
	}
	people := commands()
	line, ok := engineCommandLine(args, people)
	if ok {
		return runOCI(args, line)
	}
	app := &cli.Command{
		Name:  "kobako",
		Usage: "a small box: an educational container runtime",
		Description: `kobako builds containers the way the article "コンテナ技術入門" does by hand —
unshare, mount proc, bind /dev, hostname, pivot_root — but in Go, one kernel
call at a time. Add --trace to any command to see each step with its shell twin.

Start here:
   sudo kobako run -it --rm busybox sh

Engines (Docker, podman, containerd) run kobako as they run runc, with runc's
command line: kobako help oci.`,
		Version:                version,
		Flags:                  globalFlags(),
		Commands:               neededCommands(people, line.verb, args),
		UseShortOptionHandling: true,
		Suggest:                true,
		HideHelpCommand:        true,
		// kobako completion bash|zsh, and the answers to its TABs: completion.go.
		EnableShellCompletion:           true,
		ConfigureShellCompletionCommand: configureCompletionCommand,
		// Errors are printed once, by us, with the exit code they carry.
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
	}
	completeContainerNames(app.Commands)
	// A mistyped flag or command gets one line, not the help (errors.go).
	oneLineErrors(app, args)
	err := app.Run(context.Background(), args)
	if err == nil {
		return 0
	}
	var exit *exitError
	if errors.As(err, &exit) {
		if exit.err != nil {
			fmt.Fprintf(os.Stderr, "kobako: %v\n", stateRootHint(app, exit.err))
		}
		return exit.code
	}
	fmt.Fprintf(os.Stderr, "kobako: %v\n", stateRootHint(app, err))
	return 1
}

func commands() []*cli.Command {
	return []*cli.Command{
		runCommand(),
		createCommand(),
		execCommand(),
		cpCommand(),
		diffCommand(),
		exportCommand(),
		logsCommand(),
		attachCommand(),
		startCommand(),
		stopCommand(),
		restartCommand(),
		killCommand(),
		pauseCommand(),
		eventsCommand(),
		unpauseCommand(),
		updateCommand(),
		topCommand(),
		portCommand(),
		waitCommand(),
		renameCommand(),
		withCommands(containerCommand(), containerAliases()...),
		psCommand(),
		rmCommand(),
		inspectCommand(),
		statsCommand(),
		infoCommand(),
		importCommand(),
		pullCommand(),
		historyCommand(),
		commitCommand(),
		buildCommand(),
		imagesCommand(),
		imageCommand(),
		tagCommand(),
		saveCommand(),
		loadCommand(),
		systemCommand(),
		volumeCommand(),
		rmiCommand(),
		versionCommand(),
		tutorialCommand(),
		doctorCommand(),
		monitorCommand(),
		manCommand(),
	}
}

// neededCommands is the one command of cmds that args run. urfave/cli
// sets up every command of the tree it is given (help flags, categories)
// before it parses a flag — kobako has some 80, 0.3 ms of every start
// (docs/bench.md) — and a command needs only itself. Help, completion,
// the manual page (wholeTreeVerbs) and a verb nobody knows (the
// suggestion) get them all.
func neededCommands(cmds []*cli.Command, verb string, args []string) []*cli.Command {
	if slices.Contains(wholeTreeVerbs, verb) {
		return cmds
	}
	for _, a := range args[1:] {
		if a == "--help" || a == "-h" || a == "--generate-shell-completion" {
			return cmds
		}
	}
	for _, c := range cmds {
		if slices.Contains(c.Names(), verb) {
			return []*cli.Command{c}
		}
	}
	return cmds
}

// wholeTreeVerbs are the commands that read the whole command tree.
var wholeTreeVerbs = []string{"help", "man", "completion"}

// exitError carries the exit status a command wants, docker's convention:
// 125 when kobako itself failed, 126/127 when the command could not be
// executed or found, the container's own status otherwise. A nil err means
// "exit quietly with this code" (the container already said what it had to).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }
