// kobako pull: an image from a registry, docker.io or any other that
// speaks the OCI distribution API. The work is image.Store.Pull's; this
// file turns the command line into options, and shows each layer.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/kobako/kobako/image"
)

func pullCommand() *cli.Command {
	return &cli.Command{
		Name:      "pull",
		Usage:     "download an image from a registry",
		UsageText: "kobako pull [--name NAME] [--platform linux/ARCH] [--creds USER:PASSWORD] [REGISTRY/]NAME[:TAG|@DIGEST]",
		Description: `Downloads an image, as docker pull does, with no docker: its manifest (for
linux/ARCH, when the tag names an index of several platforms), its config,
and each layer, checked against its digest twice (as downloaded, and as
unpacked: the config's diff_id). The registry is docker.io unless the
reference names one. Layers the store has already (from another image)
are not downloaded again. The image appears only once every layer is
there: a pull that fails or is killed leaves no image and no half layer.
The layers it finished stay for the next pull to reuse, until an rmi, rm
or prune removes the layers no image uses.

The local name is the repository's last part and its tag, unless latest:
docker.io/library/bash:5.2 is bash:5.2, 127.0.0.1:5000/tools/jq is jq.

Credentials: --creds, or what docker login saved (~/.docker/config.json).
Registries on localhost and private addresses are spoken to in plain
HTTP if they do not speak HTTPS; --insecure allows that for any.

Examples:
   sudo kobako pull busybox
   sudo kobako pull --platform linux/arm64 ubuntu:24.04
   sudo kobako pull --creds me:secret registry.example.com/team/app:1.0`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "name", Usage: "the local image `NAME` (default: from the reference)"},
			&cli.StringFlag{
				Name: "platform", Aliases: []string{"arch"},
				Usage: "the `PLATFORM` to pull from an index: linux/arm64, or arm64 (default: this machine's)",
			},
			&cli.StringFlag{Name: "creds", Usage: "log in to the registry as `USER:PASSWORD`"},
			&cli.BoolFlag{Name: "insecure", Usage: "allow plain HTTP to any registry"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() != 1 {
				return errors.New(`"pull" needs one image: kobako pull [REGISTRY/]NAME[:TAG|@DIGEST] (try: kobako pull busybox)`)
			}
			opts, err := pullOptions(cmd)
			if err != nil {
				return err
			}
			// ^C or a TERM ends the pull cleanly: the download fails, the
			// store removes its work dir, nothing is registered.
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			g := globals(cmd)
			img, err := image.NewStore(g.dataRoot, g.tracer).Pull(ctx, cmd.Args().First(), opts)
			return reportImport(img, err)
		},
	}
}

// pullOptions reads the flags, each checked before anything is fetched.
func pullOptions(cmd *cli.Command) (image.PullOptions, error) {
	opts := image.PullOptions{Name: cmd.String("name"), Insecure: cmd.Bool("insecure"), Layer: showLayer}
	if opts.Name != "" {
		if err := image.ValidName(opts.Name); err != nil {
			return opts, err
		}
	}
	var err error
	if opts.Arch, err = archFlag(cmd, "platform"); err != nil {
		return opts, err
	}
	if creds := cmd.String("creds"); creds != "" {
		var ok bool
		if opts.Username, opts.Password, ok = strings.Cut(creds, ":"); !ok || opts.Username == "" {
			return opts, errors.New("--creds: give USER:PASSWORD")
		}
	}
	return opts, nil
}

// showLayer says what happens to each layer: a progress bar of its
// download on a terminal, a line elsewhere.
func showLayer(digest string, size int64, r io.Reader) (io.Reader, func()) {
	short := strings.TrimPrefix(digest, "sha256:")[:12]
	if r == nil {
		fmt.Fprintf(os.Stderr, "%s: already exists\n", short)
		return nil, func() {}
	}
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		fmt.Fprintf(os.Stderr, "%s: downloading %s\n", short, humanSize(size))
	}
	return withProgress(r, size, short)
}
