package runtime

// `runc update`: new limits for a container that has not stopped, written
// into its cgroup's files — only the ones asked for.
//
//	cgset -r memory.limit_in_bytes=20971520 kobako/$ID     # v1
//	echo 20971520 > /sys/fs/cgroup/kobako/$ID/memory.max   # v2
//
// Engines send the whole resources object (containerd: `update --resources
// -` with JSON on stdin), with 0 in every field they do not mean to change:
// runc reads a 0 as "leave it as it is", -1 as "no limit". kobako reads
// them the same way (changesOnly), and hands the cgroup only the changes.

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Update sets the limits res asks to change on a created, running or
// paused container. The new values are not recorded anywhere else: the
// cgroup is where they live, and where state and stats read them.
func (r *Runtime) Update(id string, res *specs.LinuxResources) error {
	r.nameInTrace(id, "")
	st, unlock, err := r.lockedState(id)
	if err != nil {
		return err
	}
	defer unlock()
	if st.Status == specs.StateStopped {
		return ErrNotRunning
	}
	mgr, err := r.ownCgroup(st, "it has no limits to update")
	if err != nil {
		return err
	}
	changes := changesOnly(res)
	if changes.Memory != nil && changes.Memory.CheckBeforeUpdate != nil && *changes.Memory.CheckBeforeUpdate {
		stats, err := mgr.Stats()
		if err != nil {
			return fmt.Errorf("update container %s: %w", id, err)
		}
		if err := checkBeforeUpdate(changes.Memory, stats.MemoryUsage); err != nil {
			return fmt.Errorf("update container %s: %w", id, err)
		}
	}
	if err := mgr.Set(changes); err != nil {
		return fmt.Errorf("update container %s: %w", id, err)
	}
	return nil
}

// checkBeforeUpdate refuses a memory limit below what the container uses
// now, when the engine asked for that check (memory.checkBeforeUpdate):
// the kernel would otherwise reclaim, or OOM-kill, to get below it.
func checkBeforeUpdate(mem *specs.LinuxMemory, usage uint64) error {
	if mem.Limit == nil || *mem.Limit <= 0 || uint64(*mem.Limit) >= usage {
		return nil
	}
	return fmt.Errorf("memory limit %d is below the current usage %d: raise it, or free memory in the container first", *mem.Limit, usage)
}

// changesOnly is what runc's update takes of res: the fields below, each
// only when it is not 0 (or ""). The rest — devices, hugepages, network,
// rdma, swappiness, the OOM killer — runc's update never changes, and
// neither does kobako's: they are set at create. A memory limit of -1
// without a swap limit lifts the swap limit too, as in runc: memory plus
// swap may never be below memory (cgroup v1).
func changesOnly(res *specs.LinuxResources) *specs.LinuxResources {
	out := &specs.LinuxResources{}
	if res == nil {
		return out
	}
	if m := res.Memory; m != nil {
		mem := specs.LinuxMemory{
			Limit: nonZero(m.Limit), Reservation: nonZero(m.Reservation), Swap: nonZero(m.Swap),
			Kernel: nonZero(m.Kernel), KernelTCP: nonZero(m.KernelTCP), CheckBeforeUpdate: m.CheckBeforeUpdate,
		}
		if mem.Limit != nil && *mem.Limit == -1 && mem.Swap == nil {
			unlimited := int64(-1)
			mem.Swap = &unlimited
		}
		// Something to change beyond the check itself?
		if mem != (specs.LinuxMemory{CheckBeforeUpdate: m.CheckBeforeUpdate}) {
			out.Memory = &mem
		}
	}
	if c := res.CPU; c != nil {
		cpu := specs.LinuxCPU{
			Shares: nonZero(c.Shares), Quota: nonZero(c.Quota), Period: nonZero(c.Period), Burst: c.Burst,
			RealtimeRuntime: nonZero(c.RealtimeRuntime), RealtimePeriod: nonZero(c.RealtimePeriod),
			Cpus: c.Cpus, Mems: c.Mems, Idle: c.Idle,
		}
		if cpu != (specs.LinuxCPU{}) { // something to change at all?
			out.CPU = &cpu
		}
	}
	if res.Pids != nil && nonZero(res.Pids.Limit) != nil {
		out.Pids = &specs.LinuxPids{Limit: res.Pids.Limit}
	}
	if res.BlockIO != nil && nonZero(res.BlockIO.Weight) != nil {
		out.BlockIO = &specs.LinuxBlockIO{Weight: res.BlockIO.Weight}
	}
	out.Unified = res.Unified
	return out
}

// nonZero is p, or nil when p points to 0: runc's "not given".
func nonZero[T int64 | uint64 | uint16](p *T) *T {
	if p == nil || *p == 0 {
		return nil
	}
	return p
}
