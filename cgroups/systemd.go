package cgroups

// --systemd-cgroup: the cgroup an engine asks systemd for. With that flag
// runc's cgroupsPath is not a path but "slice:prefix:name" (docker's
// "system.slice:docker:<id>", podman's "machine.slice:libpod:<id>",
// kubelet's "kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>"), and
// runc asks systemd over D-Bus for a transient scope unit <prefix>-<name>.scope
// in that slice. There is no systemd to ask here, so kobako makes the
// cgroup itself, at the very path systemd would have used: tools that
// know where systemd puts a scope find the container there. Shell twin:
//
//	systemd-run --scope --unit docker-$ID --slice system.slice …   # what runc asks for
//	mkdir /sys/fs/cgroup/memory/system.slice/docker-$ID.scope       # what kobako does
//
// See systemd.slice(5) for how a slice's name spells its place in the
// tree, and runc's libcontainer/cgroups/systemd ExpandSlice.

import (
	"fmt"
	"strings"
)

// SystemdPath turns runc's --systemd-cgroup cgroupsPath "slice:prefix:name"
// into the cgroup path systemd would give that unit:
// "system.slice:docker:abc" is /system.slice/docker-abc.scope, and a slice
// "machine-foo.slice" sits in machine.slice, /machine.slice/machine-foo.slice.
// An empty slice is system.slice, as in runc; a name that is itself a
// slice ("x.slice") is the unit, with no scope.
func SystemdPath(s string) (string, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return "", fmt.Errorf("cgroupsPath %q: with --systemd-cgroup it must be slice:prefix:name, like system.slice:docker:<id>", s)
	}
	slice, prefix, name := parts[0], parts[1], parts[2]
	if slice == "" {
		slice = "system.slice"
	}
	parent, err := expandSlice(slice)
	if err != nil {
		return "", fmt.Errorf("cgroupsPath %q: %w", s, err)
	}
	switch {
	case name == "" || strings.Contains(name, "/"):
		return "", fmt.Errorf("cgroupsPath %q: the name (after the second colon) must be a non-empty word without /", s)
	case strings.HasSuffix(name, ".slice"):
		return strings.TrimSuffix(parent, "/") + "/" + name, nil
	case prefix == "" || strings.Contains(prefix, "/"):
		return "", fmt.Errorf("cgroupsPath %q: the prefix (between the colons) must be a non-empty word without /, like docker", s)
	}
	return strings.TrimSuffix(parent, "/") + "/" + prefix + "-" + name + ".scope", nil
}

// expandSlice spells out where systemd puts a slice: each dash opens a
// level, so "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice, and "-.slice"
// is the root (systemd.slice(5)).
func expandSlice(slice string) (string, error) {
	base, ok := strings.CutSuffix(slice, ".slice")
	if !ok || base == "" || strings.Contains(slice, "/") {
		return "", fmt.Errorf("slice %q: a slice is a name ending in .slice, without /, like system.slice", slice)
	}
	if base == "-" {
		return "/", nil
	}
	var path, prefix string
	for _, component := range strings.Split(base, "-") {
		if component == "" {
			return "", fmt.Errorf("slice %q: a dash may not start or end a slice's name, or follow another", slice)
		}
		path += "/" + prefix + component + ".slice"
		prefix += component + "-"
	}
	return path, nil
}
