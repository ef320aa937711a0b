package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/internal/termui"
)

func cpCommand() *cli.Command {
	return &cli.Command{
		Name:      "cp",
		Usage:     "copy files between a container and the host",
		ArgsUsage: "CONTAINER:SRC DEST|- | SRC|- CONTAINER:DEST",
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

"-" is a tar stream, as in docker cp: CONTAINER:SRC - writes SRC as a tar to
stdout; - CONTAINER:DIR unpacks a tar read from stdin into DIR, which must
exist, with the checks kobako import applies to a hostile image (no entry
lands outside DIR, whatever its name or the symlinks before it).

Examples:
   sudo kobako cp web:/etc/hostname .
   sudo kobako cp ./site web:/var/www
   sudo kobako cp web:/var/log/. ./logs
   sudo kobako cp web:/etc - | tar -t             # a tar stream on stdout
   tar -c -C ./site . | sudo kobako cp - web:/var/www`,
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
	var err error
	switch {
	case srcCtr != "" && dstPath == "-":
		res, err = copyToStdout(store, srcCtr, srcPath)
	case dstCtr != "" && srcPath == "-":
		res, err = copyFromStdin(store, dstCtr, dstPath)
	default:
		res, err = copyBetween(store, srcCtr, srcPath, dstCtr, dstPath)
	}
	if err != nil {
		return err
	}
	if len(res.Skipped) > 0 {
		fmt.Fprintf(os.Stderr, "kobako: skipped %d device nodes and sockets (cp copies neither): %s\n",
			len(res.Skipped), termui.List(res.Skipped, 5))
	}
	return nil
}

// copyToStdout is cp CONTAINER:SRC -: a tar stream, never onto a terminal.
func copyToStdout(store *container.Store, ref, path string) (container.CopyResult, error) {
	if term.IsTerminal(int(os.Stdout.Fd())) {
		return container.CopyResult{}, fmt.Errorf(`"cp %s:%s -" writes a tar stream, not for a terminal: redirect it (> out.tar) or pipe it (| tar -t)`, ref, path)
	}
	c, err := store.Lookup(ref)
	if err != nil {
		return container.CopyResult{}, err
	}
	return store.CopyOut(c, path, os.Stdout)
}

// copyFromStdin is cp - CONTAINER:DIR: a tar stream, never from a terminal.
func copyFromStdin(store *container.Store, ref, path string) (container.CopyResult, error) {
	if term.IsTerminal(int(os.Stdin.Fd())) {
		return container.CopyResult{}, fmt.Errorf(`"cp - %s:%s" reads a tar stream from stdin: redirect one (< in.tar) or pipe one (tar -c . |)`, ref, path)
	}
	c, err := store.Lookup(ref)
	if err != nil {
		return container.CopyResult{}, err
	}
	return store.CopyIn(os.Stdin, c, path)
}

// copyBetween copies between the host's files and the container's.
func copyBetween(store *container.Store, srcCtr, srcPath, dstCtr, dstPath string) (container.CopyResult, error) {
	var res container.CopyResult
	if srcCtr != "" {
		c, err := store.Lookup(srcCtr)
		if err != nil {
			return res, err
		}
		return store.CopyFrom(c, srcPath, dstPath)
	}
	c, err := store.Lookup(dstCtr)
	if err != nil {
		return res, err
	}
	return store.CopyTo(srcPath, c, dstPath)
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
