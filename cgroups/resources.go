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
// v2_devices.go.)
func unsupportedResources(r *specs.LinuxResources) error {
	switch {
	case r.BlockIO != nil:
		return fmt.Errorf("linux.resources.blockIO is not supported by kobako yet")
	case len(r.HugepageLimits) > 0:
		return fmt.Errorf("linux.resources.hugepageLimits is not supported by kobako yet")
	case r.Network != nil:
		return fmt.Errorf("linux.resources.network is not supported by kobako yet")
	case len(r.Rdma) > 0:
		return fmt.Errorf("linux.resources.rdma is not supported by kobako yet")
	case len(r.Unified) > 0:
		return fmt.Errorf("linux.resources.unified is not supported by kobako yet")
	}
	return nil
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
