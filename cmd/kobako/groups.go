package main

// docker's management commands: `kobako container ls`, `kobako image rm`
// … are the same commands as ps and rmi, under docker's second names. The
// groups themselves are container (prune.go) and image (here).

import "github.com/urfave/cli/v3"

// renamed is cmd under another name, with its first name kept as an alias
// (container ls is ps, and container ps works too).
func renamed(cmd *cli.Command, name string, aliases ...string) *cli.Command {
	cmd.Aliases = append(append([]string{cmd.Name}, aliases...), cmd.Aliases...)
	cmd.Name = name
	return cmd
}

// containerAliases join `kobako container`, next to prune.
func containerAliases() []*cli.Command {
	return []*cli.Command{
		renamed(psCommand(), "ls", "list"),
		rmCommand(), createCommand(), runCommand(), startCommand(), stopCommand(), restartCommand(),
		killCommand(), pauseCommand(), unpauseCommand(), updateCommand(), topCommand(), portCommand(),
		inspectCommand(), logsCommand(), execCommand(), attachCommand(), cpCommand(), diffCommand(),
		exportCommand(), statsCommand(), renameCommand(), waitCommand(), commitCommand(),
	}
}

func imageCommand() *cli.Command {
	return &cli.Command{
		Name:  "image",
		Usage: "manage images (docker's second names: image ls is images, image rm is rmi)",
		Commands: []*cli.Command{
			renamed(imagesCommand(), "ls", "list"),
			renamed(rmiCommand(), "rm"),
			importCommand(), loadCommand(), saveCommand(), tagCommand(), historyCommand(),
			pullCommand(), buildCommand(),
		},
	}
}

// withCommands is group with more subcommands.
func withCommands(group *cli.Command, more ...*cli.Command) *cli.Command {
	group.Commands = append(group.Commands, more...)
	return group
}
