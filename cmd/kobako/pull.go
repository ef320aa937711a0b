// kobako pull: an image from a registry, docker.io or any other that
// speaks the OCI distribution API. This file checks the command line and
// hands over to kobako-pull, the binary next to kobako that does the work
// (cmd/kobako-pull says why it is a binary of its own).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/urfave/cli/v3"

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

The work is done by kobako-pull, a binary next to kobako: the HTTP and
registry code stays out of kobako itself, which every container's init is.

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
			argv, env, err := pullerCommandLine(cmd)
			if err != nil {
				return err
			}
			helper, err := helperBinary("kobako-pull")
			if err != nil {
				return err
			}
			// exec kobako-pull …: its exit status and signals are ours
			return fmt.Errorf("exec %s: %w", helper, syscall.Exec(helper, argv, env))
		},
	}
}

// pullerCommandLine is kobako-pull's command line and environment, from
// kobako's flags, each checked before anything is fetched.
func pullerCommandLine(cmd *cli.Command) (argv, env []string, err error) {
	g := globals(cmd)
	argv = []string{"kobako-pull", "--data-root", g.dataRoot}
	if g.tracer != nil {
		argv = append(argv, "--trace")
	}
	if name := cmd.String("name"); name != "" {
		if err := image.ValidName(name); err != nil {
			return nil, nil, err
		}
		argv = append(argv, "--name", name)
	}
	if platform, err := archFlag(cmd, "platform"); err != nil {
		return nil, nil, err
	} else if platform != "" {
		argv = append(argv, "--platform", platform)
	}
	if cmd.Bool("insecure") {
		argv = append(argv, "--insecure")
	}
	env = os.Environ()
	if creds := cmd.String("creds"); creds != "" {
		if user, _, ok := strings.Cut(creds, ":"); !ok || user == "" {
			return nil, nil, errors.New("--creds: give USER:PASSWORD")
		}
		// not an argument: ps shows those to every user
		env = append(env, "KOBAKO_PULL_CREDS="+creds)
	}
	return append(argv, "--", cmd.Args().First()), env, nil
}

// helperBinary is one of kobako's helper binaries (kobako-pull,
// kobako-tutor), next to this kobako: the same build, the same version.
func helperBinary(name string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find %s: %w", name, err)
	}
	helper := filepath.Join(filepath.Dir(self), name)
	if _, err := os.Stat(helper); err != nil {
		return "", fmt.Errorf("kobako needs %s next to it, in %s: make builds it, make install installs it", name, filepath.Dir(self))
	}
	return helper, nil
}
