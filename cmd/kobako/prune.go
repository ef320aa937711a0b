package main

import (
	"context"
	"errors"
	"fmt"

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
and names. Running ones are left alone.

Example:
   sudo kobako container prune`,
			Action: func(ctx context.Context, cmd *cli.Command) error {
				if err := requireRootOrOwnStore(cmd); err != nil {
					return err
				}
				g := globals(cmd)
				store := container.NewStore(g.root, g.dataRoot, g.tracer)
				removed, err := store.Prune()
				for _, c := range removed {
					fmt.Println(c.Name)
				}
				return errors.Join(err, collectLayers(store, image.NewStore(g.dataRoot, g.tracer)))
			},
		}},
	}
}
