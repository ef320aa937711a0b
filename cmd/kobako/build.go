// kobako build: make an image from a Dockerfile, a layer per step.
//
// Shell twin: the article's §7.3 by hand — an overlay on the layers so
// far, a command run in it, its upper dir kept as the next layer — once
// per RUN, COPY and ADD. The work is package build's; this file reads the
// flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/build"
	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
)

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "make an image from a Dockerfile",
		ArgsUsage: "DIR",
		Description: `Builds the image NAME from DIR/Dockerfile, a step at a time, as the article
builds one by hand "like a Dockerfile" (§7.3): each RUN runs in a container
on the layers so far, and the container's upper dir — what the command
wrote — becomes the next layer; COPY and ADD do the same with files from
DIR (the build context), and nothing outside it. ENV, WORKDIR, USER, CMD,
ENTRYPOINT, LABEL, EXPOSE and ARG change the image's config and make no
layer. --trace shows each step's overlay mount and the copy of its layer.

Instructions: FROM IMAGE|scratch (one; no AS), RUN, COPY and ADD (local
files; --chown; ADD unpacks a local tar or tar.gz archive, fetches no URL),
ENV, WORKDIR, USER, CMD, ENTRYPOINT, LABEL, ARG, EXPOSE. Anything else is
refused before the build starts, naming its line. DIR/.dockerignore leaves
files out of the context.

A step whose parent layers, text, ARG values and copied files are those of
an earlier build is not run again: its layer comes from the build cache
("Using cache"), which keeps those layers until kobako system prune. A RUN
that fails stops the build with its exit status, and leaves no container
and no image behind. RUN has no network unless --network bridge.

Examples:
   sudo kobako build -t hello ./hello          # hello/Dockerfile
   sudo kobako run --rm hello
   sudo kobako history hello                   # one line per step
   sudo kobako --trace build -t hello ./hello  # each overlay mount and layer copy`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "tag", Aliases: []string{"t"}, Usage: "name the image `NAME` (replacing an image of that name)"},
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "read the Dockerfile `FILE` (default: DIR/Dockerfile)"},
			&cli.StringFlag{Name: "network", Value: container.NetworkNone, Usage: "RUN's network, `MODE` none (the default, as in the article) or bridge"},
			&cli.BoolFlag{Name: "no-cache", Usage: "run every step, even those the build cache has"},
			&cli.StringSliceFlag{Name: "build-arg", Usage: "give ARG NAME a value: `NAME=VALUE` (repeatable)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return buildImage(cmd)
		},
	}
}

// buildImage reads the flags and runs the build. A failing RUN's status
// is the exit status; any other failure is 1 with one line.
func buildImage(cmd *cli.Command) error {
	if os.Geteuid() != 0 {
		return errors.New("kobako build needs root (sudo): its RUN steps are containers with overlay layers of root's store")
	}
	if cmd.Args().Len() != 1 {
		return errors.New(`"build" needs one directory, the build context: kobako build -t NAME DIR`)
	}
	name := cmd.String("tag")
	if name == "" {
		return errors.New("give the image a name: kobako build -t NAME DIR")
	}
	dir, err := filepath.Abs(cmd.Args().First())
	if err != nil {
		return err
	}
	args := map[string]string{}
	for _, kv := range cmd.StringSlice("build-arg") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			v, ok = os.LookupEnv(k) // docker's --build-arg NAME: the caller's value
		}
		if k == "" || !ok {
			return fmt.Errorf("--build-arg %q: use NAME=VALUE", kv)
		}
		args[k] = v
	}
	g := globals(cmd)
	b := build.New(image.NewStore(g.dataRoot, g.tracer), container.NewStore(g.root, g.dataRoot, g.tracer), g.tracer)
	_, err = b.Build(build.Options{
		Name: name, Dockerfile: cmd.String("file"), Context: dir, Network: cmd.String("network"),
		NoCache: cmd.Bool("no-cache"), BuildArgs: args,
		Out: os.Stdout, Stdio: container.Stdio{Out: os.Stdout, Err: os.Stderr},
	})
	var re *build.RunError
	if errors.As(err, &re) {
		return &exitError{code: re.Code, err: err}
	}
	return err
}
