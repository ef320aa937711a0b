package main

// kobako volume create|ls|inspect|rm|prune: the named volumes that
// -v NAME:/path and --mount type=volume bind (container/volumes.go).
//
// Shell twin: mkdir -p /var/lib/kobako/volumes/NAME/_data for create,
// ls /var/lib/kobako/volumes for ls, rm -rf …/NAME for rm.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func volumeCommand() *cli.Command {
	return &cli.Command{
		Name:  "volume",
		Usage: "manage named volumes: data that outlives containers",
		Description: `A named volume is a directory kobako keeps, <data-root>/volumes/NAME/_data,
that run binds into a container as -v binds a host directory: -v NAME:/path
(made on first use, and then filled with what the image has at /path), or
--mount type=volume,source=NAME,target=/path. It stays when the container
goes, and a volume a container uses (running or not) cannot be removed.

Examples:
   sudo kobako volume create cache
   sudo kobako run --rm -v cache:/data busybox sh -c 'date > /data/when'
   sudo kobako volume inspect cache
   sudo kobako volume rm cache`,
		Commands: []*cli.Command{volumeCreateCommand(), volumeLsCommand(), volumeInspectCommand(),
			volumeRmCommand(), volumePruneCommand()},
	}
}

// volumeStoreOf is the container store, where volumes live, after the
// same check of rights as every command that writes the store.
func volumeStoreOf(cmd *cli.Command) (*container.Store, error) {
	if err := requireRootOrOwnStore(cmd); err != nil {
		return nil, err
	}
	g := globals(cmd)
	return container.NewStore(g.root, g.dataRoot, g.tracer), nil
}

func volumeCreateCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "make a named volume (nothing happens if it exists)",
		ArgsUsage: "NAME",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "set a `KEY=VALUE` label (repeatable)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() > 1 {
				return errors.New(`"volume create" takes one name: kobako volume create [NAME]`)
			}
			store, err := volumeStoreOf(cmd)
			if err != nil {
				return err
			}
			labels, err := labelsFromFlags(cmd)
			if err != nil {
				return err
			}
			var v *container.Volume
			if name := cmd.Args().First(); name != "" {
				v, err = store.CreateVolume(name, labels)
			} else {
				v, err = store.CreateAnonymousVolume() // docker's: a name is made
			}
			if err != nil {
				return err
			}
			fmt.Println(v.Name)
			return nil
		},
	}
}

func volumeLsCommand() *cli.Command {
	return &cli.Command{
		Name:    "ls",
		Aliases: []string{"list"},
		Usage:   "list the volumes",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print the names only"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			store, err := volumeStoreOf(cmd)
			if err != nil {
				return err
			}
			list, err := store.Volumes()
			if err != nil {
				return err
			}
			if cmd.Bool("quiet") {
				for _, v := range list {
					fmt.Println(v.Name)
				}
				return nil
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
			fmt.Fprintln(w, "DRIVER\tVOLUME NAME")
			for _, v := range list {
				fmt.Fprintf(w, "%s\t%s\n", v.Driver, v.Name)
			}
			return w.Flush()
		},
	}
}

func volumeInspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show volumes as JSON: where the data is, when made, labels",
		ArgsUsage: "NAME...",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() == 0 {
				return errors.New(`"volume inspect" needs a volume: kobako volume inspect NAME...`)
			}
			store, err := volumeStoreOf(cmd)
			if err != nil {
				return err
			}
			list := []*container.Volume{}
			for _, name := range cmd.Args().Slice() {
				v, err := store.Volume(name)
				if err != nil {
					return err
				}
				list = append(list, v)
			}
			out, err := json.MarshalIndent(list, "", "    ")
			if err != nil {
				return err
			}
			fmt.Println(string(out))
			return nil
		},
	}
}

func volumeRmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Aliases:   []string{"remove"},
		Usage:     "remove volumes no container uses",
		ArgsUsage: "NAME...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "no error for a volume that is not there (a used one is still refused)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() == 0 {
				return errors.New(`"volume rm" needs a volume: kobako volume rm [-f] NAME...`)
			}
			store, err := volumeStoreOf(cmd)
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range cmd.Args().Slice() {
				if err := store.RemoveVolume(name, cmd.Bool("force")); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Println(name)
			}
			return errors.Join(errs...)
		},
	}
}

func volumePruneCommand() *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "remove the anonymous volumes no container uses (-a: every unused one)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "named volumes too, as docker 23's volume prune -a"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "ask nothing (kobako never asks; for docker's habit)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			store, err := volumeStoreOf(cmd)
			if err != nil {
				return err
			}
			removed, err := store.PruneVolumes(cmd.Bool("all"))
			for _, name := range removed {
				fmt.Println(name)
			}
			return err
		},
	}
}
