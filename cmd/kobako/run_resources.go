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
		&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Usage: "memory limit, like 10m (MiB) or the article's 10000000b (bytes); at least 6m"},
		&cli.StringFlag{Name: "memory-swap", Usage: "memory plus swap limit; -1 for unlimited swap (default: no swap beyond --memory)"},
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

func memoryFromFlags(cmd *cli.Command) (*specs.LinuxMemory, error) {
	if !cmd.IsSet("memory") {
		if cmd.IsSet("memory-swap") {
			return nil, errors.New("--memory-swap needs --memory as well")
		}
		return nil, nil
	}
	limit, err := parseSize(cmd.String("memory"))
	if err != nil {
		return nil, fmt.Errorf("--memory: %w", err)
	}
	if limit < minMemory {
		return nil, fmt.Errorf("--memory %s is below the minimum of 6m (6 MiB)", cmd.String("memory"))
	}
	// No swap beyond the limit unless asked: otherwise a "10 MB" container
	// swaps instead of meeting its limit.
	swap := limit
	if s := cmd.String("memory-swap"); s == "-1" {
		swap = -1
	} else if s != "" {
		if swap, err = parseSize(s); err != nil {
			return nil, fmt.Errorf("--memory-swap: %w", err)
		}
		if swap < limit {
			return nil, fmt.Errorf("--memory-swap %s must not be below --memory %s", s, cmd.String("memory"))
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
		if cpus < 0.01 || cpus > float64(goruntime.NumCPU()) {
			return nil, fmt.Errorf("--cpus %g is out of range: this machine has %d CPUs (use 0.01 to %d)", cpus, goruntime.NumCPU(), goruntime.NumCPU())
		}
		quota, period := int64(cpus*cpuPeriod), uint64(cpuPeriod)
		c.Quota, c.Period = &quota, &period
	}
	if cmd.IsSet("cpu-quota") {
		quota := cmd.Int64("cpu-quota")
		if quota < 1000 {
			return nil, fmt.Errorf("--cpu-quota %d is too small: at least 1000 µs", quota)
		}
		c.Quota = &quota
	}
	if cmd.IsSet("cpu-period") {
		period := cmd.Uint64("cpu-period")
		if period < 1000 || period > 1000000 {
			return nil, fmt.Errorf("--cpu-period %d is out of range: 1000 to 1000000 µs", period)
		}
		c.Period = &period
	}
	if cmd.IsSet("cpu-shares") {
		shares := cmd.Uint64("cpu-shares")
		if shares < 2 || shares > 262144 {
			return nil, fmt.Errorf("--cpu-shares %d is out of range: 2 to 262144", shares)
		}
		c.Shares = &shares
	}
	if c.Quota == nil && c.Period == nil && c.Shares == nil && c.Cpus == "" {
		return nil, nil
	}
	return c, nil
}
