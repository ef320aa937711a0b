package main

// runc's events: what a container's cgroup has counted, as JSON lines —
// every --interval a "stats" event, and an "oom" event each time the OOM
// killer has killed one of its processes — until the container stops.
// --stats prints one stats event and exits.
//
//	cat memory.usage_in_bytes cpuacct.usage pids.current …   # v1
//	cat memory.current cpu.stat pids.current memory.events   # v2
//
// The shape is runc's (its types/events.go), so that tools written for
// runc's events read kobako's; the figures are the ones kobako's cgroups
// package reads (cgroups/*_stats.go). Where it reads none — the CPU time's
// split into user and kernel, block IO, hugetlb — the fields are zero or
// empty.

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/signal"
	"time"

	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/runtime"
)

// oomPoll is how often the OOM kill count is read between stats events.
// The kernel can notify (memory.events is pollable on v2, an eventfd on
// v1); reading a counter twice a second is simpler and soon enough for a
// line that reports a death after the fact.
const oomPoll = 500 * time.Millisecond

// ociEvent is one line of runc's events.
type ociEvent struct {
	Type string    `json:"type"`
	ID   string    `json:"id"`
	Data *ociStats `json:"data,omitempty"`
}

// ociStats is runc's types.Stats, as far as kobako reads it.
type ociStats struct {
	CPU struct {
		Usage struct {
			Total  uint64 `json:"total,omitempty"` // ns
			Kernel uint64 `json:"kernel"`
			User   uint64 `json:"user"`
		} `json:"usage,omitempty"`
		Throttling struct {
			Periods          uint64 `json:"periods,omitempty"`
			ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
			ThrottledTime    uint64 `json:"throttledTime,omitempty"`
		} `json:"throttling,omitempty"`
	} `json:"cpu"`
	Memory struct {
		Usage memoryEntry `json:"usage,omitempty"`
	} `json:"memory"`
	Pids struct {
		Current uint64 `json:"current,omitempty"`
		Limit   uint64 `json:"limit,omitempty"`
	} `json:"pids"`
	Blkio             struct{}          `json:"blkio"`
	Hugetlb           map[string]any    `json:"hugetlb"`
	IntelRdt          struct{}          `json:"intel_rdt"`
	NetworkInterfaces []json.RawMessage `json:"network_interfaces"`
}

type memoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

// statsEvent is s in runc's shape. No memory limit is the largest number,
// as runc reads v2's "max".
func statsEvent(id string, s *cgroups.Stats) ociEvent {
	d := &ociStats{Hugetlb: map[string]any{}}
	d.CPU.Usage.Total = uint64(s.CPUUsage.Nanoseconds())
	d.CPU.Throttling.Periods = s.NrPeriods
	d.CPU.Throttling.ThrottledPeriods = s.NrThrottled
	d.CPU.Throttling.ThrottledTime = uint64(s.ThrottledTime.Nanoseconds())
	d.Memory.Usage = memoryEntry{Limit: s.MemoryLimit, Usage: s.MemoryUsage, Max: s.MemoryPeak}
	if s.MemoryLimit == 0 {
		d.Memory.Usage.Limit = math.MaxUint64
	}
	d.Pids.Current, d.Pids.Limit = s.Pids, s.PidsLimit
	return ociEvent{Type: "stats", ID: id, Data: d}
}

func ociEventsCommand() *cli.Command {
	return &cli.Command{
		Name:      "events",
		Usage:     "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
		ArgsUsage: "ID",
		Description: `Prints, as JSON lines, the container's usage every --interval
   {"type":"stats","id":"c1","data":{"cpu":{…},"memory":{…},"pids":{…},…}}
and {"type":"oom","id":"c1"} each time the OOM killer kills one of its
processes, until the container stops (or ^C). --stats prints one stats line
and exits.

(kobako events, without an id, is the journal of kobako's own containers.)`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "how often to print the usage"},
			&cli.BoolFlag{Name: "stats", Usage: "print the usage once, then exit"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			id, err := oneID(cmd)
			if err != nil {
				return err
			}
			interval := cmd.Duration("interval")
			if interval <= 0 {
				return errors.New("--interval must be more than 0, like 5s")
			}
			rt, err := runtimeOf(cmd)
			if err != nil {
				return err
			}
			out := json.NewEncoder(os.Stdout)
			first, err := rt.Stats(id)
			if err != nil {
				return err
			}
			if cmd.Bool("stats") {
				return out.Encode(statsEvent(id, first))
			}
			ctx, stop := signal.NotifyContext(ctx, unix.SIGINT, unix.SIGTERM)
			defer stop()
			return followEvents(ctx, rt, id, interval, first.OOMKills, out)
		},
	}
}

// followEvents prints stats every interval and oom events as they come,
// until the container stops. A reading that fails is logged and the next
// one tried, as runc does.
func followEvents(ctx context.Context, rt *runtime.Runtime, id string, interval time.Duration, ooms uint64, out *json.Encoder) error {
	log := ociLogOf(ctx)
	poll := time.NewTicker(min(interval, oomPoll))
	defer poll.Stop()
	next := time.Now().Add(interval)
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-poll.C:
			s, err := rt.Stats(id)
			if errors.Is(err, runtime.ErrNotRunning) || errors.Is(err, runtime.ErrNotExist) {
				return nil // stopped, or deleted: no more events
			}
			if err != nil {
				log.Error(err)
				continue
			}
			for ; ooms < s.OOMKills; ooms++ {
				if err := out.Encode(ociEvent{Type: "oom", ID: id}); err != nil {
					return err
				}
			}
			if !now.Before(next) {
				next = now.Add(interval)
				if err := out.Encode(statsEvent(id, s)); err != nil {
					return err
				}
			}
		}
	}
}
