package runtime

// Namespaces: the -m -u -i -n -p of `unshare -muinpf`, and the user
// namespace of its -r (-U with the caller mapped to root, see userns.go),
// as clone flags. See namespaces(7). The cgroup namespace is the exception:
// the init unshares it itself, after the parent has moved it into its
// cgroup, so that the container sees its own cgroup as "/"
// (cgroup_namespaces(7)).
//
// A namespace listed with a path is not made but joined — nsenter's
// --net=PATH rather than unshare's -n (setns.go) — and gets no clone flag.

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cloneFlag maps each OCI namespace type to its clone flag, the unshare(1)
// option that asks for the same,
// and the nsenter(1) option that joins one by path.
var cloneFlag = map[specs.LinuxNamespaceType]struct {
	flag    uintptr
	shell   string
	nsenter string
}{
	specs.MountNamespace:   {unix.CLONE_NEWNS, "-m", "--mount"},
	specs.UTSNamespace:     {unix.CLONE_NEWUTS, "-u", "--uts"},
	specs.IPCNamespace:     {unix.CLONE_NEWIPC, "-i", "--ipc"},
	specs.NetworkNamespace: {unix.CLONE_NEWNET, "-n", "--net"},
	specs.PIDNamespace:     {unix.CLONE_NEWPID, "-p", "--pid"},
	specs.CgroupNamespace:  {unix.CLONE_NEWCGROUP, "-C", "--cgroup"},
	// In the same clone as the others, the new user namespace owns them
	// all: root in it may mount, set the host name … in the container's
	// namespaces, and nowhere else.
	specs.UserNamespace: {unix.CLONE_NEWUSER, "-U", "--user"},
}

// cloneFlags returns the flags for every namespace the spec asks to create,
// except the cgroup namespace (see enterCgroupNamespace). Namespaces with
// a path are joined before the clone instead (setns.go).
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
		if ns.Path == "" && ns.Type != specs.CgroupNamespace {
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

// articleCloneFlags are the namespaces of the article's `unshare -muinpf`.
const articleCloneFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNET | unix.CLONE_NEWPID

// unshareShell spells clone flags as the unshare(1) command that asks for
// the same, the fork included: "unshare -Umuinpf".
func unshareShell(flags uintptr) string {
	letters := ""
	for _, t := range []specs.LinuxNamespaceType{
		specs.UserNamespace, specs.MountNamespace, specs.UTSNamespace,
		specs.IPCNamespace, specs.NetworkNamespace, specs.PIDNamespace,
	} {
		if flags&cloneFlag[t].flag != 0 {
			letters += cloneFlag[t].shell[1:]
		}
	}
	if letters == "" {
		return "(no new namespace: the init is an ordinary child)"
	}
	return "unshare -" + letters + "f"
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
