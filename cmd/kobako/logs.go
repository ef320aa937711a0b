package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "show what a container wrote",
		ArgsUsage: "CONTAINER",
		Description: `Prints the output of a container, detached or not, as docker keeps it. The
monitor of a container started with run -d, and the kobako of one run in
your terminal, read everything it writes and keep it in container.log, one
line per record with the time and the stream — what it wrote on stdout
comes out on your stdout, what it wrote on stderr on your stderr. (With
--rm nothing is kept: the container and its log go together.) -f keeps
printing new output until the container stops; -t shows when each line was
written; --since and --until show only the lines written in between: a
time (2026-11-25T20:57:46Z, 2026-11-25, seconds since 1970) or a duration
back from now (10m, 1h30m).

Examples:
   sudo kobako logs web
   sudo kobako logs -f --tail 10 web
   sudo kobako logs --since 10m web            # the last ten minutes
   sudo kobako logs -t web 2>/dev/null       # stdout only, with times`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing new output until the container stops"},
			&cli.IntFlag{Name: "tail", Value: -1, Usage: "only the last `N` lines"},
			&cli.BoolFlag{Name: "timestamps", Aliases: []string{"t"}, Usage: "precede each line with the time it was written (RFC 3339)"},
			&cli.StringFlag{Name: "since", Usage: "only lines written since `TIME` (2026-11-25T20:57:46Z) or since a duration ago (10m)"},
			&cli.StringFlag{Name: "until", Usage: "only lines written before `TIME` (2026-11-25T20:57:46Z) or before a duration ago (10m)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() != 1 {
				return errors.New(`"logs" needs one container: kobako logs [-f] [-t] [--tail N] [--since T] [--until T] CONTAINER`)
			}
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			c, err := store.Lookup(cmd.Args().First())
			if err != nil {
				return err
			}
			opts := container.LogOptions{Follow: cmd.Bool("follow"), Tail: cmd.Int("tail"), Timestamps: cmd.Bool("timestamps")}
			if opts.Since, opts.Until, err = logTimes(cmd); err != nil {
				return err
			}
			return store.Logs(c, opts, os.Stdout, os.Stderr)
		},
	}
}

// logTimes reads --since and --until (zero when not given).
func logTimes(cmd *cli.Command) (since, until time.Time, err error) {
	now := time.Now()
	if v := cmd.String("since"); v != "" {
		if since, err = container.ParseLogTime("--since", v, now); err != nil {
			return since, until, err
		}
	}
	if v := cmd.String("until"); v != "" {
		until, err = container.ParseLogTime("--until", v, now)
	}
	return since, until, err
}
