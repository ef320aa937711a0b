package main

// Shell completion. `kobako completion bash` (or zsh, fish) prints a script
// for the shell to source; `make install` puts it where bash-completion and
// zsh look. The script holds no list of commands: on every TAB it runs the
// command line typed so far with --generate-shell-completion appended, and
// kobako answers with what may come next — subcommands and flags from the
// command tree (urfave/cli does that), and container names from the store
// for the commands that take a container (this file does that).
// See bash(1) "Programmable Completion" and zshcompsys(1).

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

// configureCompletionCommand adjusts the completion command urfave/cli adds:
// it is hidden by default, and kobako wants it in --help.
func configureCompletionCommand(cmd *cli.Command) {
	cmd.Hidden = false
	cmd.Usage = "print a shell script that completes commands, flags and container names"
	for _, shell := range cmd.Commands {
		shell.Usage = "print the script for " + shell.Name
	}
	cmd.Description = `Prints a completion script for bash, zsh or fish. make install puts the bash
and zsh ones in place; to try one in the current shell:

   source <(kobako completion bash)
   source <(kobako completion zsh)

Container names come from the store, which only root may read: a root
shell completes them, a user's shell only commands and flags.`
}

// completeContainerNames walks the command tree and gives every command whose
// arguments begin with a container — whose ArgsUsage starts with CONTAINER,
// as logs, exec, stop, rm … declare — a completion of the containers' names.
// A new command gets it by declaring its ArgsUsage that way.
func completeContainerNames(cmds []*cli.Command) {
	for _, cmd := range cmds {
		first, _, _ := strings.Cut(strings.Trim(cmd.ArgsUsage, "[]"), " ")
		switch {
		case cmd.ShellComplete != nil:
			// The command completes its arguments itself.
		case first == "CONTAINER":
			cmd.ShellComplete = containerCompleter(false)
		case first == "CONTAINER...":
			cmd.ShellComplete = containerCompleter(true)
		}
		completeContainerNames(cmd.Commands)
	}
}

// containerCompleter completes the first argument with container names, and
// every later one too if several containers may be given.
func containerCompleter(several bool) cli.ShellCompleteFunc {
	return func(ctx context.Context, cmd *cli.Command) {
		args := cmd.Args().Slice()
		if n := len(args); n > 0 && strings.HasPrefix(args[n-1], "-") {
			// A flag is being typed: complete it as urfave/cli would.
			cli.DefaultCompleteWithFlags(ctx, cmd)
			return
		}
		if len(args) > 0 && !several {
			return // past the container: its command, or a new name
		}
		g := globals(cmd)
		list, err := container.NewStore(g.root, g.dataRoot, nil).List()
		if err != nil {
			return // no store, or not root: there is nothing to offer
		}
		// "name:description", which the scripts show as "name -- image".
		for _, c := range list {
			fmt.Fprintf(cmd.Root().Writer, "%s:%s\n", c.Name, c.Image)
		}
	}
}
