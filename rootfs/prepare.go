package rootfs

// Preparing the root, in the init, before pivot_root. The article's
// version, all under $ROOTFS:
//
//	mount -t proc proc $ROOTFS/proc
//	touch $ROOTFS$(tty); mount --bind $(tty) $ROOTFS$(tty)
//	touch $ROOTFS/dev/pts/ptmx; mount --bind /dev/pts/ptmx $ROOTFS/dev/pts/ptmx
//	ln -sf /dev/pts/ptmx $ROOTFS/dev/ptmx
//	touch $ROOTFS/dev/null && mount --bind /dev/null $ROOTFS/dev/null
//
// and what the article leaves out: the config's sysctls, written in the
// container's /proc (sysctl.go); then, last, the masked and read-only
// paths of /proc and /sys (masks.go), and with --read-only the root itself
// made read-only (mount -o remount,bind,ro $ROOTFS). Before all of it,
// propagation is cut (propagation.go).
//
// All of it works in a user namespace too (`unshare -muinpfr`): the new
// namespaces belong to it, so its root may mount proc, sysfs, devpts,
// mqueue, tmpfs and overlay. Three steps differ there, each where it
// happens: the image is stacked from idmapped layers (overlay.go), device
// nodes are bound from the host instead of made (dev.go), and cgroup v1
// hierarchies are bound instead of mounted (cgroupfs.go).

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fault"
	"github.com/kobako/kobako/internal/trace"
)

// Setup is what Prepare puts into the root, from the container's config.
type Setup struct {
	Overlay  *Overlay            // the image's layers and the container's own; nil: root is a plain directory
	Mounts   []specs.Mount       // proc, /dev, volumes …, in order
	Devices  []specs.LinuxDevice // device nodes made in /dev after the default ones (dev.go)
	Cgroupfs *Cgroupfs           // how to expand a mount of type "cgroup" (cgroupfs.go)
	Masks    Masks               // the paths to hide and to make read-only (masks.go)
	Readonly bool                // root.readonly: the root itself read-only (--read-only)
	Cwd      string              // the process's working directory: made here when the root goes read-only
	// Sysctl are the config's linux.sysctl, written under the container's
	// own /proc/sys before it turns read-only (namespaced keys only).
	Sysctl map[string]string
	// Propagation is linux.rootfsPropagation ("" is rslave): what mounts
	// made on the host (or in the container) do to the other side.
	Propagation string
}

// Prepare builds the container's file system at root, in the init's new
// mount namespace: nothing it mounts is seen by the host, unless the
// config's rootfsPropagation (shared) or a mount's own (rshared) says so.
func Prepare(root string, s Setup, tr *trace.Tracer) error {
	// First, cut propagation to the host: without it, a mount made here
	// could appear on the host if / is a shared mount (systemd makes it so).
	// mount --make-rslave / (or the config's rootfsPropagation: propagation.go)
	if err := isolateRoot(root, s.Propagation, tr); err != nil {
		return err
	}
	if err := mountRoot(root, s.Overlay, tr); err != nil {
		return err
	}
	// Every later path is resolved from this handle, inside the root: a
	// symlink in the image never leads a mount out of it.
	rootDir, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open rootfs %s: %w", root, err)
	}
	defer rootDir.Close()
	for _, m := range s.Mounts {
		if m.Type == "cgroup" {
			err = mountCgroupfs(rootDir, m, s.Cgroupfs, tr)
		} else {
			err = mountInRoot(rootDir, m, tr)
		}
		if err != nil {
			return err
		}
	}
	// After the mounts: /dev is the tmpfs just mounted, not the image's.
	if err := makeDev(rootDir, s.Devices, tr); err != nil {
		return err
	}
	// sysctl -w …: in the container's /proc, mounted above, while
	// /proc/sys is still writable — Seal's masks make it read-only.
	return writeSysctls(rootDir, s.Sysctl, tr)
}

// Seal takes away what the container may not change, once everything is
// in the root: the masked and read-only paths, and with root.readonly the
// root itself. It comes after Prepare and after the engine's hooks, which
// may still write into the root (runc's order), and before pivot_root.
func Seal(root string, s Setup, tr *trace.Tracer) error {
	// fault point init:seal (internal/fault): a test build fails here
	if err := fault.Check("init:seal"); err != nil {
		return err
	}
	rootDir, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open rootfs %s: %w", root, err)
	}
	defer rootDir.Close()
	// On top of every mount: /proc and /sys are mounted, and /dev/null,
	// the source of the masks, is made.
	if err := applyMasks(rootDir, s.Masks, tr); err != nil {
		return err
	}
	if !s.Readonly {
		return nil
	}
	// Last, when nothing is left to make in it: the root read-only. The
	// working directory is made first (docker makes a missing one, and
	// after this it could not be).
	if s.Cwd != "" {
		cwd, err := makeMountPoint(rootDir, s.Cwd)
		if err != nil {
			return fmt.Errorf("working directory: %w", err)
		}
		cwd.Close()
	}
	return remountReadOnly(rootDir, tr)
}

// remountReadOnly makes the root mount read-only, and it alone: the
// remount is not recursive, so /proc, /dev, the volumes and the tmpfs
// mounted on it stay as they are (docker's --read-only). The mount points
// they need are all made by now, which is why this comes last.
func remountReadOnly(rootDir *os.File, tr *trace.Tracer) error {
	// mount -o remount,bind,ro $ROOTFS
	return remountBind(tr, "/", rootDir, unix.MS_RDONLY)
}

// mountRoot makes root a mount point of its own, as pivot_root(2) needs:
// the overlay of image and container layer, or the directory bound onto
// itself (the article's `mount --bind $NEW_ROOT $NEW_ROOT`).
func mountRoot(root string, overlay *Overlay, tr *trace.Tracer) error {
	if overlay != nil {
		return overlay.mount(root, tr)
	}
	// mount --rbind $ROOTFS $ROOTFS
	return mount(tr, mountCall{Step: "make the rootfs a mount point", Shell: "mount --rbind " + root + " " + root,
		Source: root, Target: root, Shown: root, Flags: unix.MS_BIND | unix.MS_REC})
}
