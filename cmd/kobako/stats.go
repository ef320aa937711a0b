package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func statsCommand() *cli.Command {
	return &cli.Command{
		Name:      "stats",
		Usage:     "show running containers' resource usage against their limits",
		ArgsUsage: "[CONTAINER...]",
		Description: `Reads each container's cgroup — the kernel's own accounting: memory now and
at its peak against the limit, CPU time used, how often the CPU quota
throttled it, and its number of processes. Without arguments, every running
container.

Examples:
   sudo kobako run -d --name hog --cpus 0.3 busybox sh -c 'while :; do :; done'
   sudo kobako stats hog`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			list, err := containersFor(store, cmd.Args().Slice())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
			fmt.Fprintln(w, "NAME\tMEM USAGE / LIMIT\tMEM PEAK\tCPU TIME\tTHROTTLED\tPIDS")
			for _, c := range list {
				st, err := store.Stats(c)
				if errors.Is(err, container.ErrNoCgroup) {
					continue
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\t%s / %s\t%s\t%.2fs\t%d of %d periods\t%d / %s\n", c.Name,
					formatSize(st.MemoryUsage), limitText(st.MemoryLimit, formatSize), formatSize(st.MemoryPeak),
					st.CPUUsage.Seconds(), st.NrThrottled, st.NrPeriods, st.Pids,
					limitText(st.PidsLimit, func(n uint64) string { return fmt.Sprint(n) }))
			}
			return w.Flush()
		},
	}
}

// containersFor is the named containers, or every running one.
func containersFor(store *container.Store, refs []string) ([]*container.Container, error) {
	if len(refs) > 0 {
		var list []*container.Container
		for _, ref := range refs {
			c, err := store.Lookup(ref)
			if err != nil {
				return nil, err
			}
			list = append(list, c)
		}
		return list, nil
	}
	all, err := store.List()
	if err != nil {
		return nil, err
	}
	var running []*container.Container
	for _, c := range all {
		if st, err := store.Status(c); err == nil && st.State == specs.StateRunning {
			running = append(running, c)
		}
	}
	return running, nil
}

func limitText(n uint64, format func(uint64) string) string {
	if n == 0 {
		return "no limit"
	}
	return format(n)
}
