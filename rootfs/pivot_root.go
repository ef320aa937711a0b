package rootfs

// Changing the root. Shell twin:
//
//	cd $ROOTFS && pivot_root . . && umount -l .   — see pivot_root(2)
//
// The article uses `capsh --chroot` and drops CAP_SYS_CHROOT, because a
// chroot only changes where "/" starts for one process: the host's root is
// still mounted, and a process that may call chroot climbs back out
// (mkdir x; chroot x; cd ../../..; chroot .). pivot_root instead makes the
// rootfs the root of the whole mount namespace, and unmounting the old root
// removes the host's file system from the namespace altogether: there is
// nothing left to climb back to.

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fault"
	"github.com/kobako/kobako/internal/trace"
)

// PivotRoot makes root the root of the mount namespace and detaches the old
// one. It uses runc's pivot_root(".", "."): the old root is stacked on top
// of the new one at the same place, so no .oldroot directory is needed in
// the image (which may be read-only).
func PivotRoot(root string, tr *trace.Tracer) error {
	// fault point init:pivot_root (internal/fault): a test build fails here
	if err := fault.Check("init:pivot_root"); err != nil {
		return err
	}
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open old root: %w", err)
	}
	defer unix.Close(oldRoot)
	newRoot, err := unix.Open(root, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open new root %s: %w", root, err)
	}
	defer unix.Close(newRoot)

	// cd $ROOTFS
	if err := unix.Fchdir(newRoot); err != nil {
		return fmt.Errorf("chdir %s: %w", root, err)
	}
	// pivot_root . .
	err = unix.PivotRoot(".", ".")
	tr.Step("change root", "pivot_root . .", `unix.PivotRoot(".", ".")`, err)
	if err != nil {
		return fmt.Errorf("pivot_root %s: %w", root, err)
	}
	// Back to the old root, which now sits on top of "/": unmount it.
	if err := unix.Fchdir(oldRoot); err != nil {
		return fmt.Errorf("chdir old root: %w", err)
	}
	// Make it a slave first, so the unmount below cannot propagate to the
	// host's mounts. mount --make-rslave .
	if err := mount(tr, mountCall{Step: "keep the old root's unmount private", Shell: "mount --make-rslave .",
		Target: ".", Shown: "old root", Flags: unix.MS_SLAVE | unix.MS_REC}); err != nil {
		return err
	}
	// umount -l .
	err = unix.Unmount(".", unix.MNT_DETACH)
	tr.Step("detach the old root", "umount -l .", `unix.Unmount(".", unix.MNT_DETACH)`, err)
	if err != nil {
		return fmt.Errorf("unmount old root: %w", err)
	}
	// cd /
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}
