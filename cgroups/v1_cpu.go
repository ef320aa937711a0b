package cgroups

// v1 cpu and cpuset: the article's
//
//	cgset -r cpu.cfs_period_us=1000000 $UUID
//	cgset -r cpu.cfs_quota_us=300000 $UUID     # 0.3 CPU: 30 % of one core
//
// See Documentation/scheduler/sched-bwc.rst and cgroup-v1/cpusets.rst.

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func (m *v1) setCPU(c *specs.LinuxCPU) error {
	if c == nil {
		return nil
	}
	if sharesOf(c) != nil || c.Quota != nil || c.Period != nil || c.Burst != nil ||
		c.RealtimeRuntime != nil || c.RealtimePeriod != nil || c.Idle != nil {
		if err := m.setCFS(c); err != nil {
			return err
		}
	}
	return m.setCpuset(c)
}

func (m *v1) setCFS(c *specs.LinuxCPU) error {
	dir, err := m.need("cpu", "linux.resources.cpu")
	if err != nil {
		return err
	}
	// The period before the quota: a quota is checked against the period.
	writes := []struct {
		file  string
		value *string
	}{
		{"cpu.shares", uintStr(sharesOf(c))},
		{"cpu.cfs_period_us", uintStr(c.Period)},
		{"cpu.cfs_quota_us", intStr(c.Quota)},
		{"cpu.cfs_burst_us", uintStr(c.Burst)},
		{"cpu.rt_period_us", uintStr(c.RealtimePeriod)},
		{"cpu.rt_runtime_us", intStr(c.RealtimeRuntime)},
		{"cpu.idle", intStr(c.Idle)},
	}
	for _, w := range writes {
		if w.value == nil {
			continue
		}
		// cgset -r $FILE=$VALUE
		if err := writeFile(m.tr, dir, w.file, *w.value); err != nil {
			return err
		}
	}
	return nil
}

func (m *v1) setCpuset(c *specs.LinuxCPU) error {
	if c.Cpus == "" && c.Mems == "" {
		return nil
	}
	dir, err := m.need("cpuset", "linux.resources.cpu.cpus/mems")
	if err != nil {
		return err
	}
	if c.Cpus != "" {
		if err := writeFile(m.tr, dir, "cpuset.cpus", c.Cpus); err != nil {
			return err
		}
	}
	if c.Mems != "" {
		return writeFile(m.tr, dir, "cpuset.mems", c.Mems)
	}
	return nil
}

func (m *v1) setPids(p *specs.LinuxPids) error {
	if p == nil || p.Limit == nil {
		return nil
	}
	dir, err := m.need("pids", "linux.resources.pids")
	if err != nil {
		return err
	}
	// echo $LIMIT > pids.max
	return writeFile(m.tr, dir, "pids.max", pidsValue(*p.Limit))
}

// pidsValue: 0 or less means no limit ("max"), as the OCI spec says.
func pidsValue(limit int64) string {
	if limit <= 0 {
		return "max"
	}
	return strconv.FormatInt(limit, 10)
}

func uintStr(v *uint64) *string {
	if v == nil {
		return nil
	}
	s := strconv.FormatUint(*v, 10)
	return &s
}

func intStr(v *int64) *string {
	if v == nil {
		return nil
	}
	s := strconv.FormatInt(*v, 10)
	return &s
}
