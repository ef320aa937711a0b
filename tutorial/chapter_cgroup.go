package tutorial

// Chapter 4, cgroup(リソースの隔離): limits. The learner reads their
// container's limit from its own /sys/fs/cgroup, runs the article's memory
// hog into the OOM killer, and watches `yes` held at 30 % of a core —
// each checked against the kernel's own counters for that cgroup.

import (
	"fmt"
	"strings"
	"time"
)

const cgroupName = Prefix + "cgroup"

// ensureLimitedShell starts the chapter's container with the article's
// limits, as docker spells them: 10 MiB of memory, 0.3 of a CPU.
func ensureLimitedShell(s *Session) (*Container, error) {
	s.vars["name"] = cgroupName
	s.vars["memfile"], _ = limitFiles(s.cgroupv)
	return s.ensure(cgroupName, shellArgs("--memory", "10m", "--cpus", "0.3")...)
}

func cgroupFiles() *Step {
	return &Step{
		ID: "cgroup.files",
		Article: shellLines(
			"UUID=$(uuidgen)",
			"sudo cgcreate -g cpu,memory:$UUID",
			"sudo cgset -r memory.limit_in_bytes=10000000 $UUID",
			"sudo cgset -r cpu.cfs_period_us=1000000 $UUID",
			"sudo cgset -r cpu.cfs_quota_us=300000 $UUID"),
		V2: shellLines(
			"echo '+cpu +memory' | sudo tee /sys/fs/cgroup/cgroup.subtree_control",
			"sudo mkdir /sys/fs/cgroup/$UUID",
			"echo 10000000 | sudo tee /sys/fs/cgroup/$UUID/memory.max",
			"echo '300000 1000000' | sudo tee /sys/fs/cgroup/$UUID/cpu.max"),
		Code:  []CodeRef{{File: "cgroups/v1_memory.go", Func: "v1.setMemory"}, {File: "cgroups/v2_memory.go", Func: "v2.setMemory"}},
		Trace: "cgroup",
		Setup: func(s *Session) error {
			_, err := ensureLimitedShell(s)
			return err
		},
		Task:  Task{Kind: InShell, Container: cgroupName},
		Typed: "cat {memfile} > /answer",
		Check: func(s *Session) Result {
			r := s.checkAnswerFile(cgroupName, func(answer string) (bool, string) {
				return answer == "10485760", s.msg.get("check.cgroup.files.read", answer)
			}, "check.cgroup.files.ok", "check.cgroup.files.wrong")
			mem, cpu := limitFiles(s.cgroupv)
			otherMem, otherCPU := limitFiles(otherVersion(s.cgroupv))
			r.Lines = append(r.Lines,
				s.msg.get("check.cgroup.files.here", s.cgroupv, mem, cpu),
				s.msg.get("check.cgroup.files.there", otherVersion(s.cgroupv), otherMem, otherCPU))
			return r
		},
	}
}

func cgroupMemory() *Step {
	return &Step{
		ID:      "cgroup.memory",
		Article: "head -c 20m /dev/zero | tail           # «cgroup.killed»\ncat /sys/fs/cgroup/memory/$UUID/memory.failcnt; dmesg | tail",
		V2:      "cat /sys/fs/cgroup/$UUID/memory.events   # oom, oom_kill",
		Code:    []CodeRef{{File: "cgroups/v1_stats.go", Func: "v1.OOMKilled"}, {File: "cgroups/v2_stats.go", Func: "v2.OOMKilled"}},
		Trace:   "cgroup",
		Setup: func(s *Session) error {
			c, err := ensureLimitedShell(s)
			if err != nil {
				return err
			}
			st, err := s.cgroupStats(c)
			if err != nil {
				return err
			}
			s.seen["cgroup.oom_before"] = st.OOMKills
			return nil
		},
		Task:  Task{Kind: InShell, Container: cgroupName},
		Typed: "head -c 50m /dev/zero | tail",
		Check: func(s *Session) Result {
			// Running or not: the OOM killer may have taken the shell as
			// well, and a stopped container keeps its cgroup until rm.
			c, err := s.k.inspect(cgroupName)
			if err != nil {
				return s.broken(err)
			}
			before, _ := s.seen["cgroup.oom_before"].(uint64)
			st, err := s.cgroupStats(c)
			if err != nil {
				return s.broken(err)
			}
			oomFile, peakFile := memoryFiles(s.cgroupv, c.Cgroup.Path)
			evidence := fmt.Sprintf("%s: oom_kill %d → %d", shortIDs(oomFile), before, st.OOMKills)
			if st.OOMKills <= before {
				return fail(s.msg.get("check.cgroup.memory.none"), evidence)
			}
			r := pass(s.msg.get("check.cgroup.memory.ok"), evidence, s.msg.get("check.cgroup.memory.why"))
			if st.MemoryPeak > 0 { // 0: a v2 kernel before 5.19 keeps no peak
				r.Lines = append(r.Lines, fmt.Sprintf("%s %s", meter(st.MemoryPeak, st.MemoryLimit),
					s.msg.get("check.cgroup.memory.peak", shortIDs(peakFile), st.MemoryPeak>>10, st.MemoryLimit>>10)))
			}
			return r
		},
	}
}

// meter draws used against limit as a bar of 20 cells.
func meter(used, limit uint64) string {
	const cells = 20
	n := cells
	if limit > 0 && used < limit {
		n = int(used * cells / limit)
	}
	return "[" + strings.Repeat("█", n) + strings.Repeat(" ", cells-n) + "]"
}

// memoryFiles are where the kernel counts OOM kills and keeps the peak
// usage: the files a learner cats (cgroups.Stats reads them).
func memoryFiles(version, path string) (oom, peak string) {
	if version == "v2" {
		return cgroupFile(version, "memory", path, "memory.events"), cgroupFile(version, "memory", path, "memory.peak")
	}
	return cgroupFile(version, "memory", path, "memory.oom_control"), cgroupFile(version, "memory", path, "memory.max_usage_in_bytes")
}

func cgroupCPU() *Step {
	return &Step{
		ID:      "cgroup.cpu",
		Article: "echo 50000 | sudo tee /sys/fs/cgroup/cpu/$UUID/cpu.cfs_quota_us\necho $$ | sudo tee /sys/fs/cgroup/cpu/$UUID/cgroup.procs\nyes > /dev/null &\ntop",
		V2:      "echo '50000 100000' | sudo tee /sys/fs/cgroup/$UUID/cpu.max\necho $$ | sudo tee /sys/fs/cgroup/$UUID/cgroup.procs",
		Code:    []CodeRef{{File: "cgroups/v1_cpu.go", Func: "v1.setCFS"}, {File: "cgroups/v2_cpu.go", Func: "cpuMax"}},
		Trace:   "cgroup",
		Setup: func(s *Session) error {
			_, err := ensureLimitedShell(s)
			return err
		},
		Task:  Task{Kind: InShell, Container: cgroupName},
		Typed: "yes > /dev/null &",
		Check: func(s *Session) Result {
			c, err := s.k.running(cgroupName)
			if err != nil {
				return s.broken(err)
			}
			r := s.watchCPU(c)
			s.exec(cgroupName, "sh", "-c", "kill $(pidof yes) 2>/dev/null; true") // the container's own yes
			return r
		},
	}
}

// The band the CPU check expects: --cpus 0.3, give or take what a busy
// machine and the scheduler's periods blur.
const cpuLow, cpuHigh = 0.25, 0.35

// watchCPU samples the cgroup's CPU usage counter and draws its share of
// one core live, until it has settled in the band (three windows in a row)
// or 10 seconds have passed.
func (s *Session) watchCPU(c *Container) Result {
	const window = time.Second
	path := c.Cgroup.Path
	file := cgroupFile(s.cgroupv, "cpuacct", path, "cpuacct.usage")
	if s.cgroupv == "v2" {
		file = cgroupFile(s.cgroupv, "cpu", path, "cpu.stat")
	}
	prev, err := s.cgroupStats(c)
	if err != nil {
		return s.broken(err)
	}
	settled, share := 0, 0.0
	for i := 0; i < 10 && settled < 3; i++ {
		time.Sleep(window)
		now, err := s.cgroupStats(c)
		if err != nil {
			return s.broken(err)
		}
		share = float64(now.CPUUsage-prev.CPUUsage) / float64(window)
		prev = now
		s.ui.gauge("CPU", share, cpuLow, cpuHigh, now.NrThrottled)
		if share >= cpuLow && share <= cpuHigh {
			settled++
		} else {
			settled = 0
		}
	}
	s.ui.endGauge()
	evidence := s.msg.get("check.cgroup.cpu.evidence", shortIDs(file), share, prev.NrThrottled)
	switch {
	case settled >= 3:
		return pass(s.msg.get("check.cgroup.cpu.ok", share), evidence)
	case share < 0.05:
		return fail(s.msg.get("check.cgroup.cpu.idle"), evidence)
	}
	return fail(s.msg.get("check.cgroup.cpu.off", share), evidence)
}
