package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/kobako/kobako/container"
)

func statsCommand() *cli.Command {
	return &cli.Command{
		Name:      "stats",
		Usage:     "show running containers' resource usage against their limits, live",
		ArgsUsage: "[CONTAINER...]",
		Description: `Reads each container's cgroup — the kernel's own accounting — every second
and shows it again, as docker stats does, until you press ^C: CPU % (the CPU
time it used in that second: 100 % is one CPU kept busy), memory now, against
the limit and at its peak, CPU time used in all, how often the CPU quota
throttled it, how many of its processes the OOM killer killed, and its
number of processes. Without arguments, every running container.
--no-stream prints the table once, a second after the first reading.

Examples:
   sudo kobako run -d --name hog --cpus 0.3 busybox sh -c 'while :; do :; done'
   sudo kobako stats hog                     # CPU % stays near 30
   sudo kobako stats --no-stream`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-stream", Usage: "print the usage once instead of every second"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			named, err := lookupAll(store, cmd.Args().Slice())
			if err != nil {
				return err
			}
			return showStats(ctx, store, named, !cmd.Bool("no-stream"), os.Stdout)
		},
	}
}

// showStats prints a table a second after the first reading, and then
// every second while stream is set: CPU % needs two readings.
func showStats(ctx context.Context, store *container.Store, named []*container.Container, stream bool, out *os.File) error {
	// On a terminal each table replaces the last (clear, cursor home).
	redraw := stream && term.IsTerminal(int(out.Fd()))
	prev, err := readUsage(store, named)
	if err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
		now, err := readUsage(store, named)
		if err != nil {
			return err
		}
		if redraw {
			fmt.Fprint(out, "\033[2J\033[H")
		}
		if err := printStats(out, prev, now); err != nil || !stream {
			return err
		}
		prev = now
	}
}

// sample is one container's reading.
type sample struct {
	c     *container.Container
	usage container.Usage
}

// readUsage reads the named containers, or every running one; those with
// no cgroup (not running) are left out.
func readUsage(store *container.Store, named []*container.Container) ([]sample, error) {
	list := named
	if len(list) == 0 {
		var err error
		if list, err = runningContainers(store); err != nil {
			return nil, err
		}
	}
	var samples []sample
	for _, c := range list {
		u, err := store.Usage(c)
		if errors.Is(err, container.ErrNoCgroup) {
			continue
		}
		if err != nil {
			return nil, err
		}
		samples = append(samples, sample{c, u})
	}
	return samples, nil
}

func printStats(out io.Writer, prev, now []sample) error {
	w := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(w, "NAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tMEM PEAK\tCPU TIME\tTHROTTLED\tOOM KILLS\tPIDS")
	for _, s := range now {
		st := s.usage
		cpu := "--" // no reading a second ago: it has just started
		for _, p := range prev {
			if p.c.ID == s.c.ID {
				cpu = fmt.Sprintf("%.2f%%", container.CPUPercent(p.usage, st))
			}
		}
		mem := "--"
		if st.MemoryLimit != 0 {
			mem = fmt.Sprintf("%.2f%%", st.MemoryPercent())
		}
		fmt.Fprintf(w, "%s\t%s\t%s / %s\t%s\t%s\t%.2fs\t%d of %d periods\t%d\t%d / %s\n", s.c.Name, cpu,
			formatSize(st.MemoryUsage), limitText(st.MemoryLimit, formatSize), mem, formatSize(st.MemoryPeak),
			st.CPUUsage.Seconds(), st.NrThrottled, st.NrPeriods, st.OOMKills, st.Pids,
			limitText(st.PidsLimit, func(n uint64) string { return fmt.Sprint(n) }))
	}
	return w.Flush()
}

// lookupAll finds each container named.
func lookupAll(store *container.Store, refs []string) ([]*container.Container, error) {
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

func runningContainers(store *container.Store) ([]*container.Container, error) {
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
