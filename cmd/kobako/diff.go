package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "list the files a container added, changed or deleted",
		ArgsUsage: "CONTAINER",
		Description: `Lists what a container, running or stopped, changed in its file system, as
docker diff does: A for a file or directory it added, C for one it changed,
D for one it deleted. A directory shows as C when something in it changed.

This is the "Copy on Write" chapter seen from outside. The container's root
is an overlay: the image is the read-only lower dir, shared by every
container made from it, and the container's upper dir receives every
change — a new file, a whole copy of a file it wrote to, a character device
0,0 (a "whiteout") where it deleted an image file, and a directory marked
trusted.overlay.opaque=y where it deleted a directory and made a new one.
kobako diff reads the upper dir and tells A from C by looking at the image;
the image itself never changes. kobako inspect shows where the upper dir
is (overlay.upper): ls -lR it to see the same thing by hand.

Examples:
   sudo kobako run --name demo busybox sh -c 'echo new > /new; echo x >> /etc/passwd; rm /bin/true'
   sudo kobako diff demo
   C /bin
   D /bin/true
   C /etc
   C /etc/passwd
   A /new`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() != 1 {
				return errors.New(`"diff" needs one container: kobako diff CONTAINER`)
			}
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			c, err := store.Lookup(cmd.Args().First())
			if err != nil {
				return err
			}
			changes, err := store.Diff(c)
			if err != nil {
				return err
			}
			for _, ch := range changes {
				fmt.Printf("%c %s\n", ch.Kind, printablePath(ch.Path))
			}
			return nil
		},
	}
}

// printablePath is the path as docker prints it, unless the container
// named a file with a newline or a terminal escape in it: then it is
// quoted, so that the name can neither forge a line nor drive the terminal.
func printablePath(p string) string {
	if strings.ContainsFunc(p, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return strconv.Quote(p)
	}
	return p
}
