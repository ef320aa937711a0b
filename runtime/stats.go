package runtime

// `runc events --stats`: what the container's cgroup has counted — memory,
// CPU time, pids, OOM kills — read from its files (cgroups/*_stats.go).
//
//	cat /sys/fs/cgroup/memory/kobako/$ID/memory.usage_in_bytes   # v1
//	cat /sys/fs/cgroup/kobako/$ID/memory.current                 # v2

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/cgroups"
)

// Stats reads the cgroup of a container that has not stopped (runc's
// events refuses a stopped one too: its counters are gone with it).
func (r *Runtime) Stats(id string) (*cgroups.Stats, error) {
	st, err := r.loadState(id)
	if err != nil {
		return nil, err
	}
	if st.Status == specs.StateStopped {
		return nil, ErrNotRunning
	}
	mgr, err := r.ownCgroup(st, "it has no statistics to read")
	if err != nil {
		return nil, err
	}
	stats, err := mgr.Stats()
	if err != nil {
		return nil, fmt.Errorf("read the statistics of container %s: %w", id, err)
	}
	return stats, nil
}
