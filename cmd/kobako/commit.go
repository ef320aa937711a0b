// kobako commit: make an image of a stopped container's changes.
//
// Shell twin: docker commit $CID NAME — for kobako, cp -a of the
// container's upper dir into a new layer, layers/<sha256>, stacked on the
// container's image. The work is image.Store.Commit's; this file finds the container
// and makes sure its layer holds still.
package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
	"github.com/kobako/kobako/internal/fileutil"
)

func commitCommand() *cli.Command {
	return &cli.Command{
		Name:      "commit",
		Usage:     "make an image of a stopped container's changes",
		ArgsUsage: "CONTAINER NAME",
		Description: `Makes the image NAME of a container's changes, as docker commit does: the new
image is the container's image with the container's upper dir (what kobako
diff lists) on top, as one more layer. A container of it sees the files
the container wrote and changed, and not the ones it deleted.

This is the "Copy on Write" chapter stacked one storey higher: overlayfs
takes several lower layers, and an image is a list of them. The image the
container was made from stays as it is, and NAME shares its layers: they
stay while either image does.

The container must be stopped (docker pauses a running one instead): its
layer is copied file by file, and must not change meanwhile.

Example:
   sudo kobako run --name demo busybox sh -c 'echo hi > /greeting'
   sudo kobako commit demo greeter
   sudo kobako run --rm greeter cat /greeting`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return &exitError{code: 125, err: err}
			}
			if cmd.Args().Len() != 2 {
				return &exitError{code: 125, err: errors.New(`"commit" needs a container and a name: kobako commit CONTAINER NAME`)}
			}
			if err := commitContainer(cmd, cmd.Args().Get(0), cmd.Args().Get(1)); err != nil {
				return &exitError{code: 125, err: err}
			}
			fmt.Println(cmd.Args().Get(1))
			return nil
		},
	}
}

// commitContainer makes the image name of the container ref.
func commitContainer(cmd *cli.Command, ref, name string) error {
	// The name is checked before anything is looked up or copied.
	if err := image.ValidName(name); err != nil {
		return err
	}
	g := globals(cmd)
	containers := container.NewStore(g.root, g.dataRoot, g.tracer)
	images := image.NewStore(g.dataRoot, g.tracer)
	c, err := containers.Lookup(ref)
	if err != nil {
		return err
	}
	if c.Overlay == nil {
		return fmt.Errorf("container %s has no overlay layers on record", c.Name)
	}
	// flock $CONTAINER — keeps start and rm away while the layer is copied
	unlock, err := fileutil.LockDir(c.Bundle)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := containers.Status(c)
	if err != nil {
		return err
	}
	if st.State != specs.StateStopped {
		return fmt.Errorf("container %s is %s: stop it first (kobako stop %s), so that its files hold still while they are copied",
			c.Name, st.State, c.Name)
	}
	spec, err := c.Spec()
	if err != nil {
		return err
	}
	parent, err := images.Get(c.Image)
	if errors.Is(err, image.ErrNotFound) {
		return fmt.Errorf("container %s's image %s was removed (rmi -f): commit stacks the container's layer on its image, and needs it", c.Name, c.Image)
	}
	if err != nil {
		return fmt.Errorf("image of container %s: %w", c.Name, err)
	}
	// An image of that name made after an rmi -f is another image: the
	// container's layer belongs on the layers it was made from.
	if mounted := slices.Clone(c.Overlay.Lower); !slices.Equal(parent.Layers, reversed(mounted)) {
		return fmt.Errorf("container %s was made from an earlier image %s, removed since (rmi -f): its layers are not those of %s now", c.Name, c.Image, c.Image)
	}
	opts := image.CommitOptions{Upper: c.Overlay.Upper, Container: c.Name}
	if spec.Linux != nil {
		opts.UIDMappings, opts.GIDMappings = spec.Linux.UIDMappings, spec.Linux.GIDMappings
	}
	_, err = images.Commit(parent, name, opts)
	return err
}

// reversed is lowerdir= order turned into an image's, lowest first.
func reversed(layers []string) []string {
	slices.Reverse(layers)
	return layers
}
