// kobako system df, kobako system prune: the store's disk space, and
// getting it back.
//
// Shell twin: du -s -x /var/lib/kobako/layers/* /var/lib/kobako/containers/*
// for df; kobako container prune, then kobako rmi of each image no
// container uses, for prune -a.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/internal/termui"
)

func systemCommand() *cli.Command {
	return &cli.Command{
		Name:     "system",
		Usage:    "manage kobako's store as a whole",
		Commands: []*cli.Command{systemDfCommand(), systemPruneCommand()},
	}
}

func systemDfCommand() *cli.Command {
	return &cli.Command{
		Name:  "df",
		Usage: "show the disk space images, containers and logs take",
		Description: `Shows how much disk the store (--data-root) takes, as du counts it: blocks
on disk, links not followed, each hard-linked file once. An image's size is
that of its layers; images share layers, and the total counts each layer
once. A container's size is its writable layer (the overlay's upper dir,
and its config): the image below it is counted with the image. ACTIVE
images are the ones a container uses, ACTIVE containers the running ones;
RECLAIMABLE is what kobako system prune -a would give back.

Example:
   sudo kobako system df -v`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "show the size of each image and container"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			// Like images: reading needs only the right to read the store.
			u, err := diskUsage(globals(cmd))
			if err != nil {
				return err
			}
			if cmd.Bool("verbose") {
				return u.printVerbose()
			}
			return u.printSummary()
		},
	}
}

// storeUsage is what df reports: each image and container, and its size.
type storeUsage struct {
	images     []imageUsage
	containers []containerUsage
	layers     map[string]int64 // each layer's size, by directory
	active     map[string]bool  // the layers a container mounts
}

type imageUsage struct {
	image.Image
	size  int64
	users int // containers made from it
}

type containerUsage struct {
	*container.Container
	state       specs.ContainerState
	layer, logs int64
}

// diskUsage walks the store: every image's directory, every container's.
func diskUsage(g settings) (*storeUsage, error) {
	containers := container.NewStore(g.root, g.dataRoot, g.tracer)
	list, err := containers.List()
	if err != nil {
		return nil, err
	}
	var u storeUsage
	users := map[string]int{}
	for _, c := range list {
		st, err := containers.Status(c)
		if err != nil {
			return nil, err
		}
		layer, logs, err := containers.DiskUsage(c)
		if err != nil {
			return nil, err
		}
		u.containers = append(u.containers, containerUsage{c, st.State, layer, logs})
		users[c.Image]++
	}
	images, err := image.NewStore(g.dataRoot, g.tracer).List()
	if err != nil {
		return nil, err
	}
	u.layers, u.active = map[string]int64{}, map[string]bool{}
	for _, c := range u.containers {
		if err := u.addLayers(c.Overlay.Lower, true); err != nil {
			return nil, err
		}
	}
	for _, img := range images {
		if err := u.addLayers(img.Layers, false); err != nil {
			return nil, err
		}
		var size int64
		for _, dir := range img.Layers {
			size += u.layers[dir]
		}
		u.images = append(u.images, imageUsage{img, size, users[img.Name]})
	}
	return &u, nil
}

// addLayers measures the layers not measured yet, and marks them active
// if a container mounts them.
func (u *storeUsage) addLayers(dirs []string, mounted bool) error {
	for _, dir := range dirs {
		if _, measured := u.layers[dir]; !measured {
			// du -s -x LAYER
			size, err := fileutil.DiskUsage(dir)
			if err != nil {
				return err
			}
			u.layers[dir] = size
		}
		u.active[dir] = u.active[dir] || mounted
	}
	return nil
}

// printSummary prints docker's table: TYPE TOTAL ACTIVE SIZE RECLAIMABLE.
func (u *storeUsage) printSummary() error {
	type row struct {
		total, active     int
		size, reclaimable int64
	}
	var images, containers, logs row
	for _, img := range u.images {
		images.total++
		if img.users > 0 {
			images.active++
		}
	}
	for dir, size := range u.layers {
		images.size += size
		if !u.active[dir] {
			images.reclaimable += size
		}
	}
	for _, c := range u.containers {
		containers.total++
		containers.size += c.layer
		logs.size += c.logs
		if c.logs > 0 {
			logs.total++
		}
		if c.state == specs.StateStopped {
			// prune removes a stopped container with its log
			containers.reclaimable += c.layer
			logs.reclaimable += c.logs
			continue
		}
		containers.active++
		if c.logs > 0 {
			logs.active++
		}
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
	fmt.Fprintln(w, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE")
	for _, r := range []struct {
		name string
		row
	}{{"Images", images}, {"Containers", containers}, {"Logs", logs}} {
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\n", r.name, r.total, r.active, termui.Size(r.size), termui.Size(r.reclaimable))
	}
	return w.Flush()
}

// printVerbose prints one line per image and per container.
func (u *storeUsage) printVerbose() error {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
	fmt.Fprintln(w, "Images space usage:\n\nNAME\tSIZE\tCONTAINERS")
	for _, img := range u.images {
		fmt.Fprintf(w, "%s\t%s\t%d\n", img.Name, termui.Size(img.size), img.users)
	}
	fmt.Fprintln(w, "\nContainers space usage:\n\nCONTAINER ID\tIMAGE\tSTATUS\tSIZE\tLOGS\tNAMES")
	for _, c := range u.containers {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ShortID(), c.Image, c.state, termui.Size(c.layer), termui.Size(c.logs), c.Name)
	}
	return w.Flush()
}

func systemPruneCommand() *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "remove stopped containers, and with -a unused images",
		Description: `Removes every stopped container, as kobako container prune does. With --all,
it then removes every image that no container uses (the running ones, and
any that are left), as kobako rmi would. Then kobako build's cache goes, and
last every layer that no image lists and no container mounts. What killed
kobako commands left without a record goes first: state dirs of creates that
died, container dirs without a record, names that lead nowhere, and cgroups
under /kobako that no container names, hold no process and have not changed
for 10 minutes (another --root's may be younger). It asks first; -f does not.

Example:
   sudo kobako system prune -a -f`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "remove images no container uses, too"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if !cmd.Bool("force") {
				if ok, err := confirmPrune(cmd.Bool("all")); !ok || err != nil {
					return err
				}
			}
			container.SurviveClosedPipes()
			g := globals(cmd)
			containers := container.NewStore(g.root, g.dataRoot, g.tracer)
			// and what killed kobako commands left: idle cgroups under
			// /kobako that no container names, too
			sweepOrphans(containers, true)
			removed, err := containers.Prune()
			for _, c := range removed {
				fmt.Println("deleted container", c.Name)
			}
			images := image.NewStore(g.dataRoot, g.tracer)
			if err == nil && cmd.Bool("all") {
				err = pruneImages(containers, images)
			}
			if err != nil {
				return err
			}
			// kobako build's cache: its layers go with the others below
			n, err := images.PruneBuildCache()
			if n > 0 {
				fmt.Println("deleted", n, "build cache entries")
			}
			if err != nil {
				return err
			}
			return collectLayers(containers, images)
		},
	}
}

// confirmPrune asks on the terminal. With no terminal to ask on (a script,
// a pipe) it refuses: removing is only done when someone said so.
func confirmPrune(all bool) (bool, error) {
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return false, errors.New("system prune asks for confirmation, and stdin is not a terminal: add -f to remove without asking")
	}
	what := "all stopped containers"
	if all {
		what += " and all images no container uses"
	}
	fmt.Printf("This removes %s.\nAre you sure you want to continue? [y/N] ", what)
	answer, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && answer == "" {
		return false, fmt.Errorf("read confirmation: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// pruneImages removes each image that nothing uses: what kobako rmi would
// remove without complaint. In an older store, removing a committed image
// may free its parent (Children), so it goes round again until a round
// removes nothing; images that share layers need no second round.
func pruneImages(containers *container.Store, images *image.Store) error {
	for {
		list, err := images.List()
		if err != nil {
			return err
		}
		var errs []error
		removed := false
		for _, img := range list {
			users, err := removeImage(containers, images, img.Name, false)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !users.any() {
				fmt.Println("deleted image", img.Name)
				removed = true
			}
		}
		if !removed || len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
}
