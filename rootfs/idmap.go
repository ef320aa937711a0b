package rootfs

// Idmapped bind mounts: a mount's "idmap" or "ridmap" option with its own
// uidMappings and gidMappings (runtime-spec 1.1, runc 1.2). The kernel
// shifts the owners of the files as they are seen through that one mount,
// by the maps read as a user namespace's: with "0 100000 65536" (a
// container's own map, as podman's :idmap passes it), the host root's
// files show as 100000's — the container's root — with no chown, and the
// files the container's root makes land as the host's root's.
// Shell twin (util-linux 2.39):
//
//	unshare --user --map-users=0:100000:65536 --map-groups=0:100000:65536 sleep inf &
//	mount --bind -o X-mount.idmap=/proc/$!/ns/user $SOURCE $ROOTFS$DEST
//
// mount_setattr(2) takes the maps as a user namespace, not as numbers; so
// one is made for the mount (userNamespaceWithMaps), used, and let go. The
// mount itself follows the new mount API, as in runtime/userns.go:
// open_tree(2) clones the source into a detached mount, mount_setattr(2)
// idmaps it (only a detached mount may be), and move_mount(2) attaches it
// on the target's handle. Linux 5.12 or later, on a file system that
// supports it (ext4, xfs, btrfs; tmpfs since 6.3).

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// isIdmapped tells whether a bind is to be idmapped: the word, or maps
// given without it (which runc takes as idmap too).
func isIdmapped(m specs.Mount, opts mountOptions) bool {
	return opts.idmap != noIdmap || len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0
}

// mountIdmapped binds m.Source on m.Destination through the mount's maps.
func mountIdmapped(root *os.File, m specs.Mount, opts mountOptions, tr *trace.Tracer) error {
	userns, err := userNamespaceWithMaps(m.UIDMappings, m.GIDMappings, tr)
	if err != nil {
		return fmt.Errorf("idmap %s: %w", m.Destination, err)
	}
	defer userns.Close()
	tree, err := idmappedTree(m, opts, userns, tr)
	if err != nil {
		return err
	}
	defer tree.Close()
	target, err := openBindTarget(root, m.Destination, tree)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := checkInside(root, target, m.Destination); err != nil {
		return err
	}
	// … $ROOTFS$DEST: attach the idmapped tree on the checked handle
	err = unix.MoveMount(int(tree.Fd()), "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	tr.Step("attach the idmapped "+m.Destination, "mount --bind -o X-mount.idmap=… "+m.Source+" $ROOTFS"+m.Destination,
		"unix.MoveMount(tree, \"\", target, \"\", MOVE_MOUNT_F_EMPTY_PATH|MOVE_MOUNT_T_EMPTY_PATH)", err)
	if err != nil {
		return fmt.Errorf("move_mount %s on %s: %w", m.Source, m.Destination, err)
	}
	return remountBound(root, m.Destination, opts, tr)
}

// idmappedTree clones the source (with the mounts below it for rbind) into
// a detached mount and idmaps it: the top mount for "idmap", every mount
// of the tree for "ridmap".
func idmappedTree(m specs.Mount, opts mountOptions, userns *os.File, tr *trace.Tracer) (*os.File, error) {
	cloneFlags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if opts.flags&unix.MS_REC != 0 {
		cloneFlags |= unix.AT_RECURSIVE
	}
	// mount --bind $SOURCE … — a bind attached nowhere yet
	fd, err := unix.OpenTree(unix.AT_FDCWD, m.Source, cloneFlags)
	if err != nil {
		tr.Step("idmap "+m.Source, "mount --bind "+m.Source+" … (detached)", fmt.Sprintf("unix.OpenTree(AT_FDCWD, %q, OPEN_TREE_CLONE)", m.Source), err)
		return nil, fmt.Errorf("open_tree %s: %w", m.Source, err)
	}
	tree := os.NewFile(uintptr(fd), "idmapped "+m.Source)
	setattrFlags := unix.AT_EMPTY_PATH
	if opts.idmap == idmapRecursive {
		setattrFlags |= unix.AT_RECURSIVE
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd())}
	// … -o X-mount.idmap=/proc/$!/ns/user
	err = unix.MountSetattr(fd, "", uint(setattrFlags), &attr)
	tr.Step("idmap "+m.Source, "mount --bind -o X-mount.idmap=/proc/$!/ns/user "+m.Source+" … (detached)",
		"unix.MountSetattr(tree, \"\", AT_EMPTY_PATH, {MOUNT_ATTR_IDMAP, userns})", err)
	if err != nil {
		tree.Close()
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
			return nil, fmt.Errorf("idmap %s: %w: this kernel or file system cannot idmap a mount (Linux 5.12 or later can, on ext4, xfs, btrfs, or tmpfs since 6.3)", m.Source, err)
		}
		if errors.Is(err, unix.EPERM) {
			return nil, fmt.Errorf("idmap %s: %w: only the host's root may idmap a mount, and a container with a user namespace of its own cannot", m.Source, err)
		}
		return nil, fmt.Errorf("mount_setattr MOUNT_ATTR_IDMAP %s: %w", m.Source, err)
	}
	return tree, nil
}

// userNamespaceWithMaps returns a new user namespace with the maps, as an
// open /proc/PID/ns/user. A namespace lives in a process, so one is made:
// /proc/self/exe, started in a new user namespace with the maps written by
// Go, and stopped before it runs a single instruction of its own — ptrace
// stops a tracee at its execve, which is runc 1.2's trick (no sleep
// binary needed in the image or on the host). It is killed once its
// namespace is open; the open file keeps the namespace alive.
func userNamespaceWithMaps(uids, gids []specs.LinuxIDMapping, tr *trace.Tracer) (*os.File, error) {
	proc, err := os.StartProcess("/proc/self/exe", []string{"kobako-idmap"}, &os.ProcAttr{
		Sys: &syscall.SysProcAttr{
			Cloneflags:  unix.CLONE_NEWUSER,
			UidMappings: sysIDMap(uids),
			GidMappings: sysIDMap(gids),
			Ptrace:      true, // stop at the execve: nothing of it runs
		},
	})
	tr.Step("make a user namespace with the mount's maps", "unshare --user --map-users=… --map-groups=… sleep inf &",
		"os.StartProcess(\"/proc/self/exe\", …, {Cloneflags: CLONE_NEWUSER, UidMappings, GidMappings, Ptrace: true})", err)
	if err != nil {
		return nil, fmt.Errorf("make a user namespace with the maps: %w", err)
	}
	defer func() {
		proc.Kill()
		proc.Wait()
	}()
	return openUserNamespaceOf(proc.Pid)
}

// openUserNamespaceOf opens /proc/PID/ns/user of a child. Not through the
// /proc mounted on the host's: the init is often PID 1 of a PID namespace
// of its own, and its child's PID there names another process (or none)
// in that /proc. A procfs made now, detached (fsopen(2), fsmount(2)),
// belongs to the init's own PID namespace, where the PID is the child's.
func openUserNamespaceOf(pid int) (*os.File, error) {
	fsfd, err := unix.Fsopen("proc", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("fsopen proc: %w", err)
	}
	defer unix.Close(fsfd)
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return nil, fmt.Errorf("fsconfig proc: %w", err)
	}
	procfs, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("fsmount proc: %w", err)
	}
	defer unix.Close(procfs)
	name := fmt.Sprintf("%d/ns/user", pid)
	fd, err := unix.Openat(procfs, name, unix.O_RDONLY|unix.O_CLOEXEC, 0) // a magic link: followed
	if err != nil {
		return nil, fmt.Errorf("open /proc/%s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), "/proc/"+name), nil
}

func sysIDMap(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, r := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(r.ContainerID), HostID: int(r.HostID), Size: int(r.Size)}
	}
	return out
}
