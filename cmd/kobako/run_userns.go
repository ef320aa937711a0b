package main

// run --userns: root in the container is not root on the host. The
// article's first command, `unshare -muinpfr`, has it: -r makes a user
// namespace and maps the caller to root in it. See user_namespaces(7).
//
//	sudo kobako run --userns busybox id    root is a range of its own,
//	                                       2147483647+ by default (container/userns.go)
//	kobako run --userns busybox id         any user: root is that user (rootless)
//
// This file turns the flag into the spec's user namespace and maps
// (linux.namespaces, linux.uidMappings, linux.gidMappings); the runtime
// writes them (runtime/userns.go). For a user who is not root it also
// takes out of the spec what a user's container cannot have.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/runtime"
)

func usernsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "userns", Value: &usernsMode{}, Usage: "a user namespace, in which the container's root is an unprivileged host id " +
			"(`MODE` auto, what the bare flag means, or host for none); a user's kobako needs it"},
	}
}

// usernsMode is the value of --userns, which may also stand alone
// (IsBoolFlag), like docker's --userns=host and podman's --userns=auto.
type usernsMode struct{ mode string }

const (
	usernsAuto = "auto"
	usernsHost = "host"
)

func (m *usernsMode) Set(s string) error {
	switch s {
	case "true", usernsAuto:
		m.mode = usernsAuto
	case "false", usernsHost:
		m.mode = usernsHost
	default:
		return fmt.Errorf("--userns=%s: say auto (or just --userns) or host", s)
	}
	return nil
}

func (m *usernsMode) String() string   { return m.mode }
func (m *usernsMode) Get() any         { return m.mode }
func (m *usernsMode) IsBoolFlag() bool { return true }

// requireRootOrUserns refuses a user's run without --userns, before
// anything is made: a user may make the other namespaces only inside a
// user namespace of its own (user_namespaces(7)).
func requireRootOrUserns(cmd *cli.Command) error {
	if mode, _ := cmd.Value("userns").(string); os.Geteuid() != 0 && mode != usernsAuto {
		return errors.New("kobako run without --userns needs root: as a user, add --userns " +
			"(kobako run --userns busybox sh, the article's unshare -r), or run it with sudo")
	}
	return nil
}

// applyUsernsFlags adds the user namespace to the spec. Root's maps are
// left to container.Create, which picks a free range under a lock; a
// user's are the user's own.
func applyUsernsFlags(cmd *cli.Command, spec *specs.Spec) error {
	if mode, _ := cmd.Value("userns").(string); mode != usernsAuto {
		return nil
	}
	// unshare -U
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	if os.Geteuid() == 0 {
		return nil
	}
	var err error
	if spec.Linux.UIDMappings, err = rootlessMap("/etc/subuid", "newuidmap", os.Geteuid()); err != nil {
		return err
	}
	if spec.Linux.GIDMappings, err = rootlessMap("/etc/subgid", "newgidmap", os.Getegid()); err != nil {
		return err
	}
	return withoutRootPrivileges(spec)
}

// rootlessMap is a user's map: its own id as root and, if the helper that
// may write more is installed, its subordinate ranges from 1 on. Alone,
// the one id is all a user may map (unshare -r); with newuidmap (package
// uidmap) and lines in /etc/subuid, images with other users work too.
func rootlessMap(file, helper string, ownID int) ([]specs.LinuxIDMapping, error) {
	if _, err := exec.LookPath(helper); err != nil {
		return runtime.RootlessMap(ownID, nil), nil
	}
	name := ""
	if u, err := user.LookupId(strconv.Itoa(os.Geteuid())); err == nil {
		name = u.Username
	}
	ranges, err := runtime.SubIDRanges(file, name, os.Geteuid())
	if err != nil {
		return nil, err
	}
	return runtime.RootlessMap(ownID, ranges), nil
}

// withoutRootPrivileges takes out of a user's spec what only root can
// have, and refuses what it cannot do without: limits with no cgroup.
func withoutRootPrivileges(spec *specs.Spec) error {
	// devpts' gid=5 (group tty) must be a mapped group, which a one-id map
	// has not: the ptys then belong to the container's root group.
	if _, ok := runtime.HostID(spec.Linux.GIDMappings, 5); !ok {
		for i, m := range spec.Mounts {
			if m.Type == "devpts" {
				spec.Mounts[i].Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "gid=5" })
			}
		}
	}
	// The devices cgroup is root's to set (v1's files, v2's BPF program);
	// a user's container holds only the host's nodes bound in, and opens
	// them with the user's own rights.
	spec.Linux.Resources.Devices = nil
	return checkRootlessLimits(spec.Linux.Resources)
}

// checkRootlessLimits refuses limits a user's container could not get: it
// has a cgroup only where cgroups.ContainerParent finds one for the user
// (a subtree delegated to it, on cgroup v2).
func checkRootlessLimits(r *specs.LinuxResources) error {
	if r.Memory == nil && r.CPU == nil && r.Pids == nil {
		return nil
	}
	layout, err := cgroups.Detect()
	if err != nil {
		return err
	}
	if _, err := cgroups.ContainerParent(layout, os.Geteuid()); err != nil {
		return fmt.Errorf("limits (--memory, --cpus, --pids-limit …) need a cgroup a user may make: %w; "+
			"run as root, or on a cgroup v2 host in a delegated cgroup (systemd-run --user --scope -p Delegate=yes kobako run …)", err)
	}
	return nil
}
