package container

// `kobako stats`: a container's use of CPU and memory, read from its
// cgroup — the kernel's own accounting — twice, a second apart, so that
// CPU time becomes a rate: CPU % is the CPU time the cgroup used over the
// wall-clock time between the two readings (100 % = one CPU kept busy; on
// two CPUs it can reach 200 %), as docker computes it.
//
// Shell twin: a=$(cat cpuacct.usage); sleep 1; b=$(cat cpuacct.usage);
// echo $(( (b - a) / 10000000 ))%   (v2: usage_usec in cpu.stat)

import (
	"time"

	"github.com/kobako/kobako/cgroups"
)

// Usage is one reading of a container's cgroup (its OOMKills counts what
// the kernel's OOM killer killed: memory.oom_control's or memory.events'
// oom_kill), and when it was taken.
type Usage struct {
	cgroups.Stats
	At time.Time
}

// Usage reads c's cgroup now; ErrNoCgroup when c is not running.
func (s *Store) Usage(c *Container) (Usage, error) {
	mgr, err := s.rt.Cgroup(c.ID)
	if err != nil || mgr == nil {
		// Stats says which: not running, or a real error.
		_, err = s.Stats(c)
		return Usage{}, err
	}
	st, err := mgr.Stats()
	if err != nil {
		return Usage{}, err
	}
	return Usage{Stats: *st, At: time.Now()}, nil
}

// CPUPercent is the CPU time used between two readings over the time
// between them: 100 for one CPU kept busy.
func CPUPercent(prev, now Usage) float64 {
	wall := now.At.Sub(prev.At)
	if wall <= 0 || now.CPUUsage < prev.CPUUsage {
		return 0
	}
	return float64(now.CPUUsage-prev.CPUUsage) / float64(wall) * 100
}

// MemoryPercent is the memory in use against the limit (0 without one).
func (u Usage) MemoryPercent() float64 {
	if u.MemoryLimit == 0 {
		return 0
	}
	return float64(u.MemoryUsage) / float64(u.MemoryLimit) * 100
}
