package cgroups

// Helpers both versions share to turn OCI resource fields into file values.

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// unsupportedResources names what kobako cannot apply yet. A config that
// asks for a limit must get it or fail, never be silently unlimited.
// (linux.resources.devices is applied: devices.go, v1_devices.go,
// v2_devices.go; unified on v2: v2_unified.go.)
func unsupportedResources(r *specs.LinuxResources) error {
	switch {
	case r.BlockIO != nil && !noBlockIO(r.BlockIO):
		return fmt.Errorf("linux.resources.blockIO is not supported by kobako yet")
	case len(r.HugepageLimits) > 0:
		return fmt.Errorf("linux.resources.hugepageLimits is not supported by kobako yet")
	case r.Network != nil:
		return fmt.Errorf("linux.resources.network is not supported by kobako yet")
	case len(r.Rdma) > 0:
		return fmt.Errorf("linux.resources.rdma is not supported by kobako yet")
	}
	return nil
}

// Check refuses, before anything is made, what New and Set would refuse
// for this config on this host: a cgroupsPath that is not a clean absolute
// path, a resource kobako does not apply, a devices list the devices
// cgroup cannot enforce, unified on v1. It is create-time validation: an
// engine must hear "no" before it is told "created".
func Check(l *Layout, cgroupsPath string, r *specs.LinuxResources) error {
	if cgroupsPath != "" {
		if err := checkPath(cgroupsPath); err != nil {
			return err
		}
	}
	if r == nil {
		return nil
	}
	if err := unsupportedResources(r); err != nil {
		return err
	}
	if err := checkUnified(l.Mode, r.Unified); err != nil {
		return err
	}
	_, err := newDeviceFilter(r.Devices)
	return err
}

// noBlockIO says whether b asks for nothing: docker sends
// {"weight": 0} for every container, and 0 is "not set" for runc, which
// then writes no file.
func noBlockIO(b *specs.LinuxBlockIO) bool {
	return (b.Weight == nil || *b.Weight == 0) && (b.LeafWeight == nil || *b.LeafWeight == 0) &&
		len(b.WeightDevice) == 0 && len(b.ThrottleReadBpsDevice) == 0 && len(b.ThrottleWriteBpsDevice) == 0 &&
		len(b.ThrottleReadIOPSDevice) == 0 && len(b.ThrottleWriteIOPSDevice) == 0
}

// sharesOf is the cpu.shares a config asks for, nil when none: docker
// sends 0 for "not set", as runc reads it (v1 would clamp a 0 written to
// cpu.shares up to 2, the lowest share there is; v2's cpu.weight refuses
// it).
func sharesOf(c *specs.LinuxCPU) *uint64 {
	if c.Shares == nil || *c.Shares == 0 {
		return nil
	}
	return c.Shares
}

// warnKernelMemory: the kernel-memory limits were removed from Linux
// (5.16 deprecated, 6.x gone); like runc, ignore them with a warning.
func warnKernelMemory(m *specs.LinuxMemory) {
	if m.Kernel != nil || m.KernelTCP != nil {
		fmt.Fprintln(os.Stderr, "kobako: warning: linux.resources.memory.kernel and kernelTCP are ignored: newer kernels dropped kernel memory limits")
	}
}

// limitValue spells a limit for v1 files: -1 (or less) means unlimited.
func limitValue(v int64) string {
	if v < 0 {
		return "-1"
	}
	return strconv.FormatInt(v, 10)
}

// maxValue spells a limit for v2 files and pids.max: "max" is unlimited.
func maxValue(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

func containsWord(list, word string) bool {
	for _, w := range strings.Split(list, ",") {
		if w == word {
			return true
		}
	}
	return false
}

// parseKeyValues reads files like cpu.stat and memory.events: "key value"
// per line.
func parseKeyValues(text string) map[string]uint64 {
	out := map[string]uint64{}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

// readUint reads a file holding one number; "max" reads as 0 (no limit).
func readUint(dir, file string) uint64 {
	s, err := readFile(dir, file)
	if err != nil || s == "max" {
		return 0
	}
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}
