package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/internal/termui"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a container's file system as a tar archive",
		ArgsUsage: "CONTAINER",
		Description: `Writes the file system a container, running or stopped, sees at / as one tar
archive, as docker export does: to stdout, or to FILE with -o. kobako import
makes an image of it again.

It is the article's first step the other way round: there, docker export
gives a root file system to unpack. Here the container's overlay is
flattened — the image (the lower dir) with the container's own changes (the
upper dir, see kobako diff) on top and its deleted files left out — so the
new image carries them in a single layer. Owners, modes, symlinks, hard
links and file capabilities are kept. What is mounted in a running
container is not part of it: /proc, /sys and /dev come out empty, and
/etc/hosts, /etc/hostname and /etc/resolv.conf as empty files.

The files are read as cp reads them: a symlink in the container is written
as a symlink and never followed to a host file. A tarball is not for a
terminal: redirect stdout, or use -o (the file is made readable only by
you, since it may hold /etc/shadow).

Examples:
   sudo kobako run --name demo busybox sh -c 'echo hi > /greeting'
   sudo kobako export demo > demo.tar
   sudo kobako import --name demo demo.tar
   sudo kobako run --rm demo cat /greeting`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` instead of stdout"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() != 1 {
				return errors.New(`"export" needs one container: kobako export [-o FILE] CONTAINER`)
			}
			return exportContainer(cmd, cmd.Args().First(), cmd.String("output"))
		},
	}
}

// exportContainer writes the tarball of ref to file, or to stdout if file
// is "".
func exportContainer(cmd *cli.Command, ref, file string) error {
	// docker's words, before anything is looked up
	if file == "" && term.IsTerminal(int(os.Stdout.Fd())) {
		return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
	}
	g := globals(cmd)
	store := container.NewStore(g.root, g.dataRoot, g.tracer)
	c, err := store.Lookup(ref)
	if err != nil {
		return err
	}
	export := func(w io.Writer) error {
		res, err := store.Export(c, w)
		if err == nil && len(res.Skipped) > 0 {
			fmt.Fprintf(os.Stderr, "kobako: skipped %d device nodes and sockets (an image gets its /dev from kobako): %s\n",
				len(res.Skipped), termui.List(res.Skipped, 5))
		}
		return err
	}
	if file == "" {
		return export(os.Stdout)
	}
	return writeAside(file, export)
}

// writeAside has fill write a new file next to path, then renames it over
// path: a failed export leaves no half tarball behind, and never an old one
// that looks new. The file is 0600, as docker's -o makes it.
func writeAside(path string, fill func(io.Writer) error) error {
	// A rename would replace a device or a FIFO with the file (-o /dev/null
	// would remove /dev/null): those are for a redirect.
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("-o %s: not a regular file; to write to it, redirect stdout: > %s", path, path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("-o %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	err = fill(tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", tmp.Name(), cerr)
	}
	if err != nil {
		return err
	}
	// mv TMP FILE
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("-o %s: %w", path, err)
	}
	return nil
}
