package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
)

func rmiCommand() *cli.Command {
	return &cli.Command{
		Name:      "rmi",
		Usage:     "remove one or more images",
		ArgsUsage: "IMAGE...",
		Description: `Removes images from the store, and then every layer that no image lists and
no container mounts any more (layers are shared: two images of one base
have its layers once, in <data-root>/layers).

An image that a container still uses is refused: remove those containers
first, or, if they are all stopped, force it with -f: the image goes, and
its layers stay as long as those containers do. A running container's
image is never removed.

Examples:
   sudo kobako rmi bash
   sudo kobako rmi -f bash     # bash's stopped containers keep its layers`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "remove an image that stopped containers use"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() == 0 {
				return errors.New(`"rmi" needs at least one image: kobako rmi [-f] IMAGE...`)
			}
			g := globals(cmd)
			images := image.NewStore(g.dataRoot, g.tracer)
			containers := container.NewStore(g.root, g.dataRoot, g.tracer)
			for _, name := range cmd.Args().Slice() {
				users, err := removeImage(containers, images, name, cmd.Bool("force"))
				if err != nil {
					return err
				}
				if err := users.refusal(name); err != nil {
					return err
				}
				fmt.Println(name)
			}
			return collectLayers(containers, images)
		},
	}
}

// imageUsers are what keeps an image: the containers made from it, and
// the images of an older store committed on top of it.
type imageUsers struct {
	running, stopped, images []string
}

func (u imageUsers) any() bool { return len(u.running)+len(u.stopped)+len(u.images) > 0 }

// refusal says why the image name was not removed, or nil if it was.
func (u imageUsers) refusal(name string) error {
	switch {
	case len(u.running) > 0:
		return fmt.Errorf("image %s is used by running container(s) %s: stop and remove them first (kobako rm -f)", name, strings.Join(u.running, ", "))
	case len(u.stopped) > 0:
		return fmt.Errorf("image %s is used by container(s) %s: remove them first (kobako rm), or force it with kobako rmi -f", name, strings.Join(u.stopped, ", "))
	case len(u.images) > 0:
		return fmt.Errorf("image %s is used by image(s) %s, committed on top of it: remove them first (kobako rmi)", name, strings.Join(u.images, ", "))
	}
	return nil
}

// removeImage removes the image name unless something uses it (with
// force, unless a running container or an older child image does); users
// says what does.
func removeImage(containers *container.Store, images *image.Store, name string, force bool) (users imageUsers, err error) {
	list, err := containers.UsesImage(name)
	if err != nil {
		return users, err
	}
	for _, c := range list {
		st, err := containers.Status(c)
		if err != nil {
			return users, err
		}
		if st.State == specs.StateStopped {
			users.stopped = append(users.stopped, c.Name)
		} else {
			users.running = append(users.running, c.Name)
		}
	}
	if users.images, err = images.Children(name); err != nil {
		return users, err
	}
	if force {
		users.stopped = nil // they keep the layers; the image may go
	}
	if users.any() {
		return users, nil
	}
	return users, images.Remove(name)
}

// collectLayers removes the layers that no image lists and no container
// mounts, and says which: rmi, rm and prune leave none behind.
func collectLayers(containers *container.Store, images *image.Store) error {
	mounted, err := containers.MountedLayers()
	if err != nil {
		return err
	}
	removed, err := images.Collect(mounted)
	for _, id := range removed {
		fmt.Println("deleted layer", id)
	}
	return err
}
