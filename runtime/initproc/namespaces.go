package initproc

import (
	"fmt"

	"github.com/kobako/kobako/internal/fault"
	"github.com/kobako/kobako/internal/trace"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// hasNamespace reports whether the container has a namespace of type t
// that is not the runtime's: one made for it, or one joined by path.
func HasNamespace(linux *specs.Linux, t specs.LinuxNamespaceType) bool {
	_, ok := NamespaceOf(linux, t)
	return ok
}

// newNamespace reports whether the spec makes a namespace of type t: one
// listed without a path. Only such a one is the init's to set up (bring
// lo up in, unshare for the cgroup); a joined one was set up by its owner.
func NewNamespace(linux *specs.Linux, t specs.LinuxNamespaceType) bool {
	ns, ok := NamespaceOf(linux, t)
	return ok && ns.Path == ""
}

func NamespaceOf(linux *specs.Linux, t specs.LinuxNamespaceType) (specs.LinuxNamespace, bool) {
	if linux == nil {
		return specs.LinuxNamespace{}, false
	}
	for _, ns := range linux.Namespaces {
		if ns.Type == t {
			return ns, true
		}
	}
	return specs.LinuxNamespace{}, false
}

// enterCgroupNamespace makes the init's current cgroup the root of what
// it sees in /proc/self/cgroup. It must run after the parent's "continue":
// by then the init sits in the container's cgroup.
func enterCgroupNamespace(linux *specs.Linux, tr *trace.Tracer) error {
	// fault point init:cgroupns (internal/fault): a test build fails here
	if err := fault.Check("init:cgroupns"); err != nil {
		return fmt.Errorf("unshare cgroup namespace: %w", err)
	}
	if !NewNamespace(linux, specs.CgroupNamespace) {
		return nil
	}
	// unshare -C (the calling thread; Init keeps to one locked thread)
	err := unix.Unshare(unix.CLONE_NEWCGROUP)
	tr.Step("new cgroup namespace", "unshare -C", "unix.Unshare(unix.CLONE_NEWCGROUP)", err)
	if err != nil {
		return fmt.Errorf("unshare cgroup namespace: %w", err)
	}
	return nil
}
