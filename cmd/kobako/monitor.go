package main

import (
	"context"
	"errors"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

// monitorCommand is the hidden parent of a detached container (see
// container/monitor.go). `run -d` starts it with a report pipe on fd 3.
func monitorCommand() *cli.Command {
	return &cli.Command{
		Name:   container.MonitorCommand,
		Hidden: true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			// monitor FRESH ID (FRESH: true for a container never run)
			if cmd.Args().Len() != 2 {
				return errors.New("monitor takes true|false and one container id")
			}
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			return store.Monitor(cmd.Args().Get(1), cmd.Args().First() == "true", os.NewFile(3, "report"))
		},
	}
}
