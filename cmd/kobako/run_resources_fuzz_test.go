// Fuzzing --memory, --memory-swap and --cpus as kobako run reads them
// (issue 15, item 5): through urfave/cli, as a user's command line does,
// into the spec's linux.resources. When the flags are accepted, the limits
// are ones the kernel takes and that mean what docker's do:
//
//   - memory.max at least 6m (minMemory), and memory plus swap either -1
//     (unlimited) or at least the memory limit;
//   - --cpus gives a CFS period of 100 ms and a quota from 1 ms (the
//     kernel's least, and --cpus 0.01) to one period per CPU of the
//     machine.
package main

import (
	"context"
	"io"
	goruntime "runtime"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
)

// FuzzResourceFlags runs a command with resourceFlags on --memory M
// --memory-swap S --cpus C (an empty value leaves its flag out).
func FuzzResourceFlags(f *testing.F) {
	f.Fuzz(func(t *testing.T, memory, swap, cpus string) {
		args := []string{"run"}
		for _, flag := range []struct{ name, value string }{{"--memory", memory}, {"--memory-swap", swap}, {"--cpus", cpus}} {
			if flag.value != "" {
				args = append(args, flag.name+"="+flag.value)
			}
		}
		var mem *specs.LinuxMemory
		var cpu *specs.LinuxCPU
		var flagsErr error
		cmd := &cli.Command{Name: "run", Flags: resourceFlags(), Writer: io.Discard, ErrWriter: io.Discard,
			Action: func(_ context.Context, cmd *cli.Command) error {
				if mem, flagsErr = memoryFromFlags(cmd); flagsErr == nil {
					cpu, flagsErr = cpuFromFlags(cmd)
				}
				return nil
			}}
		if err := cmd.Run(context.Background(), args); err != nil || flagsErr != nil {
			return // refused: by urfave/cli (--cpus ten) or by kobako
		}
		if mem != nil {
			if *mem.Limit < minMemory {
				t.Errorf("%q: memory limit %d, below %d", args, *mem.Limit, minMemory)
			}
			if *mem.Swap != -1 && *mem.Swap < *mem.Limit {
				t.Errorf("%q: memory+swap %d, below the memory limit %d", args, *mem.Swap, *mem.Limit)
			}
		}
		if cpus != "" && cpu != nil {
			most := int64(goruntime.NumCPU()) * cpuPeriod
			if cpu.Quota == nil || cpu.Period == nil || *cpu.Period != cpuPeriod || *cpu.Quota < 1000 || *cpu.Quota > most {
				t.Errorf("%q: quota %v per period %v µs; want 1000 to %d per %d", args, deref(cpu.Quota), deref(cpu.Period), most, cpuPeriod)
			}
		}
	})
}

// resourceSeeds are TestMemoryFlags' command lines, and --cpus values.
var resourceSeeds = []struct{ memory, swap, cpus string }{
	{"10m", "", ""}, {"10m", "-1", ""}, {"10m", "0", ""}, {"10m", "30m", ""}, {"", "-1", ""}, {"-1", "", ""}, {"1k", "", ""},
	{"10m", "5m", ""}, {"", "20m", ""}, {"10000000b", "", "0.3"}, {"", "", "0.01"}, {"", "", "1"}, {"", "", "0.005"},
	{"", "", "1e9"}, {"", "", "-1"}, {"", "", "NaN"},
}
