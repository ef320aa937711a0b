package runtime

// `runc ps`: the processes of a container, read from its cgroup — the
// only place that knows them all, whatever PID namespace they are in.
//
//	cat /sys/fs/cgroup/pids/kobako/$ID/cgroup.procs     # v1 (v2: /sys/fs/cgroup/kobako/$ID)
//
// The pids are the host's; `ps -p` of them is what runc's ps prints.

// Pids lists the host pids of every process in the container's cgroup. A
// stopped container whose cgroup is gone has none, as in runc.
func (r *Runtime) Pids(id string) ([]int, error) {
	st, err := r.loadState(id)
	if err != nil {
		return nil, err
	}
	mgr, err := r.ownCgroup(st, "its processes cannot be listed")
	if err != nil {
		return nil, err
	}
	return cgroupProcs(mgr)
}
