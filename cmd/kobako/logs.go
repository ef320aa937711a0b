package main

import (
	"context"
	"errors"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "show what a detached container wrote",
		ArgsUsage: "CONTAINER",
		Description: `Prints the output of a container started with run -d. Its monitor reads
everything the container writes and keeps it in container.log, one line per
record with the time and the stream — what it wrote on stdout comes out on
your stdout, what it wrote on stderr on your stderr. -f keeps printing new
output until the container stops; -t shows when each line was written.

Examples:
   sudo kobako logs web
   sudo kobako logs -f --tail 10 web
   sudo kobako logs -t web 2>/dev/null       # stdout only, with times`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing new output until the container stops"},
			&cli.IntFlag{Name: "tail", Value: -1, Usage: "only the last `N` lines"},
			&cli.BoolFlag{Name: "timestamps", Aliases: []string{"t"}, Usage: "precede each line with the time it was written (RFC 3339)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() != 1 {
				return errors.New(`"logs" needs one container: kobako logs [-f] [-t] [--tail N] CONTAINER`)
			}
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			c, err := store.Lookup(cmd.Args().First())
			if err != nil {
				return err
			}
			opts := container.LogOptions{Follow: cmd.Bool("follow"), Tail: cmd.Int("tail"), Timestamps: cmd.Bool("timestamps")}
			return store.Logs(c, opts, os.Stdout, os.Stderr)
		},
	}
}
