package main

// `kobako run --device HOST[:CTR][:PERMS]`: a host device, made again
// inside the container. Not a bind mount: the init mknods a node with the
// host's type, numbers, mode and owner in the container's fresh /dev
// (rootfs/dev.go). By hand, that is
//
//	stat -L -c '%F %t %T %a %u %g' /dev/sda   # block special file 8 0 660 0 6
//	mknod -m 660 $ROOTFS/dev/sda b 8 0 && chown 0:6 $ROOTFS/dev/sda
//
// PERMS (r read, w write, m mknod; default rwm) become an allow rule in
// linux.resources.devices, for the devices cgroup to enforce (always with
// m, which the init needs to make the node); see docker run --device and
// the runtime spec's config-linux.md.

import (
	"fmt"
	"os"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"
)

// deviceRequest is one --device flag, read but not yet checked on the host.
type deviceRequest struct {
	host, container, perms string
}

// applyDeviceFlags adds each --device to the spec: the node to make in
// linux.devices, the access to allow in linux.resources.devices.
func applyDeviceFlags(cmd *cli.Command, spec *specs.Spec) error {
	for _, flag := range cmd.StringSlice("device") {
		req, err := parseDevice(flag)
		if err != nil {
			return err
		}
		dev, err := hostDevice(req.host)
		if err != nil {
			return fmt.Errorf("--device %s: %w", flag, err)
		}
		// CTR is checked after HOST: when it defaults to HOST, the word for
		// --device /etc/passwd is "not a device", not "not under /dev".
		if dev.Path, err = containerDevicePath(req.container); err != nil {
			return fmt.Errorf("--device %s: %w", flag, err)
		}
		spec.Linux.Devices = append(spec.Linux.Devices, dev)
		spec.Linux.Resources.Devices = append(spec.Linux.Resources.Devices, specs.LinuxDeviceCgroup{
			// m as well: the init itself makes the node, inside the cgroup.
			Allow: true, Type: dev.Type, Major: &dev.Major, Minor: &dev.Minor, Access: withMknod(req.perms),
		})
	}
	return nil
}

// parseDevice reads HOST[:CTR][:PERMS] as docker does: with two fields,
// the second is PERMS if it reads as permissions (/dev/sda:r), else CTR.
func parseDevice(flag string) (deviceRequest, error) {
	fields := strings.Split(flag, ":")
	req := deviceRequest{host: fields[0], perms: "rwm"}
	switch {
	case len(fields) == 3:
		req.container, req.perms = fields[1], fields[2]
	case len(fields) == 2 && validDevicePerms(fields[1]):
		req.perms = fields[1]
	case len(fields) == 2:
		req.container = fields[1]
	case len(fields) > 3:
		req.host = ""
	}
	if req.host == "" {
		return req, fmt.Errorf("--device %q: use HOST[:CTR][:PERMS], like /dev/null:/dev/mynull:rw", flag)
	}
	if req.container == "" {
		req.container = req.host
	}
	if !validDevicePerms(req.perms) {
		return req, fmt.Errorf("--device %s: PERMS %q must be letters of rwm (read, write, mknod), like rw", flag, req.perms)
	}
	return req, nil
}

// containerDevicePath cleans CTR, which must name a file in /dev: the
// tmpfs that holds the container's devices and nothing else.
func containerDevicePath(ctr string) (string, error) {
	p := path.Clean(ctr)
	if !strings.HasPrefix(p, "/dev/") {
		return "", fmt.Errorf("the container path %s must be absolute and under /dev, like /dev/mynull", ctr)
	}
	// Not in the file systems mounted on /dev: its devpts, shm and mqueue
	// hold no device nodes (shm is nodev), and /dev/fd is a symlink.
	for _, sub := range []string{"/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/fd"} {
		if p == sub || strings.HasPrefix(p, sub+"/") {
			return "", fmt.Errorf("the container path %s is in %s, which holds no devices: pick a name like /dev/mynull", ctr, sub)
		}
	}
	return p, nil
}

// validDevicePerms: one or more of r, w and m, each at most once.
func validDevicePerms(perms string) bool {
	if perms == "" {
		return false
	}
	for i, c := range perms {
		if !strings.ContainsRune("rwm", c) || strings.ContainsRune(perms[i+1:], c) {
			return false
		}
	}
	return true
}

// hostDevice describes the host's node at host: its type and numbers, mode
// and owner. A symlink (/dev/disk/by-id/…) counts as the device it points
// to.
func hostDevice(host string) (specs.LinuxDevice, error) {
	var st unix.Stat_t
	// stat -L -c '%F %t %T %a %u %g' $HOST
	if err := unix.Stat(host, &st); err != nil {
		return specs.LinuxDevice{}, fmt.Errorf("stat %s: %w", host, err)
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		typ = "c"
	case unix.S_IFBLK:
		typ = "b"
	default:
		return specs.LinuxDevice{}, fmt.Errorf("%s is not a device node: give a character or block device, like /dev/null", host)
	}
	mode := os.FileMode(st.Mode & 0o777)
	return specs.LinuxDevice{
		Type: typ, Major: int64(unix.Major(st.Rdev)), Minor: int64(unix.Minor(st.Rdev)),
		FileMode: &mode, UID: &st.Uid, GID: &st.Gid,
	}, nil
}

// withMknod adds m to PERMS: without it the init could not make the node.
func withMknod(perms string) string {
	if strings.ContainsRune(perms, 'm') {
		return perms
	}
	return perms + "m"
}
