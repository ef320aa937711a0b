package main

// kobako create: docker's create, a container made and not started —
// kobako start runs it. It is run's first half (createContainer), with
// run's flags.
//
// The name is also runc's: `create --bundle B [--pid-file F]
// [--console-socket S] ID` is how an engine asks for an OCI container. As
// for run, --bundle (-b) tells the two apart (design.md, "Command line"):
// engines always pass it, people never need it.

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v3"
)

func createCommand() *cli.Command {
	run := runCommand()
	flags := []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "runc's form, for engines: the OCI bundle `DIR` (not supported yet)"},
	}
	// All of run's: -t and -i are kept for start -a, --rm for when it
	// ends, as docker keeps them.
	flags = append(flags, run.Flags...)
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
   sudo kobako start web`,
		StopOnNthArg: intPtr(1),
		Flags:        flags,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.IsSet("bundle") {
				return errors.New("create --bundle is runc's form, for engines, which kobako does not support yet: kobako create IMAGE makes a container from an image")
			}
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if err := requireRootOrUserns(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() == 0 {
				return errors.New(`"create" needs an image: kobako create [OPTIONS] IMAGE [COMMAND...]`)
			}
			c, err := createContainer(cmd, globals(cmd))
			if err != nil {
				return err
			}
			fmt.Println(c.ID)
			return nil
		},
	}
}
