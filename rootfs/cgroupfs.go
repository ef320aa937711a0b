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
//
// In a user namespace the root of the namespace may mount a hierarchy only
// from a cgroup namespace that its user namespace owns, as the default
// spec's is. A spec with a user namespace and no cgroup namespace gets
// EPERM; there the container's own cgroup directory is bound in,
// read-only, which shows the same files:
//
//	mount --bind /sys/fs/cgroup/memory/kobako/$ID $ROOTFS/sys/fs/cgroup/memory
//	mount -o remount,bind,ro $ROOTFS/sys/fs/cgroup/memory
//
// A container without a cgroup namespace of its own (podman and docker
// configs leave it out) would see the host's whole tree in a fresh mount:
// it gets its own cgroup directories bound in the same way, as runc does.
//
// A container with no cgroup of its own (a user's, without delegation)
// gets an empty read-only tmpfs: a cgroup mount would show the cgroup of
// whoever started it — on a v1 host, the whole host's tree.

import (
	"errors"
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
	V2   bool              `json:"v2,omitempty"`
	Host string            `json:"host,omitempty"` // v2: the host's mount point
	V1   []CgroupHierarchy `json:"v1,omitempty"`
	// Path is the container's own cgroup in each hierarchy (/kobako/<id>),
	// what a user namespace may have to bind; "" for none, and nothing shown.
	Path string `json:"path,omitempty"`
	// BindOwn: the container has no cgroup namespace of its own, so a
	// fresh mount would show the host's root; bind its own cgroup instead.
	BindOwn bool `json:"bindOwn,omitempty"`
}

// CgroupHierarchy is one v1 hierarchy: its directory name under
// /sys/fs/cgroup ("cpu,cpuacct"), its mount point on the host and its
// controllers ("cpu,cpuacct").
type CgroupHierarchy struct {
	Dir         string `json:"dir"`
	Host        string `json:"host,omitempty"`
	Controllers string `json:"controllers"`
}

func mountCgroupfs(root *os.File, m specs.Mount, cg *Cgroupfs, tr *trace.Tracer) error {
	if cg == nil {
		return fmt.Errorf("mount %s: the runtime found no cgroup file system to mount", m.Destination)
	}
	opts := parseMountOptions(m.Options)
	if cg.Path == "" {
		// mount -t tmpfs -o ro,mode=755 tmpfs $ROOTFS/sys/fs/cgroup — nothing of its own to show
		return mountCgroupAt(root, m.Destination, "tmpfs", "mode=755", opts.flags, tr)
	}
	if cg.V2 {
		if cg.BindOwn {
			return bindOwnCgroup(root, m.Destination, cg.Host, cg.Path, opts.flags, tr)
		}
		err := mountCgroupAt(root, m.Destination, "cgroup2", "", opts.flags, tr)
		if errors.Is(err, unix.EPERM) {
			return bindOwnCgroup(root, m.Destination, cg.Host, cg.Path, opts.flags, tr)
		}
		return err
	}
	// A tmpfs to hold the hierarchies, writable until they are in place.
	if err := mountCgroupAt(root, m.Destination, "tmpfs", "mode=755", opts.flags&^unix.MS_RDONLY, tr); err != nil {
		return err
	}
	for _, h := range cg.V1 {
		dest := path.Join(m.Destination, h.Dir)
		var err error
		if cg.BindOwn {
			err = bindOwnCgroup(root, dest, h.Host, cg.Path, opts.flags, tr)
		} else if err = mountCgroupAt(root, dest, "cgroup", h.Controllers, opts.flags, tr); errors.Is(err, unix.EPERM) {
			// A user namespace (see the top).
			err = bindOwnCgroup(root, dest, h.Host, cg.Path, opts.flags, tr)
		}
		if err != nil {
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
	return mount(tr, mountCall{Step: "make " + m.Destination + " read-only", Shell: "mount -o remount,ro $ROOTFS" + m.Destination,
		Target: procSelfFd(target), Shown: m.Destination, Flags: opts.flags | unix.MS_REMOUNT, Data: "mode=755"})
}

// mountCgroupAt mounts one file system of the cgroup tree, on a handle
// resolved inside the root like every other mount.
func mountCgroupAt(root *os.File, dest, fstype, data string, flags uintptr, tr *trace.Tracer) error {
	target, err := makeMountPoint(root, dest)
	if err != nil {
		return err
	}
	defer target.Close()
	shell := fmt.Sprintf("mount -t %s -o %s %s $ROOTFS%s", fstype, data, fstype, dest)
	return mount(tr, mountCall{Step: "mount " + dest, Shell: shell,
		Source: fstype, Target: procSelfFd(target), Shown: dest, FSType: fstype, Flags: flags, Data: data})
}

// bindOwnCgroup binds the container's own cgroup directory of the host's
// hierarchy at host onto dest, read-only like the mount it stands for.
func bindOwnCgroup(root *os.File, dest, host, own string, flags uintptr, tr *trace.Tracer) error {
	source := path.Join(host, own)
	target, err := makeMountPoint(root, dest)
	if err != nil {
		return err
	}
	defer target.Close()
	// mount --bind /sys/fs/cgroup/memory/kobako/$ID $ROOTFS/sys/fs/cgroup/memory
	if err := mount(tr, mountCall{Step: "bind " + dest, Shell: "mount --bind " + source + " $ROOTFS" + dest,
		Source: source, Target: procSelfFd(target), Shown: dest, Flags: unix.MS_BIND}); err != nil {
		return err
	}
	if flags&unix.MS_RDONLY == 0 {
		return nil
	}
	bound, err := reopenCgroupBind(root, dest)
	if err != nil {
		return err
	}
	defer bound.Close()
	// mount -o remount,bind,ro $ROOTFS/sys/fs/cgroup/memory
	return remountBind(tr, dest, bound, unix.MS_RDONLY)
}

// reopenCgroupBind resolves dest again, to reach the bind just made on it
// (the old handle names the directory under it), and checks that it is a
// cgroup file system's directory: the bind, not something put at dest.
func reopenCgroupBind(root *os.File, dest string) (*os.File, error) {
	bound, err := pathrs.OpenatInRoot(root, dest)
	if err != nil {
		return nil, fmt.Errorf("reopen %s after the bind: %w", dest, err)
	}
	var st unix.Statfs_t
	// stat -f -c %T $ROOTFS/sys/fs/cgroup/memory   — cgroupfs (or cgroup2fs)
	err = unix.Fstatfs(int(bound.Fd()), &st)
	if err == nil && st.Type != unix.CGROUP_SUPER_MAGIC && st.Type != unix.CGROUP2_SUPER_MAGIC {
		err = fmt.Errorf("it is not on a cgroup file system (magic %#x)", st.Type)
	}
	if err != nil {
		bound.Close()
		return nil, fmt.Errorf("reopen %s after the bind: %w", dest, err)
	}
	return bound, nil
}
