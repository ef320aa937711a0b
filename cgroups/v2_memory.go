package cgroups

// v2 memory: memory.max is v1's memory.limit_in_bytes; swap has a file of
// its own, memory.swap.max, which counts swap alone (v1's memsw counted
// memory plus swap).

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func (m *v2) setMemory(mem *specs.LinuxMemory) error {
	if mem == nil {
		return nil
	}
	warnKernelMemory(mem)
	switch {
	case mem.Swappiness != nil:
		return fmt.Errorf("linux.resources.memory.swappiness is not available on cgroup v2")
	case mem.DisableOOMKiller != nil && *mem.DisableOOMKiller:
		return fmt.Errorf("linux.resources.memory.disableOOMKiller is not available on cgroup v2")
	}
	dir := m.dir()
	if mem.Limit != nil {
		// echo $LIMIT > memory.max
		if err := writeFile(m.tr, dir, "memory.max", maxValue(*mem.Limit)); err != nil {
			return err
		}
	}
	if err := m.setSwap(dir, mem); err != nil {
		return err
	}
	if mem.Reservation != nil {
		// memory.low: protected from reclaim up to here, v1's soft limit
		return writeFile(m.tr, dir, "memory.low", maxValue(*mem.Reservation))
	}
	return nil
}

// setSwap converts the OCI "memory+swap" total into swap alone. Without
// swap accounting the file is missing; "no swap beyond the limit" and
// "unlimited" (-1) are then skipped, and anything else is an error naming
// the file.
func (m *v2) setSwap(dir string, mem *specs.LinuxMemory) error {
	if mem.Swap == nil {
		return nil
	}
	swap := *mem.Swap
	if swap >= 0 {
		if mem.Limit == nil || *mem.Limit < 0 || swap < *mem.Limit {
			return fmt.Errorf("linux.resources.memory.swap (%d) needs a memory limit not above it", swap)
		}
		swap -= *mem.Limit
	}
	if _, err := os.Stat(dir + "/memory.swap.max"); err != nil && swap <= 0 {
		return nil
	}
	// echo $SWAP > memory.swap.max
	return writeFile(m.tr, dir, "memory.swap.max", maxValue(swap))
}
