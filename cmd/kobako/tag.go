package main

// kobako tag: a second name for an image (image/tag.go).

import (
	"context"
	"errors"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/image"
)

func tagCommand() *cli.Command {
	return &cli.Command{
		Name:      "tag",
		Usage:     "give an image another name",
		ArgsUsage: "SOURCE TARGET",
		Description: `Makes TARGET a name of the image SOURCE: a copy of its record, image.json,
listing the same layers — no layer is copied. Either name can be removed
with kobako rmi without touching the other. A TARGET that names another
image already moves to this one, as docker's tag does.

Examples:
   sudo kobako tag busybox mybox:1.0
   sudo kobako images`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() != 2 {
				return errors.New(`"tag" needs two names: kobako tag SOURCE TARGET`)
			}
			g := globals(cmd)
			_, err := image.NewStore(g.dataRoot, g.tracer).Tag(cmd.Args().Get(0), cmd.Args().Get(1))
			return err
		},
	}
}
