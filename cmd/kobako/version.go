package main

import (
	"context"
	"fmt"
	goruntime "runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print kobako's version and the OCI runtime spec it speaks",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			fmt.Printf("kobako version %s\nspec: %s\ngo: %s\n", version, specs.Version, goruntime.Version())
			return nil
		},
	}
}
