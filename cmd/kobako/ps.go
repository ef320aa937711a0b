package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func psCommand() *cli.Command {
	return &cli.Command{
		Name:  "ps",
		Usage: "list containers",
		Description: `Lists running containers; -a adds created and exited ones. The status is
read live from the container's init process, not from a file, so it is
right even when the kobako that started the container was killed.

Examples:
   sudo kobako ps
   sudo kobako ps -a`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show all containers, not only running ones"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRoot(); err != nil {
				return err
			}
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			list, err := store.List()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
			fmt.Fprintln(w, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tNAMES")
			now := time.Now()
			for _, c := range list {
				st, err := store.Status(c)
				if err != nil {
					return err
				}
				if st.State != specs.StateRunning && !cmd.Bool("all") {
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%q\t%s ago\t%s\t%s\n", c.ShortID(), c.Image, truncate(c.CommandLine(), 20),
					c.DescribeAge(now), c.Describe(st, now), c.Name)
			}
			return w.Flush()
		},
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
