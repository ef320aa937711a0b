package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/internal/termui"
)

func cpCommand() *cli.Command {
	return &cli.Command{
		Name:      "cp",
		Usage:     "copy files between a container and the host",
		ArgsUsage: "CONTAINER:SRC DEST | SRC CONTAINER:DEST",
		Description: `Copies a file, a symlink or a directory tree between the host and a
container, running or stopped, keeping modes, owners, times and symlinks
(as cp -a). Exactly one side is CONTAINER:PATH, by name, id or id prefix.

As docker cp: into an existing directory the source goes inside it; a
missing destination is created under that name; SRC/. copies a directory's
contents; a symlink is copied as a symlink unless SRC ends in "/".

Container paths are resolved inside the container's root, as the container
itself would (openat2 RESOLVE_IN_ROOT): a symlink planted in the container
never makes kobako read or write a host file (CVE-2018-15664). A stopped
container's layers are mounted for the copy where only kobako can see them.
Device nodes and sockets are not copied.

Examples:
   sudo kobako cp web:/etc/hostname .
   sudo kobako cp ./site web:/var/www
   sudo kobako cp web:/var/log/. ./logs`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			return copyFiles(cmd)
		},
	}
}

func copyFiles(cmd *cli.Command) error {
	const usage = `kobako cp CONTAINER:SRC DEST or kobako cp SRC CONTAINER:DEST`
	if cmd.Args().Len() != 2 {
		return errors.New(`"cp" needs a source and a destination: ` + usage)
	}
	srcCtr, srcPath := splitCpArg(cmd.Args().Get(0))
	dstCtr, dstPath := splitCpArg(cmd.Args().Get(1))
	if (srcCtr == "") == (dstCtr == "") {
		return errors.New(`"cp" copies between the host and a container, so exactly one side is CONTAINER:PATH: ` + usage)
	}
	if srcCtr != "" && srcPath == "" || dstCtr != "" && dstPath == "" {
		return errors.New(`"cp" needs a path after "CONTAINER:" (CONTAINER:/ is its root)`)
	}
	g := globals(cmd)
	store := container.NewStore(g.root, g.dataRoot, g.tracer)
	var res container.CopyResult
	if srcCtr != "" {
		c, err := store.Lookup(srcCtr)
		if err != nil {
			return err
		}
		res, err = store.CopyFrom(c, srcPath, dstPath)
		if err != nil {
			return err
		}
	} else {
		c, err := store.Lookup(dstCtr)
		if err != nil {
			return err
		}
		res, err = store.CopyTo(srcPath, c, dstPath)
		if err != nil {
			return err
		}
	}
	if len(res.Skipped) > 0 {
		fmt.Fprintf(os.Stderr, "kobako: skipped %d device nodes and sockets (cp copies neither): %s\n",
			len(res.Skipped), termui.List(res.Skipped, 5))
	}
	return nil
}

// splitCpArg reads docker's CONTAINER:PATH. A path that is absolute, or
// whose part before the colon starts with "." or holds a "/", is the
// host's: "./a:b" and "/tmp/a:b" are files, as docker reads them.
func splitCpArg(arg string) (ctr, path string) {
	if filepath.IsAbs(arg) {
		return "", arg
	}
	ctr, path, ok := strings.Cut(arg, ":")
	if !ok || strings.HasPrefix(ctr, ".") || strings.Contains(ctr, "/") {
		return "", arg
	}
	return ctr, path
}
