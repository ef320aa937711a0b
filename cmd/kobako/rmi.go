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
overlay's lower layers) is refused: remove those containers first. So is an
image that kobako commit stacked another on: remove that image first.

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
				if len(users.containers) > 0 {
					return fmt.Errorf("image %s is used by container(s) %s: remove them first (kobako rm)", name, strings.Join(users.containers, ", "))
				}
				if len(users.images) > 0 {
					return fmt.Errorf("image %s is used by image(s) %s, committed on top of it: remove them first (kobako rmi)", name, strings.Join(users.images, ", "))
				}
				fmt.Println(name)
			}
			return nil
		},
	}
}

// imageUsers are what keeps an image: the containers made from it, and
// the images committed on top of it, whose layers include its own.
type imageUsers struct {
	containers, images []string
}

func (u imageUsers) any() bool { return len(u.containers)+len(u.images) > 0 }

// removeUnusedImage removes the image name unless something uses it; users
// says what does.
func removeUnusedImage(containers *container.Store, images *image.Store, name string) (users imageUsers, err error) {
	if users.containers, err = containers.UsesImage(name); err != nil {
		return users, err
	}
	if users.images, err = images.Children(name); err != nil || users.any() {
		return users, err
	}
	return users, images.Remove(name)
}
