package rootfs

// Mount propagation of the container's root: linux.rootfsPropagation, and
// what pivot_root(2) needs of it. Shell twins:
//
//	mount --make-rslave /                           # the default ("")
//	mount --make-rshared /                          # "rshared", say, before anything
//	mount --make-private $(findmnt -no TARGET -T $ROOTFS)   # then the rootfs's parent
//	…
//	pivot_root . .; mount --make-rshared /          # and the new root, after the pivot
//
// The new mount namespace starts as a copy of the host's, and a copy of a
// shared mount stays in its peer group: whatever is mounted on it is
// mounted on the host's twin too. kobako's default, rslave, cuts that
// one way — the host's new mounts still reach the container (a USB stick
// under /media), the container's never reach the host. "shared" keeps
// both ways open, for containers that mount things the host must see.
//
// Two things must not propagate even then, and pivot_root(2) refuses to
// run if they could (EINVAL: "new_root or its parent mount is shared"):
// the rootfs mount itself and the mount it sits on. So, as runc does, the
// mount under the rootfs is made private before the rootfs is mounted on
// it — the rootfs mount then starts private too — and the config's
// propagation goes on the new "/" only after the pivot.

import (
	"fmt"
	"path"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// CheckRootPropagation refuses a linux.rootfsPropagation that is not a
// propagation word, for create-time validation.
func CheckRootPropagation(name string) error {
	_, err := rootPropagation(name)
	return err
}

// rootPropagation turns linux.rootfsPropagation into mount(2) flags; ""
// is kobako's default, rslave.
func rootPropagation(name string) (uintptr, error) {
	if name == "" {
		return unix.MS_SLAVE | unix.MS_REC, nil
	}
	flags, ok := propagationFlags[name]
	if !ok {
		return 0, fmt.Errorf("rootfsPropagation %q: give private, rprivate, slave, rslave, shared, rshared, unbindable or runbindable", name)
	}
	return flags, nil
}

// isolateRoot applies the propagation to "/" — still the host's, in the
// new mount namespace — and, when that leaves mounts shared, makes the
// mount under the rootfs private. It runs before anything is mounted.
func isolateRoot(root, propagation string, tr *trace.Tracer) error {
	flags, err := rootPropagation(propagation)
	if err != nil {
		return err
	}
	step := "stop mount propagation to the host"
	if propagation != "" {
		step = "set the propagation of / (rootfsPropagation)"
	}
	// mount --make-rslave / : first, before any mount can reach the host.
	if err := mount(tr, mountCall{Step: step, Shell: "mount --make-" + propagationName(flags) + " /",
		Target: "/", Shown: "/", Flags: flags}); err != nil {
		return err
	}
	// rslave, rprivate, runbindable reached every mount: none is shared.
	if flags&unix.MS_REC != 0 && flags&unix.MS_SHARED == 0 {
		return nil
	}
	parent, err := mountPointOf(root)
	if err != nil {
		return err
	}
	// mount --make-private $(findmnt -no TARGET -T $ROOTFS)
	return mount(tr, mountCall{Step: "make the mount under the rootfs private, as pivot_root needs",
		Shell: "mount --make-private " + parent, Target: parent, Shown: parent, Flags: unix.MS_PRIVATE})
}

// mountPointOf finds where the mount that holds p is mounted: p or its
// nearest ancestor that is the root of a mount (statx(2)'s
// STATX_ATTR_MOUNT_ROOT, Linux 5.8). findmnt -no TARGET -T p.
func mountPointOf(p string) (string, error) {
	// Symlinks first: the walk up is by name, and must climb the real path.
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("resolve rootfs %s: %w", p, err)
	}
	for p = real; p != "/"; p = path.Dir(p) {
		var st unix.Statx_t
		if err := unix.Statx(unix.AT_FDCWD, p, unix.AT_SYMLINK_NOFOLLOW, 0, &st); err != nil {
			return "", fmt.Errorf("statx %s: %w", p, err)
		}
		if st.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0 {
			return p, nil
		}
	}
	return "/", nil
}

// SetRootPropagation applies linux.rootfsPropagation to the new "/", right
// after PivotRoot: the rootfs mount was kept private for pivot_root (see
// the top). Private, and kobako's default, need nothing more: the rootfs
// mount is private already, and a slave of nothing is private.
func SetRootPropagation(propagation string, tr *trace.Tracer) error {
	flags, err := rootPropagation(propagation)
	if err != nil || propagation == "" || flags&unix.MS_PRIVATE != 0 {
		return err
	}
	// mount --make-rshared /
	return mount(tr, mountCall{Step: "set the propagation of the new /", Shell: "mount --make-" + propagation + " /",
		Target: "/", Shown: "/", Flags: flags})
}
