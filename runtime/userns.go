package runtime

// User namespaces: root in the container, an ordinary user on the host.
// The article's first command is `unshare -muinpfr`, whose -r makes a user
// namespace (-U) and maps the caller to root in it. kobako does it in the
// same two halves as unshare: the clone makes the namespace (namespaces.go)
// and the parent writes its maps — see user_namespaces(7):
//
//	echo deny > /proc/$PID/setgroups            a user's own one-id map only
//	echo '0 100000 65536' > /proc/$PID/uid_map  root may map any range
//	echo '0 100000 65536' > /proc/$PID/gid_map
//	newuidmap $PID 0 1000 1 1 100000 65536      a user's ranges from /etc/subuid
//	newgidmap $PID 0 1000 1 1 100000 65536
//
// The order, and why:
//
//  1. clone(CLONE_NEWUSER|CLONE_NEWNS|…) and the init's execve. The maps do
//     not exist yet, so the init's uid means nobody in its namespace, and
//     execve by a non-root uid drops every capability (capabilities(7)). So
//     the init is started with all of them in its ambient set, which Go
//     raises in the child between clone and execve (SysProcAttr.AmbientCaps),
//     and ambient capabilities outlive an execve.
//  2. The parent writes the maps. As root it then shows the image to the
//     namespace through idmapped mounts (idmappedLowers) and sends them with
//     "continue".
//  3. The init becomes uid 0 and gid 0 of its namespace (becomeNamespaceRoot):
//     the host ids mapped to root. Everything it makes from then on — /dev's
//     nodes, the overlay's copied-up files — belongs to the container's root
//     on the host, not to the host's root.
//
// Joining a user namespace is another matter: setns(2) refuses
// CLONE_NEWUSER to a multi-threaded process, and every Go process is one
// (see checkJoinable, and design.md).

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/runtime/initproc"
)

// ambientCapabilities are the capabilities the init carries across its
// execve while its uid is not mapped yet (step 1 above): every one in
// kobako's own bounding set, which is all that can be raised. The new user
// namespace gives them all to the child; they act only on what that
// namespace owns.
func ambientCapabilities() ([]uintptr, error) {
	names, err := initproc.BoundingSet()
	if err != nil {
		return nil, err
	}
	caps := make([]uintptr, len(names))
	for i, name := range names {
		caps[i] = uintptr(initproc.CapabilityNumbers[name])
	}
	return caps, nil
}

// writeIDMaps writes the init's uid and gid maps from the spec, and "deny"
// to its setgroups where the kernel asks for it. It runs in the parent,
// after the clone and before "continue".
func writeIDMaps(linux *specs.Linux, pid int, tr *trace.Tracer) error {
	if !initproc.HasNamespace(linux, specs.UserNamespace) {
		return nil
	}
	uidDirect := mayWriteMapDirectly(linux.UIDMappings, os.Geteuid())
	gidDirect := mayWriteMapDirectly(linux.GIDMappings, os.Getegid())
	if gidDirect && os.Geteuid() != 0 {
		// A user may map its own gid only after giving up setgroups(2) in
		// the namespace, for good: else root in it could drop a group that
		// denies access to something (a file mode like 0705).
		// echo deny > /proc/$PID/setgroups
		if err := writeProcFile(pid, "setgroups", "deny", tr); err != nil {
			return err
		}
	}
	if err := writeIDMap(pid, "uid_map", "newuidmap", linux.UIDMappings, uidDirect, tr); err != nil {
		return err
	}
	return writeIDMap(pid, "gid_map", "newgidmap", linux.GIDMappings, gidDirect, tr)
}

// mayWriteMapDirectly says whether kobako may write the map itself: root
// may write any map, a user only one line that maps its own id, once.
// Anything else goes through newuidmap/newgidmap, setuid helpers that allow
// a user the ranges /etc/subuid and /etc/subgid give it.
func mayWriteMapDirectly(m []specs.LinuxIDMapping, ownID int) bool {
	return ownID == 0 || len(m) == 1 && m[0].Size == 1 && int64(m[0].HostID) == int64(ownID)
}

func writeIDMap(pid int, file, helper string, m []specs.LinuxIDMapping, direct bool, tr *trace.Tracer) error {
	if direct {
		// echo '0 100000 65536' > /proc/$PID/uid_map — in one write(2), as the kernel wants
		return writeProcFile(pid, file, formatIDMap(m), tr)
	}
	path, err := exec.LookPath(helper)
	if err != nil {
		return fmt.Errorf("%s of %d ranges needs %s, which is not installed (Debian and Ubuntu: apt-get install uidmap): %w", file, len(m), helper, err)
	}
	args := append([]string{strconv.Itoa(pid)}, strings.Fields(formatIDMap(m))...)
	// newuidmap $PID 0 1000 1 1 100000 65536
	out, err := exec.Command(path, args...).CombinedOutput()
	tr.Step("write "+file, helper+" "+strings.Join(args, " "), fmt.Sprintf("exec.Command(%q, …).Run()", path), err)
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", helper, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// formatIDMap writes a map as uid_map takes it: "0 100000 65536", one line
// per range.
func formatIDMap(m []specs.LinuxIDMapping) string {
	var b strings.Builder
	for _, r := range m {
		fmt.Fprintf(&b, "%d %d %d\n", r.ContainerID, r.HostID, r.Size)
	}
	return b.String()
}

func writeProcFile(pid int, file, value string, tr *trace.Tracer) error {
	path := fmt.Sprintf("/proc/%d/%s", pid, file)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(value)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	shown := strings.ReplaceAll(strings.TrimSpace(value), "\n", `\n`)
	tr.Step("write "+file, fmt.Sprintf("echo '%s' > %s", shown, path), fmt.Sprintf("os.WriteFile(%q, %q)", path, shown), err)
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", shown, path, err)
	}
	return nil
}

// NamespaceRoot is the host's uid and gid of root in a spec's user
// namespace; ok is false when the spec has none, or maps no root.
func NamespaceRoot(linux *specs.Linux) (uid, gid int, ok bool) {
	if !initproc.HasNamespace(linux, specs.UserNamespace) {
		return 0, 0, false
	}
	uid, uok := HostID(linux.UIDMappings, 0)
	gid, gok := HostID(linux.GIDMappings, 0)
	return uid, gid, uok && gok
}

// HostID is the host's id of id inside, through the map m.
func HostID(m []specs.LinuxIDMapping, id uint32) (int, bool) {
	for _, r := range m {
		if id >= r.ContainerID && id-r.ContainerID < r.Size {
			return int(r.HostID + id - r.ContainerID), true
		}
	}
	return 0, false
}

// chownToNamespaceRoot gives path to the container's root, for what the
// init must open by itself: the exec fifo (0600). In a user namespace the
// init's root has no power over files of the host's root, who is unmapped
// there, so a root-owned fifo would be closed to it (runc does the same).
func chownToNamespaceRoot(path string, linux *specs.Linux) error {
	uid, gid, ok := NamespaceRoot(linux)
	if !ok {
		return nil
	}
	// chown $UID:$GID exec.fifo
	if err := os.Lchown(path, uid, gid); err != nil {
		return fmt.Errorf("chown %d:%d %s: %w", uid, gid, path, err)
	}
	return nil
}

// idmappedLowers returns, for each lower layer of the overlay, a detached
// read-only bind mount of it whose owners are shifted into the init's user
// namespace: through it, a file of the host's root belongs to the
// container's root (uid 0 inside, 100000 to the host).
// The init attaches them and stacks the overlay on them (rootfs/overlay.go).
//
// Why idmapped mounts and not a chown'd copy of the image per mapping:
// nothing is copied or written, the image stays shared by every container
// whatever its map, and file capabilities and hard links stay what they are.
// The kernel shifts the owners as it reads them (since Linux 5.12; overlayfs
// takes idmapped layers since 5.19).
//
// Only root makes them: idmapping a mount needs CAP_SYS_ADMIN over the file
// system's own user namespace, the host's. A rootless kobako needs none: its
// images are its user's files, and its map makes that user root.
func idmappedLowers(linux *specs.Linux, lower []string, pid int, tr *trace.Tracer) (mounts []*os.File, err error) {
	if !initproc.HasNamespace(linux, specs.UserNamespace) || os.Geteuid() != 0 || len(lower) == 0 {
		return nil, nil
	}
	if len(lower) > initproc.MaxPassedFiles {
		return nil, fmt.Errorf("%d image layers: kobako idmaps at most %d", len(lower), initproc.MaxPassedFiles)
	}
	userns, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", pid))
	if err != nil {
		return nil, fmt.Errorf("open user namespace of the init: %w", err)
	}
	defer userns.Close()
	defer func() {
		if err != nil {
			closeAll(mounts)
		}
	}()
	for _, dir := range lower {
		m, err := idmappedMount(dir, userns, pid, tr)
		if err != nil {
			return mounts, err
		}
		mounts = append(mounts, m)
	}
	return mounts, nil
}

// idmappedMount makes one: open_tree(2) clones the directory's mount into
// a detached one, which no mount table shows; mount_setattr(2) idmaps it.
func idmappedMount(dir string, userns *os.File, pid int, tr *trace.Tracer) (*os.File, error) {
	shell := fmt.Sprintf("mount --bind -o ro,X-mount.idmap=/proc/%d/ns/user %s … (detached)", pid, dir)
	// mount --bind $DIR … — a bind that is attached nowhere yet
	fd, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		tr.Step("idmap "+dir, shell, fmt.Sprintf("unix.OpenTree(AT_FDCWD, %q, OPEN_TREE_CLONE)", dir), err)
		return nil, fmt.Errorf("open_tree %s: %w", dir, err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP | unix.MOUNT_ATTR_RDONLY, Userns_fd: uint64(userns.Fd())}
	// … -o ro,X-mount.idmap=/proc/$PID/ns/user — the map of the init's namespace
	err = unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr)
	tr.Step("idmap "+dir, shell, "unix.MountSetattr(tree, \"\", AT_EMPTY_PATH, {MOUNT_ATTR_IDMAP|MOUNT_ATTR_RDONLY, userns})", err)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		unix.Close(fd)
		return nil, fmt.Errorf("idmap the image %s for the user namespace: %w: this kernel or file system cannot idmap a mount "+
			"(Linux 5.19 or later can, on ext4, xfs, btrfs, or tmpfs since 6.3); run kobako as a user instead, or use another --data-root", dir, err)
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mount_setattr MOUNT_ATTR_IDMAP %s: %w", dir, err)
	}
	return os.NewFile(uintptr(fd), "idmapped "+dir), nil
}

// checkJoinable refuses to join a container that has a user namespace of
// its own. setns(2) into a user namespace fails with EINVAL in a
// multi-threaded process, and the Go runtime starts its threads before
// main. runc joins in C (libcontainer/nsenter's nsexec), in a constructor
// that runs while the process still has one thread; kobako keeps to pure Go.
// Joining the other namespaces without the user namespace would be worse
// than failing: the process would act in the container as the host's root.
func checkJoinable(id string, pid int) error {
	// readlink /proc/$PID/ns/user /proc/self/ns/user
	theirs, err1 := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid))
	ours, err2 := os.Readlink("/proc/self/ns/user")
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("compare user namespaces of %s: %w", id, err)
	}
	if theirs != ours {
		return fmt.Errorf("container %s has a user namespace of its own, which kobako exec cannot join: a Go program is multi-threaded, "+
			"and setns(2) into a user namespace needs a single-threaded caller (runc does it in C before its Go starts); "+
			"use nsenter --all --target %d, or start a new container", id, pid)
	}
	return nil
}
