package main

// kobako top: a container's processes as the host's ps shows them, with
// their host pids — docker top. The container package says which pids are
// the container's (its cgroup.procs); the host's ps describes them.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func topCommand() *cli.Command {
	return &cli.Command{
		Name:      "top",
		Usage:     "show a container's processes, as the host sees them",
		ArgsUsage: "CONTAINER [ps OPTIONS]",
		Description: `Lists the processes of a running container with their host pids: the pids
in its cgroup's cgroup.procs, described by the host's ps (default -ef; any
ps options go after the container's name and must show a PID column).
Inside, the same processes have other pids: kobako exec CONTAINER ps shows
its PID 1 — the PID namespace at work.

Examples:
   sudo kobako top web
   sudo kobako top web -o pid,rss,comm`,
		// everything after the container is ps's
		StopOnNthArg: intPtr(1),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			args := cmd.Args().Slice()
			if len(args) == 0 {
				return errors.New(`"top" needs a container: kobako top CONTAINER [ps OPTIONS]`)
			}
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			c, err := store.Lookup(args[0])
			if err != nil {
				return err
			}
			pids, err := store.Pids(c)
			if err != nil {
				return err
			}
			psArgs := args[1:]
			if len(psArgs) == 0 {
				psArgs = []string{"-ef"}
			}
			return printTop(ctx, psArgs, pids)
		},
	}
}

// printTop runs the host's ps with psArgs and prints its lines for pids.
func printTop(ctx context.Context, psArgs []string, pids []int) error {
	// ps -ef
	out, err := exec.CommandContext(ctx, "ps", psArgs...).Output()
	if errors.Is(err, exec.ErrNotFound) {
		return errors.New("top needs the host's ps: install procps (apt-get install procps)")
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("ps %s: %s", strings.Join(psArgs, " "), psErrorLine(string(ee.Stderr)))
	}
	if err != nil {
		return fmt.Errorf("ps %s: %w", strings.Join(psArgs, " "), err)
	}
	header, rows, err := container.FilterPS(string(out), pids)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	return w.Flush()
}

// psErrorLine is a program's error message without the usage after it.
func psErrorLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
