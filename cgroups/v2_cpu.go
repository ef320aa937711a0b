package cgroups

// v2 cpu: cpu.max holds quota and period together ("300000 1000000" is the
// article's 30 %), cpu.weight replaces v1's cpu.shares.

import (
	"fmt"
	"math"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func (m *v2) setCPU(c *specs.LinuxCPU) error {
	if c == nil {
		return nil
	}
	if c.RealtimeRuntime != nil || c.RealtimePeriod != nil {
		return fmt.Errorf("linux.resources.cpu.realtimeRuntime/realtimePeriod are not available on cgroup v2")
	}
	dir := m.dir()
	var writes [][2]string
	if shares := sharesOf(c); shares != nil {
		writes = append(writes, [2]string{"cpu.weight", strconv.FormatUint(sharesToWeight(*shares), 10)})
	}
	if c.Quota != nil || c.Period != nil {
		writes = append(writes, [2]string{"cpu.max", cpuMax(c.Quota, c.Period)})
	}
	if c.Burst != nil {
		writes = append(writes, [2]string{"cpu.max.burst", strconv.FormatUint(*c.Burst, 10)})
	}
	if c.Idle != nil {
		writes = append(writes, [2]string{"cpu.idle", strconv.FormatInt(*c.Idle, 10)})
	}
	if c.Cpus != "" {
		writes = append(writes, [2]string{"cpuset.cpus", c.Cpus})
	}
	if c.Mems != "" {
		writes = append(writes, [2]string{"cpuset.mems", c.Mems})
	}
	for _, w := range writes {
		// echo $VALUE > $FILE
		if err := writeFile(m.tr, dir, w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// cpuMax spells cpu.max: "$QUOTA $PERIOD", "max" for no quota, and the
// kernel's default period of 100000 µs when none is given.
func cpuMax(quota *int64, period *uint64) string {
	q := "max"
	if quota != nil && *quota > 0 {
		q = strconv.FormatInt(*quota, 10)
	}
	p := uint64(100000)
	if period != nil && *period > 0 {
		p = *period
	}
	return fmt.Sprintf("%s %d", q, p)
}

// sharesToWeight converts v1 cpu.shares [2, 262144] (default 1024) to v2
// cpu.weight [1, 10000] (default 100) the way runc does since 1.3.2
// (opencontainers/cgroups PR #20, "ConvertCPUSharesToCgroupV2Value:
// improve"): a quadratic in log2 space, so that the defaults meet
// (1024 → 100) while both ends still map to both ends. The older linear
// formula turned the default 1024 into 39.
func sharesToWeight(shares uint64) uint64 {
	switch {
	case shares == 0:
		return 0 // unset
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	l := math.Log2(float64(shares))
	exponent := (l*l+125*l)/612 - 7.0/34
	return uint64(math.Ceil(math.Pow(10, exponent)))
}
