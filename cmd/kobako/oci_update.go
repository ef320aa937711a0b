package main

// runc's pause, resume and update: the container's cgroup, changed while
// it runs.
//
//	echo FROZEN > freezer.state   |  echo 1 > cgroup.freeze     # pause ID
//	echo THAWED > freezer.state   |  echo 0 > cgroup.freeze     # resume ID
//	echo 20971520 > memory.limit_in_bytes  |  > memory.max      # update --memory 20m ID
//
// update takes the new limits as flags or, from engines, as the JSON of
// config.json's linux.resources (--resources FILE, or - for stdin). As in
// runc, a value of 0 (or "") means "leave it as it is" (runtime/update.go
// keeps only the changes).

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/runtime"
)

// maxResourcesFile bounds --resources.
const maxResourcesFile = 1 << 20

func ociPauseCommand() *cli.Command {
	return &cli.Command{
		Name:      "pause",
		Usage:     "pause suspends all processes inside the container",
		ArgsUsage: "ID",
		Description: `Freezes every process of the container's cgroup at once — no signal,
nothing they can see — with the v1 freezer or v2's cgroup.freeze. kobako
state says "paused" until resume. A container that is not running answers
"container not running".

(kobako pause NAME… is kobako's own pause.)`,
		Action: withContainer(func(cmd *cli.Command, rt *runtime.Runtime, id string) error {
			return rt.Pause(id)
		}),
	}
}

func ociResumeCommand() *cli.Command {
	return &cli.Command{
		Name:      "resume",
		Usage:     "resumes all processes that have been previously paused",
		ArgsUsage: "ID",
		Description: `Thaws a paused container's cgroup. One that is not paused answers
"container not paused". (People say kobako unpause NAME.)`,
		Action: withContainer(func(cmd *cli.Command, rt *runtime.Runtime, id string) error {
			return rt.Resume(id)
		}),
	}
}

func ociUpdateCommand() *cli.Command {
	return &cli.Command{
		Name:      "update",
		Usage:     "update container resource constraints",
		ArgsUsage: "ID",
		Description: `Writes new limits into a running container's cgroup. Engines pass the JSON
of linux.resources (containerd: update --resources - ID, the JSON on stdin);
by hand, the flags:
   sudo kobako update --memory 20m --pids-limit 50 c1
Sizes take docker's units (20m is 20 MiB) or bytes; --memory-swap -1 is no
swap limit. With --resources the flags are ignored.

(kobako update [--memory …] NAME is kobako's own update.)`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "read linux.resources as JSON from `FILE`, or - for stdin; the other flags are ignored then"},
			&cli.UintFlag{Name: "blkio-weight", Usage: "block IO weight, 10 to 1000"},
			&cli.Uint64Flag{Name: "cpu-period", Usage: "CFS period in µs"},
			&cli.Int64Flag{Name: "cpu-quota", Usage: "CFS quota in µs per period"},
			&cli.Uint64Flag{Name: "cpu-share", Aliases: []string{"cpu-shares"}, Usage: "relative CPU weight (cpu.shares; cpu.weight on v2)"},
			&cli.Uint64Flag{Name: "cpu-rt-period", Usage: "realtime period in µs"},
			&cli.Int64Flag{Name: "cpu-rt-runtime", Usage: "realtime runtime in µs per period"},
			&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs to run on, like 0-1"},
			&cli.StringFlag{Name: "cpuset-mems", Usage: "memory nodes to use, like 0"},
			&cli.StringFlag{Name: "memory", Usage: "memory limit, like 20m or bytes"},
			&cli.StringFlag{Name: "memory-reservation", Usage: "memory soft limit, like 10m"},
			&cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap limit, like 40m; -1: no limit"},
			&cli.Int64Flag{Name: "pids-limit", Usage: "most processes at once; -1: no limit"},
		},
		Action: withContainer(func(cmd *cli.Command, rt *runtime.Runtime, id string) error {
			var res specs.LinuxResources
			var err error
			if path := cmd.String("resources"); path != "" {
				res, err = readResources(path)
			} else {
				res, err = resourcesFromOCIFlags(cmd)
			}
			if err != nil {
				return err
			}
			return rt.Update(id, &res)
		}),
	}
}

// readResources reads linux.resources' JSON from path, - for stdin.
func readResources(path string) (specs.LinuxResources, error) {
	var res specs.LinuxResources
	in := os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return res, fmt.Errorf("--resources: %w", err)
		}
		defer f.Close()
		in = f
	}
	if err := json.NewDecoder(io.LimitReader(in, maxResourcesFile)).Decode(&res); err != nil {
		return res, fmt.Errorf("--resources %s: %w", path, err)
	}
	return res, nil
}

// resourcesFromOCIFlags is linux.resources as update's flags give it.
func resourcesFromOCIFlags(cmd *cli.Command) (specs.LinuxResources, error) {
	res := specs.LinuxResources{
		Memory:  &specs.LinuxMemory{},
		CPU:     &specs.LinuxCPU{Cpus: cmd.String("cpuset-cpus"), Mems: cmd.String("cpuset-mems")},
		BlockIO: &specs.LinuxBlockIO{},
		Pids:    &specs.LinuxPids{},
	}
	for _, size := range []struct {
		flag string
		dest **int64
	}{
		{"memory", &res.Memory.Limit},
		{"memory-reservation", &res.Memory.Reservation},
		{"memory-swap", &res.Memory.Swap},
	} {
		v := cmd.String(size.flag)
		if v == "" {
			continue
		}
		n := int64(-1)
		if v != "-1" {
			var err error
			if n, err = parseSize(v); err != nil {
				return res, fmt.Errorf("--%s %s: %w", size.flag, v, err)
			}
		}
		*size.dest = &n
	}
	if cmd.IsSet("blkio-weight") {
		w := cmd.Uint("blkio-weight")
		if w < 10 || w > 1000 {
			return res, fmt.Errorf("--blkio-weight %d: want 10 to 1000", w)
		}
		weight := uint16(w)
		res.BlockIO.Weight = &weight
	}
	for _, u := range []struct {
		flag string
		dest **uint64
	}{
		{"cpu-period", &res.CPU.Period},
		{"cpu-share", &res.CPU.Shares},
		{"cpu-rt-period", &res.CPU.RealtimePeriod},
	} {
		if cmd.IsSet(u.flag) {
			v := cmd.Uint64(u.flag)
			*u.dest = &v
		}
	}
	for _, i := range []struct {
		flag string
		dest **int64
	}{
		{"cpu-quota", &res.CPU.Quota},
		{"cpu-rt-runtime", &res.CPU.RealtimeRuntime},
		{"pids-limit", &res.Pids.Limit},
	} {
		if cmd.IsSet(i.flag) {
			v := cmd.Int64(i.flag)
			*i.dest = &v
		}
	}
	return res, nil
}
