package main

import (
	"context"
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
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
				list, err := store.List()
				if err != nil {
					return err
				}
				var errs []error
				for _, c := range list {
					if st, err := store.Status(c); err != nil || st.State != specs.StateStopped {
						continue
					}
					if err := store.Remove(c, false); err != nil {
						errs = append(errs, err)
						continue
					}
					fmt.Println(c.Name)
				}
				return errors.Join(errs...)
			},
		}},
	}
}
