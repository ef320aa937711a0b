package main

// kobako create: docker's create, a container made and not started —
// kobako start runs it. It is run's first half (createContainer), with
// run's flags.
//
// The name is also runc's: `create --bundle B [--pid-file F]
// [--console-socket S] ID` is how an engine asks for an OCI container
// (oci_create.go). --bundle (-b), or another flag only runc's create has,
// tells the two apart before this command is reached (oci_dispatch.go):
// engines always pass it, people never need it.

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func createCommand() *cli.Command {
	// All of run's flags: -t and -i are kept for start -a, --rm for when
	// it ends, as docker keeps them.
	flags := runCommand().Flags
	return &cli.Command{
		Name:      "create",
		Usage:     "make a container without starting it",
		ArgsUsage: "IMAGE [COMMAND [ARG...]]",
		Description: `Makes a container from IMAGE exactly as kobako run would — the same flags,
its layer, its config, its name — and prints its id, but starts nothing:
kobako start runs it (in the background, or with -a in the foreground).
ps -a lists it until then.

Examples:
   sudo kobako create --name web --memory 20m busybox httpd -f -p 80
   sudo kobako start web

(create --bundle DIR ID, from an OCI bundle, is runc's create: kobako help oci create.)`,
		StopOnNthArg: intPtr(1),
		Flags:        flags,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if err := requireRootOrUserns(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() == 0 {
				return errors.New(`"create" needs an image: kobako create [OPTIONS] IMAGE [COMMAND...]`)
			}
			// A reader that leaves (| head) must not end it half-way.
			container.SurviveClosedPipes()
			c, err := createContainer(cmd, globals(cmd))
			if err != nil {
				return err
			}
			fmt.Println(c.ID)
			return nil
		},
	}
}
