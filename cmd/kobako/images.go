// kobako images: list the images in the store.
//
// Shell twin: ls /var/lib/kobako/images — the article's one $ROOTFS, many
// times over, each with its image.json.
package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/image"
	"github.com/kobako/kobako/internal/termui"
)

func imagesCommand() *cli.Command {
	return &cli.Command{
		Name:  "images",
		Usage: "list images",
		Description: `Lists the images in the store (--data-root): the ones made with kobako pull,
import and commit, and busybox once it has been built (the first kobako run
busybox does that). SOURCE is where each came from: for a pulled image, its
repository and the digest of its manifest.
ARCH is the machine its programs are for (GOARCH names: amd64, arm64 …), as
read from their ELF headers at import or given with import --arch; unknown
when the image has no program to read it from. LAYERS is how many layers
it stacks (kobako history IMAGE lists them).

-q prints only the names, one a line: a kobako image is known by its name,
so that is what docker's image ids are for (kobako rmi $(kobako images -q)).

Examples:
   sudo kobako images
   sudo kobako images -q`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the image names"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			// No requireRootOrOwnStore: reading needs only the right to read the store,
			// and if that is missing, List's error says so.
			g := globals(cmd)
			images, err := image.NewStore(g.dataRoot, g.tracer).List()
			if err != nil {
				return err
			}
			if cmd.Bool("quiet") {
				for _, img := range images {
					fmt.Println(img.Name)
				}
				return nil
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
			fmt.Fprintln(w, "NAME\tARCH\tSIZE\tLAYERS\tCREATED\tSOURCE")
			now := time.Now()
			for _, img := range images {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s ago\t%s\n", img.Name, img.Arch, termui.Size(img.Size), len(img.Layers), humanAge(now.Sub(img.Created)), img.Source)
			}
			return w.Flush()
		},
	}
}

// humanAge writes how long ago something happened, as docker does: "3
// minutes", "2 days".
func humanAge(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d < time.Second:
		return "less than a second"
	case d < time.Minute:
		return plural(int(d.Seconds()), "second")
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute")
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour")
	case d < 14*24*time.Hour:
		return plural(int(d.Hours()/24), "day")
	case d < 60*24*time.Hour:
		return plural(int(d.Hours()/24/7), "week")
	case d < 2*365*24*time.Hour:
		return plural(int(d.Hours()/24/30), "month")
	}
	return plural(int(d.Hours()/24/365), "year")
}
