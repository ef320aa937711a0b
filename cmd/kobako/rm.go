package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
)

func rmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove one or more containers",
		ArgsUsage: "CONTAINER...",
		Description: `Removes containers (by name, id or unique id prefix): their runtime state,
their writable layer, their name. A running container is refused unless -f,
which kills it (SIGKILL to its PID 1, which takes the whole PID namespace
with it) and then removes it. -v removes its anonymous volumes too (-v /path
made them); named volumes stay, for kobako volume rm. A container whose
kobako was killed while it made it (ps -a: Dead) is removed like any other;
what such a kill left without a record goes first (one line on stderr).

Examples:
   sudo kobako rm tiny_bento
   sudo kobako rm -f web`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill a running container first"},
			&cli.BoolFlag{Name: "volumes", Aliases: []string{"v"}, Usage: "remove its anonymous volumes too (named ones stay)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() == 0 {
				return errors.New(`"rm" needs at least one container: kobako rm [-f] CONTAINER...`)
			}
			// A reader that leaves (| head) must not end it half-way.
			container.SurviveClosedPipes()
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			sweepOrphans(store, false)
			var errs []error
			for _, ref := range cmd.Args().Slice() {
				c, err := store.Lookup(ref)
				var volumes []string
				if err == nil {
					volumes = store.VolumeNames(c) // read before the record goes
					err = store.Remove(c, cmd.Bool("force"))
				}
				if err == nil && cmd.Bool("volumes") {
					err = store.RemoveAnonymousVolumes(volumes)
				}
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Println(ref)
			}
			// a container of an image removed by rmi -f held its layers
			errs = append(errs, collectLayers(store, image.NewStore(g.dataRoot, g.tracer)))
			return errors.Join(errs...)
		},
	}
}
