package cgroups

// v1 memory: the article's `cgset -r memory.limit_in_bytes=10000000`.
// See the kernel's Documentation/admin-guide/cgroup-v1/memory.rst.

import (
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func (m *v1) setMemory(mem *specs.LinuxMemory) error {
	if mem == nil {
		return nil
	}
	warnKernelMemory(mem)
	dir, err := m.need("memory", "linux.resources.memory")
	if err != nil {
		return err
	}
	// The limit first: memsw (memory+swap) may never be below it. For
	// the same reason, a limit raised past today's memsw (kobako update)
	// needs memsw raised first.
	swapFirst := mem.Limit != nil && memswBelow(dir, *mem.Limit)
	if swapFirst {
		if err := m.setSwap(dir, mem); err != nil {
			return err
		}
	}
	if mem.Limit != nil {
		// cgset -r memory.limit_in_bytes=$LIMIT
		if err := writeFile(m.tr, dir, "memory.limit_in_bytes", limitValue(*mem.Limit)); err != nil {
			return err
		}
	}
	if !swapFirst {
		if err := m.setSwap(dir, mem); err != nil {
			return err
		}
	}
	if mem.Reservation != nil {
		if err := writeFile(m.tr, dir, "memory.soft_limit_in_bytes", limitValue(*mem.Reservation)); err != nil {
			return err
		}
	}
	if mem.Swappiness != nil {
		if err := writeFile(m.tr, dir, "memory.swappiness", strconv.FormatUint(*mem.Swappiness, 10)); err != nil {
			return err
		}
	}
	if mem.DisableOOMKiller != nil && *mem.DisableOOMKiller {
		if err := writeFile(m.tr, dir, "memory.oom_control", "1"); err != nil {
			return err
		}
	}
	if mem.UseHierarchy != nil {
		return writeFile(m.tr, dir, "memory.use_hierarchy", boolValue(*mem.UseHierarchy))
	}
	return nil
}

// setSwap writes memory.memsw.limit_in_bytes, the limit of memory plus
// swap. It exists only with swap accounting (swapaccount=1); without it,
// "no swap beyond the limit" (swap == limit) and "unlimited swap" (-1, what
// such a kernel gives anyway) are skipped, anything else is an error naming
// the file.
func (m *v1) setSwap(dir string, mem *specs.LinuxMemory) error {
	if mem.Swap == nil {
		return nil
	}
	if _, err := os.Stat(dir + "/memory.memsw.limit_in_bytes"); err != nil && (*mem.Swap < 0 || mem.Limit != nil && *mem.Swap == *mem.Limit) {
		return nil
	}
	// cgset -r memory.memsw.limit_in_bytes=$SWAP
	return writeFile(m.tr, dir, "memory.memsw.limit_in_bytes", limitValue(*mem.Swap))
}

// memswBelow says whether dir's memory.memsw.limit_in_bytes is below
// limit (-1, no limit, is above any); false without swap accounting.
func memswBelow(dir string, limit int64) bool {
	cur, err := readFile(dir, "memory.memsw.limit_in_bytes")
	if err != nil {
		return false
	}
	n, err := strconv.ParseInt(cur, 10, 64)
	return err == nil && (limit < 0 || n < limit)
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
