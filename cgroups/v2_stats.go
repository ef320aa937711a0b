package cgroups

// v2 usage and the OOM record.

import "time"

func (m *v2) Stats() (*Stats, error) {
	dir := m.dir()
	cpu, _ := readFile(dir, "cpu.stat")
	kv := parseKeyValues(cpu)
	events, _ := readFile(dir, "memory.events")
	return &Stats{
		OOMKills:      parseKeyValues(events)["oom_kill"],
		MemoryUsage:   readUint(dir, "memory.current"),
		MemoryPeak:    readUint(dir, "memory.peak"), // Linux 5.19+
		MemoryLimit:   readUint(dir, "memory.max"),
		CPUUsage:      time.Duration(kv["usage_usec"]) * time.Microsecond,
		NrPeriods:     kv["nr_periods"],
		NrThrottled:   kv["nr_throttled"],
		ThrottledTime: time.Duration(kv["throttled_usec"]) * time.Microsecond,
		Pids:          readUint(dir, "pids.current"),
		PidsLimit:     readUint(dir, "pids.max"),
	}, nil
}

// OOMKilled reads the kernel's "oom_kill" counter in memory.events.
func (m *v2) OOMKilled() (bool, error) {
	text, err := readFile(m.dir(), "memory.events")
	if err != nil {
		return false, err
	}
	return parseKeyValues(text)["oom_kill"] > 0, nil
}
