package main

// The cgroup flags of `kobako run`, turned into the OCI spec's
// linux.resources. The article's limits are
//
//	kobako run --memory 10000000b --cpu-quota 300000 --cpu-period 1000000 …
//
// or, as people say it, --memory 10m --cpus 0.3.

import (
	"errors"
	"fmt"
	goruntime "runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
)

// minMemory is docker's lower bound: below it a container cannot even start
// its runtime's own processes reliably.
const minMemory = 6 << 20

// cpuPeriod is the kernel's default CFS period, 100 ms: --cpus 0.3 means a
// quota of 30 ms in each.
const cpuPeriod = 100000

func resourceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Usage: "memory limit, like 10m (MiB) or the article's 10000000b (bytes); at least 6m (default: no limit)"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap limit, at least --memory; -1: unlimited swap; 0 or left out: no swap beyond --memory"},
		&cli.FloatFlag{Name: "cpus", Usage: "CPUs the container may use, like 0.3 (30 % of one core: quota 30000 per 100000 µs)"},
		&cli.Int64Flag{Name: "cpu-quota", Usage: "CFS quota in µs per period (the article: 300000)"},
		&cli.Uint64Flag{Name: "cpu-period", Usage: "CFS period in µs (the article: 1000000)"},
		&cli.Uint64Flag{Name: "cpu-shares", Usage: "relative CPU weight, 2–262144 (default 1024); cpu.weight on cgroup v2"},
		&cli.StringFlag{Name: "cpuset-cpus", Usage: "CPUs the container may run on, like 0 or 0-1"},
		&cli.Int64Flag{Name: "pids-limit", Usage: "most processes the container may have at once (0 or -1: no limit)"},
	}
}

// applyResourceFlags checks the flags and sets the limits they ask for in
// linux.resources (whose device rules come from the default spec).
func applyResourceFlags(cmd *cli.Command, res *specs.LinuxResources) error {
	mem, err := memoryFromFlags(cmd)
	if err != nil {
		return err
	}
	cpu, err := cpuFromFlags(cmd)
	if err != nil {
		return err
	}
	var pids *specs.LinuxPids
	if cmd.IsSet("pids-limit") {
		limit := cmd.Int64("pids-limit")
		pids = &specs.LinuxPids{Limit: &limit}
	}
	res.Memory, res.CPU, res.Pids = mem, cpu, pids
	return nil
}

// memoryFromFlags reads --memory and --memory-swap as docker does: the
// swap flag is memory plus swap, -1 is unlimited swap, 0 or leaving it out
// means no swap beyond --memory.
func memoryFromFlags(cmd *cli.Command) (*specs.LinuxMemory, error) {
	swapFlag := cmd.String("memory-swap")
	if !cmd.IsSet("memory") {
		if swapFlag != "" && swapFlag != "-1" && swapFlag != "0" {
			return nil, fmt.Errorf("--memory-swap %s needs --memory too: it limits memory plus swap, like --memory 10m --memory-swap 20m", showValue(swapFlag))
		}
		return nil, nil // unlimited swap without a limit: nothing to set
	}
	m := cmd.String("memory")
	limit, err := parseSize(m)
	if err != nil || limit < minMemory {
		return nil, fmt.Errorf("--memory %s: want a size of at least 6m, like 10m (units b, k, m, g, t); leave --memory out for no limit", showValue(m))
	}
	// No swap beyond the limit unless asked: otherwise a "10 MB" container
	// swaps instead of meeting its limit.
	swap := limit
	switch swapFlag {
	case "", "0":
	case "-1":
		swap = -1 // memory.memsw.limit_in_bytes -1 (v1), memory.swap.max "max" (v2)
	default:
		if swap, err = parseSize(swapFlag); err != nil || swap < limit {
			return nil, fmt.Errorf("--memory-swap %s: want a size of at least --memory %s (it counts memory plus swap), or -1 for unlimited swap", showValue(swapFlag), m)
		}
	}
	return &specs.LinuxMemory{Limit: &limit, Swap: &swap}, nil
}

func cpuFromFlags(cmd *cli.Command) (*specs.LinuxCPU, error) {
	c := &specs.LinuxCPU{Cpus: cmd.String("cpuset-cpus")}
	if cmd.IsSet("cpus") {
		if cmd.IsSet("cpu-quota") || cmd.IsSet("cpu-period") {
			return nil, errors.New("--cpus and --cpu-quota/--cpu-period say the same thing: give one or the other")
		}
		cpus := cmd.Float("cpus")
		// Written so that NaN (which --cpus NaN parses to) fails it too.
		if !(cpus >= 0.01 && cpus <= float64(goruntime.NumCPU())) {
			return nil, fmt.Errorf("--cpus %g: want a number of CPUs from 0.01 to %d (this machine has %d), like 0.5", cpus, goruntime.NumCPU(), goruntime.NumCPU())
		}
		quota, period := int64(cpus*cpuPeriod), uint64(cpuPeriod)
		c.Quota, c.Period = &quota, &period
	}
	if cmd.IsSet("cpu-quota") {
		quota := cmd.Int64("cpu-quota")
		if quota < 1000 {
			return nil, fmt.Errorf("--cpu-quota %d: want at least 1000 µs, like 50000", quota)
		}
		c.Quota = &quota
	}
	if cmd.IsSet("cpu-period") {
		period := cmd.Uint64("cpu-period")
		if period < 1000 || period > 1000000 {
			return nil, fmt.Errorf("--cpu-period %d: want 1000 to 1000000 µs, like 100000", period)
		}
		c.Period = &period
	}
	if cmd.IsSet("cpu-shares") {
		shares := cmd.Uint64("cpu-shares")
		if shares < 2 || shares > 262144 {
			return nil, fmt.Errorf("--cpu-shares %d: want 2 to 262144, like 512", shares)
		}
		c.Shares = &shares
	}
	if c.Quota == nil && c.Period == nil && c.Shares == nil && c.Cpus == "" {
		return nil, nil
	}
	return c, nil
}
