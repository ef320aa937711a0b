package runtime

// Namespaces: the -m -u -i -n -p of `unshare -muinpf`, and the user
// namespace of its -r (-U with the caller mapped to root, see userns.go),
// as clone flags. See namespaces(7). The cgroup namespace is the exception:
// the init unshares it itself, after the parent has moved it into its
// cgroup, so that the container sees its own cgroup as "/"
// (cgroup_namespaces(7)).

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// cloneFlag maps each OCI namespace type to its clone flag and the
// unshare(1) option that asks for the same.
var cloneFlag = map[specs.LinuxNamespaceType]struct {
	flag  uintptr
	shell string
}{
	specs.MountNamespace:   {unix.CLONE_NEWNS, "-m"},
	specs.UTSNamespace:     {unix.CLONE_NEWUTS, "-u"},
	specs.IPCNamespace:     {unix.CLONE_NEWIPC, "-i"},
	specs.NetworkNamespace: {unix.CLONE_NEWNET, "-n"},
	specs.PIDNamespace:     {unix.CLONE_NEWPID, "-p"},
	specs.CgroupNamespace:  {unix.CLONE_NEWCGROUP, "-C"},
	// In the same clone as the others, the new user namespace owns them
	// all: root in it may mount, set the host name … in the container's
	// namespaces, and nowhere else.
	specs.UserNamespace: {unix.CLONE_NEWUSER, "-U"},
}

// cloneFlags returns the flags for every namespace the spec asks to create,
// except the cgroup namespace (see enterCgroupNamespace).
func cloneFlags(linux *specs.Linux) (uintptr, error) {
	if linux == nil {
		return 0, nil
	}
	var flags uintptr
	for _, ns := range linux.Namespaces {
		f, ok := cloneFlag[ns.Type]
		if !ok {
			return 0, fmt.Errorf("namespace type %q is not supported", ns.Type)
		}
		if ns.Path != "" {
			return 0, fmt.Errorf("joining an existing %s namespace (%s) is not supported yet", ns.Type, ns.Path)
		}
		if ns.Type != specs.CgroupNamespace {
			flags |= f.flag
		}
	}
	// The parent writes the maps (userns.go): without them, no one in the
	// namespace would be root.
	if flags&unix.CLONE_NEWUSER != 0 && (len(linux.UIDMappings) == 0 || len(linux.GIDMappings) == 0) {
		return 0, fmt.Errorf("the config asks for a user namespace without uidMappings and gidMappings")
	}
	return flags, nil
}

// hasNamespace reports whether the spec creates a namespace of type t.
func hasNamespace(linux *specs.Linux, t specs.LinuxNamespaceType) bool {
	if linux == nil {
		return false
	}
	for _, ns := range linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

// enterCgroupNamespace makes the init's current cgroup the root of what
// it sees in /proc/self/cgroup. It must run after the parent's "continue":
// by then the init sits in the container's cgroup.
func enterCgroupNamespace(linux *specs.Linux, tr *trace.Tracer) error {
	if !hasNamespace(linux, specs.CgroupNamespace) {
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

// flagNames spells clone flags the way a learner reads them.
func flagNames(flags uintptr) string {
	var names []string
	for _, n := range []struct {
		flag uintptr
		name string
	}{
		{unix.CLONE_NEWNS, "CLONE_NEWNS"}, {unix.CLONE_NEWUTS, "CLONE_NEWUTS"},
		{unix.CLONE_NEWIPC, "CLONE_NEWIPC"}, {unix.CLONE_NEWNET, "CLONE_NEWNET"},
		{unix.CLONE_NEWPID, "CLONE_NEWPID"}, {unix.CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
		{unix.CLONE_NEWUSER, "CLONE_NEWUSER"},
	} {
		if flags&n.flag != 0 {
			names = append(names, n.name)
		}
	}
	if len(names) == 0 {
		return "0"
	}
	return strings.Join(names, "|")
}
