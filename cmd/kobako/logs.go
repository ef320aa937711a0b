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
		Description: `Prints the output of a container started with run -d (kept by its monitor in
stdout.log and stderr.log, which go to your stdout and stderr). -f keeps
printing new output until the container stops.

Examples:
   sudo kobako logs web
   sudo kobako logs -f --tail 10 web`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing new output until the container stops"},
			&cli.IntFlag{Name: "tail", Value: -1, Usage: "only the last `N` lines of each stream"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRoot(); err != nil {
				return err
			}
			if cmd.Args().Len() != 1 {
				return errors.New(`"logs" needs one container: kobako logs [-f] [--tail N] CONTAINER`)
			}
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			c, err := store.Lookup(cmd.Args().First())
			if err != nil {
				return err
			}
			opts := container.LogOptions{Follow: cmd.Bool("follow"), Tail: cmd.Int("tail")}
			return store.Logs(c, opts, os.Stdout, os.Stderr)
		},
	}
}
