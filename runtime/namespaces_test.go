package runtime

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestCloneFlags(t *testing.T) {
	const defaults = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNET | unix.CLONE_NEWPID
	ns := func(types ...specs.LinuxNamespaceType) *specs.Linux {
		l := &specs.Linux{}
		for _, typ := range types {
			l.Namespaces = append(l.Namespaces, specs.LinuxNamespace{Type: typ})
		}
		return l
	}
	tests := []struct {
		name  string
		linux *specs.Linux
		want  uintptr
		err   string // a part of the error; "" for none
	}{
		// The default spec asks for a cgroup namespace too, but the init
		// unshares it itself, once in its cgroup (enterCgroupNamespace).
		{"default spec", DefaultSpec("/rootfs", []string{"sh"}).Linux, defaults, ""},
		{"no linux section", nil, 0, ""},
		{"no namespaces", ns(), 0, ""},
		{"cgroup only", ns(specs.CgroupNamespace), 0, ""},
		{"pid and net", ns(specs.PIDNamespace, specs.NetworkNamespace), unix.CLONE_NEWPID | unix.CLONE_NEWNET, ""},
		// A namespace with a path is joined before the clone (setns.go):
		// no clone flag for it.
		{"join by path", &specs.Linux{Namespaces: []specs.LinuxNamespace{
			{Type: specs.MountNamespace},
			{Type: specs.NetworkNamespace, Path: "/var/run/netns/blue"},
		}}, unix.CLONE_NEWNS, ""},
		{"join cgroup by path", &specs.Linux{Namespaces: []specs.LinuxNamespace{
			{Type: specs.CgroupNamespace, Path: "/proc/1/ns/cgroup"},
		}}, 0, ""},
		{"unknown type", ns(specs.MountNamespace, "bogus"), 0, `"bogus"`},
		{"user namespace with maps", withMaps(ns(specs.UserNamespace, specs.MountNamespace)), unix.CLONE_NEWUSER | unix.CLONE_NEWNS, ""},
		{"user namespace without maps", ns(specs.UserNamespace, specs.MountNamespace), 0, "uidMappings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cloneFlags(tt.linux)
			switch {
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("cloneFlags = %s, %v; want an error naming %s", flagNames(got), err, tt.err)
			case tt.err == "" && err != nil:
				t.Errorf("cloneFlags: %v", err)
			case got != tt.want:
				t.Errorf("cloneFlags = %s, want %s", flagNames(got), flagNames(tt.want))
			}
			if got&unix.CLONE_NEWCGROUP != 0 {
				t.Errorf("cloneFlags = %s: CLONE_NEWCGROUP belongs to the init's unshare, not to clone", flagNames(got))
			}
		})
	}
}

// withMaps gives l a user namespace's maps: root is 100000 on the host.
func withMaps(l *specs.Linux) *specs.Linux {
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	l.UIDMappings, l.GIDMappings = m, m
	return l
}
