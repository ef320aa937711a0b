package main

// kobako pause, kobako unpause: every process of a container stopped and
// let go again by its cgroup's freezer (container/pause.go). runc's verbs
// of the same job are pause and resume; pause is the same word for both.

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func pauseCommand() *cli.Command {
	return &cli.Command{
		Name:      "pause",
		Usage:     "freeze every process of containers",
		ArgsUsage: "CONTAINER...",
		Description: `Stops every process of each container at once with the cgroup freezer —
no signal, nothing the processes can see or refuse:
   echo FROZEN > /sys/fs/cgroup/freezer/kobako/$ID/freezer.state   (cgroup v1)
   echo 1 > /sys/fs/cgroup/kobako/$ID/cgroup.freeze                 (cgroup v2)
ps shows it "Paused"; its memory stays. kobako unpause lets it go on.

Example:
   sudo kobako pause web && sudo kobako ps && sudo kobako unpause web

(pause ID of an engine's container is runc's pause; runc's resume is
kobako resume ID: kobako help oci pause.)`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return eachContainer(cmd, cmd.Args().Slice(), `"pause" needs at least one container: kobako pause CONTAINER...`,
				func(s *container.Store, c *container.Container) error { return printed(c, s.Pause(c)) })
		},
	}
}

func unpauseCommand() *cli.Command {
	return &cli.Command{
		Name:      "unpause",
		Usage:     "let paused containers go on",
		ArgsUsage: "CONTAINER...",
		Description: `Thaws each container kobako pause froze:
   echo THAWED > /sys/fs/cgroup/freezer/kobako/$ID/freezer.state   (cgroup v1)
   echo 0 > /sys/fs/cgroup/kobako/$ID/cgroup.freeze                 (cgroup v2)

Example:
   sudo kobako unpause web`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return eachContainer(cmd, cmd.Args().Slice(), `"unpause" needs at least one container: kobako unpause CONTAINER...`,
				func(s *container.Store, c *container.Container) error { return printed(c, s.Unpause(c)) })
		},
	}
}
