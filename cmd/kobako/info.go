package main

import (
	"context"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/cgroups"
)

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:  "info",
		Usage: "show how this host will run containers: cgroup version and controllers",
		Description: `Says which cgroup file system this host uses — v1 (Ubuntu 18.04/20.04, the
article's: one hierarchy per controller under /sys/fs/cgroup/<controller>) or
v2 (Ubuntu 22.04+: one tree) — and which controllers kobako can use there.
A "hybrid" host (v1 plus an empty cgroup2 at /sys/fs/cgroup/unified) is v1.

Example:
   kobako info`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			g := globals(cmd)
			layout, err := cgroups.Detect()
			if err != nil {
				return err
			}
			controllers, err := layout.Controllers()
			if err != nil {
				return err
			}
			fmt.Printf("kobako:       %s (OCI runtime spec %s)\n", version, specs.Version)
			fmt.Printf("cgroups:      %s\n", layout.Mode)
			if layout.Mode == cgroups.V1 {
				fmt.Printf("hierarchies:  /sys/fs/cgroup/<controller> (%d mounted)\n", len(layout.Hierarchies()))
			} else {
				fmt.Printf("hierarchy:    %s\n", layout.V2)
			}
			fmt.Printf("controllers:  %s\n", strings.Join(controllers, " "))
			fmt.Printf("containers:   cgroup %s/<id> in each hierarchy\n", cgroups.Parent)
			fmt.Printf("state:        %s (--root)\n", g.root)
			fmt.Printf("data:         %s (--data-root: images, containers)\n", g.dataRoot)
			return nil
		},
	}
}
