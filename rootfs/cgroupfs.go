package rootfs

// /sys/fs/cgroup inside the container, read-only. After `unshare -C` a
// fresh cgroup mount shows the container's own cgroup as its root, so
// `cat /sys/fs/cgroup/memory.max` (v2) or
// `cat /sys/fs/cgroup/memory/memory.limit_in_bytes` (v1) reads the
// container's own limit. runc expands the config's one "cgroup" mount the
// same way:
//
//	v2: mount -t cgroup2 -o ro,nosuid,nodev,noexec cgroup2 $ROOTFS/sys/fs/cgroup
//	v1: mount -t tmpfs tmpfs $ROOTFS/sys/fs/cgroup
//	    mount -t cgroup -o ro,…,memory cgroup $ROOTFS/sys/fs/cgroup/memory   (each hierarchy)
//	    mount -o remount,ro $ROOTFS/sys/fs/cgroup

import (
	"fmt"
	"os"
	"path"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// Cgroupfs describes the host's cgroup file systems, as the init must
// mount them: the runtime detects them, the init has no way to ask.
type Cgroupfs struct {
	V2 bool              `json:"v2,omitempty"`
	V1 []CgroupHierarchy `json:"v1,omitempty"`
}

// CgroupHierarchy is one v1 hierarchy: its directory name under
// /sys/fs/cgroup ("cpu,cpuacct") and its controllers ("cpu,cpuacct").
type CgroupHierarchy struct {
	Dir         string `json:"dir"`
	Controllers string `json:"controllers"`
}

func mountCgroupfs(root *os.File, m specs.Mount, cg *Cgroupfs, tr *trace.Tracer) error {
	if cg == nil {
		return fmt.Errorf("mount %s: the runtime found no cgroup file system to mount", m.Destination)
	}
	opts := parseMountOptions(m.Options)
	if cg.V2 {
		return mountCgroupAt(root, m.Destination, "cgroup2", "", opts.flags, tr)
	}
	// A tmpfs to hold the hierarchies, writable until they are in place.
	if err := mountCgroupAt(root, m.Destination, "tmpfs", "mode=755", opts.flags&^unix.MS_RDONLY, tr); err != nil {
		return err
	}
	for _, h := range cg.V1 {
		dest := path.Join(m.Destination, h.Dir)
		if err := mountCgroupAt(root, dest, "cgroup", h.Controllers, opts.flags, tr); err != nil {
			return err
		}
	}
	if opts.flags&unix.MS_RDONLY == 0 {
		return nil
	}
	target, err := pathrs.OpenatInRoot(root, m.Destination)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", m.Destination, err)
	}
	defer target.Close()
	// mount -o remount,ro $ROOTFS/sys/fs/cgroup
	return mount(tr, "make "+m.Destination+" read-only", "mount -o remount,ro $ROOTFS"+m.Destination, "", procSelfFd(target),
		m.Destination, "", opts.flags|unix.MS_REMOUNT, "mode=755")
}

// mountCgroupAt mounts one file system of the cgroup tree, on a handle
// resolved inside the root like every other mount.
func mountCgroupAt(root *os.File, dest, fstype, data string, flags uintptr, tr *trace.Tracer) error {
	target, err := pathrs.MkdirAllHandle(root, dest, 0o755)
	if err != nil {
		return fmt.Errorf("make mount point %s: %w", dest, err)
	}
	defer target.Close()
	if err := checkInside(root, target, dest); err != nil {
		return err
	}
	shell := fmt.Sprintf("mount -t %s -o %s %s $ROOTFS%s", fstype, data, fstype, dest)
	return mount(tr, "mount "+dest, shell, fstype, procSelfFd(target), dest, fstype, flags, data)
}
