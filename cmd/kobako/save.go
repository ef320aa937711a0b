package main

// kobako save and kobako load: images out of the store as a docker save
// archive (image/save.go), and back in. load is import for such an
// archive, with the name the archive gives its image.
//
// Shell twin: docker save -o busybox.tar busybox; docker load -i busybox.tar

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
	"golang.org/x/term"

	"github.com/kobako/kobako/image"
)

func saveCommand() *cli.Command {
	return &cli.Command{
		Name:      "save",
		Usage:     "write images to a docker save archive",
		ArgsUsage: "IMAGE...",
		Description: `Writes the images, with their layers and run defaults (Cmd, Entrypoint,
Env, WorkingDir, User), as a docker save tarball: manifest.json, one config
per image, one layer.tar per layer (a layer two images share is in it once).
docker load, kobako load and kobako import read it back.

Examples:
   sudo kobako save -o mine.tar mine
   sudo kobako save mine | gzip > mine.tar.gz
   sudo kobako rmi mine && sudo kobako load -i mine.tar && sudo kobako run --rm mine`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` instead of stdout"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() == 0 {
				return errors.New(`"save" needs at least one image: kobako save [-o FILE] IMAGE...`)
			}
			g := globals(cmd)
			store := image.NewStore(g.dataRoot, g.tracer)
			out := cmd.String("output")
			if out == "" || out == "-" {
				if term.IsTerminal(int(os.Stdout.Fd())) {
					return errors.New("refusing to write an archive to a terminal: use -o FILE, or redirect the output")
				}
				return store.Save(os.Stdout, cmd.Args().Slice())
			}
			return saveToFile(store, out, cmd.Args().Slice())
		},
	}
}

// saveToFile writes the archive beside file and renames it into place:
// a failed save leaves no half archive under the name asked for.
func saveToFile(store *image.Store, file string, names []string) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
	if err != nil {
		return fmt.Errorf("save to %s: %w", file, err)
	}
	err = store.Save(tmp, names)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// chmod 0644: an archive is no secret of the store's, as docker's is not
		if err = os.Chmod(tmp.Name(), 0o644); err == nil {
			err = os.Rename(tmp.Name(), file)
		}
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

func loadCommand() *cli.Command {
	return &cli.Command{
		Name:  "load",
		Usage: "make an image from a docker save archive",
		Description: `Reads a docker save archive (plain or gzipped), as kobako save and docker
save write it, from FILE or stdin: kobako import of it, under the name its
manifest gives (busybox:latest is kobako's busybox; a registry and
namespace are left out). Of an archive of several images, the first.

Examples:
   sudo kobako load -i mine.tar
   docker save busybox | sudo kobako load`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "input", Aliases: []string{"i"}, Usage: "read from `FILE` instead of stdin"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() > 0 {
				return fmt.Errorf("load takes no arguments: kobako load -i %s", cmd.Args().First())
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			file := cmd.String("input")
			if file == "" || file == "-" {
				if term.IsTerminal(int(os.Stdin.Fd())) {
					return errors.New("load reads an archive from stdin, which is a terminal: use -i FILE, or redirect the input")
				}
				spooled, err := spoolStdin()
				if err != nil {
					return err
				}
				defer os.Remove(spooled)
				file = spooled
			}
			return loadArchive(ctx, cmd, file)
		},
	}
}

// loadArchive imports file under the name in its manifest.
func loadArchive(ctx context.Context, cmd *cli.Command, file string) error {
	in, size, source, err := openTarball(file)
	if err != nil {
		return err
	}
	defer in.Close()
	// The name is in manifest.json, which docker writes last: one read
	// for the name, a second for the import.
	name, err := image.ArchiveName(in)
	if err != nil {
		return fmt.Errorf("load %s: %w", file, err)
	}
	if name == "" {
		name = image.NameFromFile(file)
	}
	if _, err := in.(io.Seeker).Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("load %s: %w", file, err)
	}
	return importWithProgress(ctx, cmd, in, size, "loading", name, image.ImportOptions{Source: source})
}

// spoolStdin copies stdin to a temporary file, which loadArchive reads
// twice; the caller removes it.
func spoolStdin() (string, error) {
	f, err := os.CreateTemp("", "kobako-load-*.tar")
	if err != nil {
		return "", fmt.Errorf("load: %w", err)
	}
	_, err = io.Copy(f, os.Stdin)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("load from stdin: %w", err)
	}
	return f.Name(), nil
}
