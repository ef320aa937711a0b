package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
)

func rmiCommand() *cli.Command {
	return &cli.Command{
		Name:      "rmi",
		Usage:     "remove one or more images",
		ArgsUsage: "IMAGE...",
		Description: `Removes images from the store. An image that a container still uses (as its
overlay's lower layer) is refused: remove those containers first.

Example:
   sudo kobako rmi bash`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() == 0 {
				return errors.New(`"rmi" needs at least one image: kobako rmi IMAGE...`)
			}
			g := globals(cmd)
			images := image.NewStore(g.dataRoot, g.tracer)
			containers := container.NewStore(g.root, g.dataRoot, g.tracer)
			for _, name := range cmd.Args().Slice() {
				users, err := removeUnusedImage(containers, images, name)
				if err != nil {
					return err
				}
				if len(users) > 0 {
					return fmt.Errorf("image %s is used by container(s) %s: remove them first (kobako rm)", name, strings.Join(users, ", "))
				}
				fmt.Println(name)
			}
			return nil
		},
	}
}

// removeUnusedImage removes the image name unless a container is made
// from it; users are those containers.
func removeUnusedImage(containers *container.Store, images *image.Store, name string) (users []string, err error) {
	users, err = containers.UsesImage(name)
	if err != nil || len(users) > 0 {
		return users, err
	}
	return nil, images.Remove(name)
}
