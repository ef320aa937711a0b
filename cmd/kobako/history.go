// kobako history: an image's layers, where they are, and who shares them.
//
// Shell twin: jq -r '.layers[]' /var/lib/kobako/images/NAME/image.json,
// then du -s -x /var/lib/kobako/layers/<sha256> for each.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/image"
	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/internal/termui"
)

func historyCommand() *cli.Command {
	return &cli.Command{
		Name:      "history",
		Usage:     "list an image's layers",
		ArgsUsage: "IMAGE",
		Description: `Lists the layers of an image, the top one first, as overlayfs stacks them in
a container's lowerdir=: each one's id (the sha256 of its tar), its size on
disk, the other images that share it, and, with --no-trunc, its directory.
A layer is on disk once, however many images and containers have it.

Example:
   sudo kobako history busybox
   sudo kobako history --no-trunc mine     # the directories to look into`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-trunc", Usage: "show whole ids, and each layer's directory"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 1 {
				return errors.New(`"history" needs one image: kobako history IMAGE`)
			}
			g := globals(cmd)
			images := image.NewStore(g.dataRoot, g.tracer)
			img, err := images.Get(cmd.Args().First())
			if err != nil {
				return err
			}
			all, err := images.List()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
			header := "LAYER\tSIZE\tSHARED WITH"
			if cmd.Bool("no-trunc") {
				header += "\tDIRECTORY"
			}
			// CREATED BY: the Dockerfile step, for an image kobako build made
			steps := len(img.History) > 0
			if steps {
				header += "\tCREATED BY"
			}
			fmt.Fprintln(w, header)
			for _, row := range img.Rows() {
				line := "-\t" + termui.Size(0) + "\t-" // a step that made no layer (ENV, CMD …)
				if cmd.Bool("no-trunc") {
					line += "\t-"
				}
				if row.Layer >= 0 {
					if line, err = layerLine(cmd, img, all, row.Layer); err != nil {
						return err
					}
				}
				if steps {
					line += "\t" + orDash(row.CreatedBy)
				}
				fmt.Fprintln(w, line)
			}
			return w.Flush()
		},
	}
}

// layerLine is the history line of the image's layer i.
func layerLine(cmd *cli.Command, img *image.Image, all []image.Image, i int) (string, error) {
	dir := img.Layers[i]
	// du -s -x LAYER
	size, err := fileutil.DiskUsage(dir)
	if err != nil {
		return "", err
	}
	id := img.LayerIDs[i]
	if !cmd.Bool("no-trunc") {
		id = id[:min(len(id), len("sha256:")+12)]
	}
	line := fmt.Sprintf("%s\t%s\t%s", id, termui.Size(size), sharers(all, img.Name, dir))
	if cmd.Bool("no-trunc") {
		line += "\t" + dir
	}
	return line, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// sharers names the images other than name that have the layer dir, or "-".
func sharers(images []image.Image, name, dir string) string {
	var others []string
	for _, img := range images {
		if img.Name != name && slices.Contains(img.Layers, filepath.Clean(dir)) {
			others = append(others, img.Name)
		}
	}
	if len(others) == 0 {
		return "-"
	}
	return strings.Join(others, ",")
}
