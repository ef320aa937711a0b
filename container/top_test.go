package container

import (
	"errors"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestFilterPS(t *testing.T) {
	out := `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 05:00 ?        00:00:01 /sbin/init
root         700     690  0 05:01 ?        00:00:00 sleep 1000
root         701     700  0 05:01 ?        00:00:00 sh -c echo  two   spaces
`
	header, rows, err := FilterPS(out, []int{700, 701})
	if err != nil {
		t.Fatal(err)
	}
	if len(header) != 8 || header[1] != "PID" {
		t.Errorf("header = %q", header)
	}
	want := [][]string{
		{"root", "700", "690", "0", "05:01", "?", "00:00:00", "sleep 1000"},
		{"root", "701", "700", "0", "05:01", "?", "00:00:00", "sh -c echo two spaces"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("rows = %q, want %q", rows, want)
	}
	if _, _, err := FilterPS("COMMAND\nsleep\n", []int{1}); !errors.Is(err, ErrNoPIDColumn) {
		t.Errorf("no PID column: %v", err)
	}
}

func TestMergeResources(t *testing.T) {
	q, p, s, mem, pids := int64(30000), uint64(100000), uint64(512), int64(20<<20), int64(10)
	to := &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: &q, Period: &p, Shares: &s, Cpus: "0"}, Pids: &specs.LinuxPids{Limit: &pids}}
	q2, p2 := int64(50000), uint64(100000)
	mergeResources(to, &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &mem},
		CPU:    &specs.LinuxCPU{Quota: &q2, Period: &p2},
	})
	if *to.CPU.Quota != 50000 || *to.CPU.Shares != 512 || to.CPU.Cpus != "0" {
		t.Errorf("cpu = %+v: --cpus must change the quota and keep shares and cpuset", to.CPU)
	}
	if *to.Memory.Limit != mem || *to.Pids.Limit != 10 {
		t.Errorf("memory %v, pids %v", to.Memory, to.Pids)
	}
}
