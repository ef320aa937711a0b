package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
)

// containerCommand groups commands about containers as a whole.
func containerCommand() *cli.Command {
	return &cli.Command{
		Name:  "container",
		Usage: "manage containers as a whole",
		Commands: []*cli.Command{{
			Name:  "prune",
			Usage: "remove every stopped container",
			Description: `Removes all containers that are not running: their state, layers, cgroups
and names. Running ones are left alone. It never asks first, so -f (docker's
"do not ask") changes nothing. What killed kobako commands left without a
record goes too (one line on stderr says so).

Example:
   sudo kobako container prune`,
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation (container prune never asks)"},
			},
			Action: func(ctx context.Context, cmd *cli.Command) error {
				if err := requireRootOrOwnStore(cmd); err != nil {
					return err
				}
				// A reader that leaves (| head) must not end it half-way.
				container.SurviveClosedPipes()
				g := globals(cmd)
				store := container.NewStore(g.root, g.dataRoot, g.tracer)
				sweepOrphans(store, false)
				removed, err := store.Prune()
				for _, c := range removed {
					fmt.Println(c.Name)
				}
				return errors.Join(err, collectLayers(store, image.NewStore(g.dataRoot, g.tracer)))
			},
		}},
	}
}

// sweepOrphans removes what killed kobako commands left that no record
// leads to (container/orphans.go) — with strays, the idle cgroups under
// /kobako that nothing here names, too — and says so in one line on
// stderr. It never fails the command: what it could not remove stays for
// the next one.
func sweepOrphans(store *container.Store, strays bool) {
	n, err := store.Sweep(strays)
	switch {
	case n == 1:
		fmt.Fprintln(os.Stderr, "kobako: removed what a killed kobako left of 1 container")
	case n > 1:
		fmt.Fprintf(os.Stderr, "kobako: removed what a killed kobako left of %d containers\n", n)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kobako: warning: removing what a killed kobako left: %v\n", err)
	}
}
