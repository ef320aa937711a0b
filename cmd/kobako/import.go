// kobako import: make an image from a docker export tarball, a docker save
// archive or an OCI image layout.
//
// Shell twin: mkdir -p $ROOTFS && docker export $(docker create bash) | tar -x -C $ROOTFS
// — the article's first step. The work is image.Store.Import's (and
// ImportLayout's, for a layout directory); this file turns the command line
// into a reader and a name.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/image"
	"github.com/kobako/kobako/internal/termui"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "make an image from a docker export tarball, a docker save archive or an OCI layout",
		UsageText: "kobako import [--name NAME] [--arch ARCH] FILE|DIR|-",
		Description: `Unpacks a container's file system, as docker export writes it (a plain or
gzipped tar), into a new image. FILE - reads the tarball from stdin.

It also takes an image with its layers: a docker save archive, or an OCI
image layout as a tar or a directory DIR. Each layer is checked against its
sha256 digest and kept as a layer of the image, its whiteouts made overlay
whiteouts; the image config's Env, Entrypoint, Cmd, WorkingDir and User
become the defaults of kobako run. For an index of several images, the one
for linux/ARCH is taken (--arch, or this machine's).

The tarball is treated as hostile: entries that reach outside the image
(../x, /etc/passwd, links out) stop the import; device nodes are skipped,
since kobako makes /dev itself.

A tarball does not say which machine its programs are for: kobako reads it
from the ELF header of the image's /bin/sh (or /bin/bash, /bin/busybox,
/usr/bin/env), as file(1) would, and kobako images shows it. --arch says it
instead. kobako run refuses an image for another machine unless the host
has a binfmt_misc handler for it (qemu-user-static).

Example:
   docker export $(docker create bash) > bash.tar
   sudo kobako import --name bash bash.tar
   sudo kobako run -it --rm bash`,
		Flags: []cli.Flag{
			&cli.StringFlag{
				Name:  "name",
				Usage: "image `NAME` (default: the file name without .tar/.tar.gz; required for -)",
			},
			&cli.StringFlag{
				Name:    "arch",
				Aliases: []string{"platform"},
				Usage:   "the image's `ARCH`: arm64, or linux/arm64 as docker's --platform (default: read from its /bin/sh)",
			},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() != 1 {
				return errors.New(`"import" needs one tarball or layout: kobako import [--name NAME] [--arch ARCH] FILE|DIR|-`)
			}
			// ^C or a TERM ends the import cleanly: the reader fails, the
			// store removes its half-made temporary directory.
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			if st, err := os.Stat(cmd.Args().First()); err == nil && st.IsDir() {
				return importLayout(cmd, cmd.Args().First())
			}
			return importTarball(ctx, cmd, cmd.Args().First())
		},
	}
}

// importTarball imports file ("-" for stdin) and reports the new image.
func importTarball(ctx context.Context, cmd *cli.Command, file string) error {
	name, arch, err := importFlags(cmd, file)
	if err != nil {
		return err
	}
	in, size, source, err := openTarball(file)
	if err != nil {
		return err
	}
	defer in.Close()

	return importWithProgress(ctx, cmd, in, size, "importing", name, image.ImportOptions{Source: source, Arch: arch})
}

// importWithProgress imports the tarball in (size bytes) as name, with a
// progress bar ("importing NAME", "loading NAME"), and reports the image.
// ^C cancels the read, and the store leaves nothing half made.
func importWithProgress(ctx context.Context, cmd *cli.Command, in io.Reader, size int64, verb, name string, opts image.ImportOptions) error {
	g := globals(cmd)
	r, done := termui.Progress(cancelableReader{ctx, in}, size, verb+" "+name)
	img, err := image.NewStore(g.dataRoot, g.tracer).Import(r, name, opts)
	done()
	return reportImport(img, err)
}

// importLayout imports an OCI image layout directory and reports the new image.
func importLayout(cmd *cli.Command, dir string) error {
	name, arch, err := importFlags(cmd, dir)
	if err != nil {
		return err
	}
	source, err := filepath.Abs(dir)
	if err != nil {
		source = dir // the working directory is gone; the name as given will do
	}
	g := globals(cmd)
	img, err := image.NewStore(g.dataRoot, g.tracer).ImportLayout(dir, name, image.ImportOptions{Source: source, Arch: arch})
	return reportImport(img, err)
}

// reportImport prints the new image's name, and what was left out of it.
func reportImport(img *image.Image, err error) error {
	if err != nil {
		return err
	}
	termui.NewImage(img)
	return nil
}

// importFlags reads --name and --arch for what is imported from arg.
func importFlags(cmd *cli.Command, arg string) (name, arch string, err error) {
	if name, err = importName(cmd.String("name"), arg); err != nil {
		return "", "", err
	}
	arch, err = archFlag(cmd, "arch")
	return name, arch, err
}

// importName is --name, or the file's name made into an image name. It is
// checked before anything is read.
func importName(flag, file string) (string, error) {
	name := flag
	if name == "" {
		if file == "-" {
			return "", errors.New("importing from stdin (-) needs a name: kobako import --name NAME -")
		}
		name = image.NameFromFile(file)
	}
	return name, image.ValidName(name)
}

// archFlag is the flag name (--arch, --platform), checked before anything
// is read; "" lets the store find the architecture out.
func archFlag(cmd *cli.Command, name string) (string, error) {
	value := cmd.String(name)
	if value == "" {
		return "", nil
	}
	arch, err := image.ParseArch(value)
	if err != nil {
		return "", fmt.Errorf("--%s: %w", name, err)
	}
	return arch, nil
}

// openTarball opens file, or stdin for "-", and says how big it is (-1 when
// unknown) and where it came from, for kobako images.
func openTarball(file string) (in io.ReadCloser, size int64, source string, err error) {
	if file == "-" {
		return io.NopCloser(os.Stdin), -1, "-", nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, 0, "", fmt.Errorf("open tarball: %w", err)
	}
	size = -1
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	if source, err = filepath.Abs(file); err != nil {
		source = file // the working directory is gone; the name as given will do
	}
	return f, size, source, nil
}

// cancelableReader stops reading once ctx is done (the user pressed ^C).
type cancelableReader struct {
	ctx context.Context
	r   io.Reader
}

func (c cancelableReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, errors.New("import interrupted")
	}
	return c.r.Read(p)
}
