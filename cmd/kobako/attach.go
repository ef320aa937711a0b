package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func attachCommand() *cli.Command {
	return &cli.Command{
		Name:      "attach",
		Usage:     "connect your terminal to a detached container",
		ArgsUsage: "CONTAINER",
		Description: `Shows a container started with run -d as it runs, and with -t gives it your
keyboard: you are back in its shell. Its monitor, which kept the container
while you were away, relays between you and the container's terminal.

Type the detach keys (ctrl-p ctrl-q) to let go again: the container keeps
running. Without -t the container has no keyboard to give; ^C lets go.
When the container exits while you are attached, attach exits with its code.

Examples:
   sudo kobako run -dit --name box busybox sh
   sudo kobako attach box                    # ctrl-p ctrl-q to detach
   sudo kobako attach --detach-keys ctrl-x,x box`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "detach-keys", Value: container.DefaultDetachKeys, Usage: "the `KEYS` that detach: characters or ctrl-X, separated by commas"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			exit, err := attachToContainer(cmd)
			if errors.Is(err, container.ErrDetached) {
				fmt.Fprintf(os.Stderr, "\r\nkobako: detached from %s; it keeps running (kobako attach %[1]s to come back)\n", cmd.Args().First())
				return nil
			}
			return exitStatus(exit, err)
		},
	}
}

func attachToContainer(cmd *cli.Command) (container.Exit, error) {
	if err := requireRootOrOwnStore(cmd); err != nil {
		return container.Exit{}, err
	}
	if cmd.Args().Len() != 1 {
		return container.Exit{}, errors.New(`"attach" needs one container: kobako attach [--detach-keys KEYS] CONTAINER`)
	}
	g := globals(cmd)
	store := container.NewStore(g.root, g.dataRoot, g.tracer)
	c, err := store.Lookup(cmd.Args().First())
	if err != nil {
		return container.Exit{}, err
	}
	return store.Attach(c, cmd.String("detach-keys"), container.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}
