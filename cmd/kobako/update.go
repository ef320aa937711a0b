package main

// kobako update: new limits for containers, written to their cgroups
// while they run and kept for inspect and their next start
// (container/update.go). runc's update takes the same flags, and
// --resources: that form is in oci_update.go.

import (
	"context"
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func updateCommand() *cli.Command {
	return &cli.Command{
		Name:      "update",
		Usage:     "change the limits of containers",
		ArgsUsage: "CONTAINER...",
		Description: `Changes the memory, CPU and process limits of each container, as run's flags
of the same names set them: written at once into a running container's
cgroup (the article's cgset), and into its config, so that kobako inspect
shows them and its next start keeps them. Flags left out keep their
limits; --memory without --memory-swap also sets no swap beyond it.

Examples:
   sudo kobako update --memory 20m web
   sudo kobako update --cpus 0.5 --pids-limit 50 web
   cat /sys/fs/cgroup/memory/kobako/$(sudo kobako inspect -f '{{.ID}}' web)/memory.limit_in_bytes

(update --resources FILE ID, and update of an engine's container, is runc's
update: kobako help oci update.)`,
		Flags: resourceFlags(),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			res := &specs.LinuxResources{}
			if err := applyResourceFlags(cmd, res); err != nil {
				return err
			}
			if res.Memory == nil && res.CPU == nil && res.Pids == nil {
				return errors.New(`"update" needs a limit to change: kobako update [--memory SIZE] [--cpus N] [--pids-limit N] CONTAINER...`)
			}
			return eachContainer(cmd, cmd.Args().Slice(), `"update" needs at least one container: kobako update [--memory SIZE] [--cpus N] [--pids-limit N] CONTAINER...`,
				func(s *container.Store, c *container.Container) error { return printed(c, s.Update(c, res)) })
		},
	}
}
