package cgroups

// v1 devices: which device nodes the container may open and make, written
// into the devices controller's two files. Shell twin, for kobako's
// default list:
//
//	echo a > /sys/fs/cgroup/devices/kobako/$ID/devices.deny
//	echo 'c *:* m' > /sys/fs/cgroup/devices/kobako/$ID/devices.allow
//	echo 'c 1:3 rwm' > /sys/fs/cgroup/devices/kobako/$ID/devices.allow   … and so on
//	cat /sys/fs/cgroup/devices/kobako/$ID/devices.list
//
// The kernel checks the list when a process of the cgroup opens a device
// node (r, w) or makes one (m); anything else gets EPERM, whatever the
// node's mode and the caller's capabilities. See
// Documentation/admin-guide/cgroup-v1/devices.rst.

import specs "github.com/opencontainers/runtime-spec/specs-go"

// setDevices writes the final state of the list (devices.go), not the
// list itself: first the default, which also clears the exceptions the
// new cgroup copied from /kobako, then the exceptions. No list, no writes
// (see devices.go).
//
// Between the first write and the last, a process of the cgroup may open
// no device at all. The container's init is already in it, but waits for
// us and opens nothing until we let it go; its stdin, stdout and stderr
// must be open when it starts, or Go's runtime opens /dev/null for them
// at its start, racing with these writes. (Changing a running
// container's list would need the fewest writes from the old state to
// the new one instead, as runc's emulator computes.)
func (m *v1) setDevices(list []specs.LinuxDeviceCgroup) error {
	if len(list) == 0 {
		return nil
	}
	filter, err := newDeviceFilter(list)
	if err != nil {
		return err
	}
	dir, err := m.need("devices", "linux.resources.devices")
	if err != nil {
		return err
	}
	defaultFile, exceptionFile := "devices.deny", "devices.allow"
	if filter.allowByDefault {
		defaultFile, exceptionFile = "devices.allow", "devices.deny"
	}
	// echo a > devices.deny: "a" is every device, every access.
	if err := writeFile(m.tr, dir, defaultFile, "a"); err != nil {
		return err
	}
	for _, e := range filter.exceptions {
		// echo 'c 1:3 rwm' > devices.allow
		if err := writeFile(m.tr, dir, exceptionFile, e.String()); err != nil {
			return err
		}
	}
	return nil
}
