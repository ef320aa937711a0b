package cgroups

// v1 usage and the OOM record, read back from the same directories.

import (
	"time"
)

func (m *v1) Stats() (*Stats, error) {
	s := &Stats{}
	if dir := m.dir("memory"); dir != "" {
		s.MemoryUsage = readUint(dir, "memory.usage_in_bytes")
		s.MemoryPeak = readUint(dir, "memory.max_usage_in_bytes")
		s.MemoryLimit = unlimitedAsZero(readUint(dir, "memory.limit_in_bytes"))
		oom, _ := readFile(dir, "memory.oom_control") // "oom_kill N", Linux 4.13+
		s.OOMKills = parseKeyValues(oom)["oom_kill"]
	}
	if dir := m.dir("cpuacct"); dir != "" {
		s.CPUUsage = time.Duration(readUint(dir, "cpuacct.usage")) // nanoseconds
	}
	if dir := m.dir("cpu"); dir != "" {
		stat, _ := readFile(dir, "cpu.stat")
		kv := parseKeyValues(stat)
		s.NrPeriods, s.NrThrottled = kv["nr_periods"], kv["nr_throttled"]
		s.ThrottledTime = time.Duration(kv["throttled_time"]) // nanoseconds
	}
	if dir := m.dir("pids"); dir != "" {
		s.Pids = readUint(dir, "pids.current")
		s.PidsLimit = readUint(dir, "pids.max")
	}
	return s, nil
}

// OOMKilled reads the kernel's count of OOM kills in memory.oom_control
// (the "oom_kill" line, Linux 4.13+).
func (m *v1) OOMKilled() (bool, error) {
	dir, err := m.need("memory", "an out-of-memory check")
	if err != nil {
		return false, err
	}
	text, err := readFile(dir, "memory.oom_control")
	if err != nil {
		return false, err
	}
	return parseKeyValues(text)["oom_kill"] > 0, nil
}

// unlimitedAsZero: v1 reports "no limit" as a huge number (the largest
// page-aligned int64); anything at or above 2^62 is that.
func unlimitedAsZero(v uint64) uint64 {
	if v >= 1<<62 {
		return 0
	}
	return v
}
