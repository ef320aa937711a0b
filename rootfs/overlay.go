package rootfs

// The container's root as an overlay: the image read-only below, the
// container's own layer above it. The article's Copy-on-Write chapter:
//
//	mount -t overlay overlay -o lowerdir=L,upperdir=U,workdir=W merged
//
// Every write lands in the upper dir; the image never changes, so any
// number of containers share it. kobako mounts it inside the container's
// mount namespace, so it disappears with the container by itself.
//
// In a user namespace the image's files belong to the host's root, who is
// nobody there. Then the runtime hands over each lower layer as an
// idmapped mount (runtime/userns.go), whose owners read as the container's
// own, and the overlay is stacked on those instead:
//
//	mount --bind -o ro,X-mount.idmap=/proc/$PID/ns/user L merged
//	mount -t overlay overlay -o lowerdir=<that mount>,upperdir=U,workdir=W merged
//
// (overlayfs takes idmapped layers since Linux 5.19.) The upper dir needs
// no such help: it belongs to the container's root on the host already.
//
// A container that goes with --rm has its overlay mounted "volatile": its
// unmount does not sync the upper dir's file system — without it, the
// container's exit waits until every change on the host's disk is
// written out (ext4's sync_filesystem, several ms, sometimes 80), for a
// layer that is removed a moment later. The price is overlayfs's: such a
// layer may be incomplete after the host crashes, and a work dir once
// mounted volatile is refused until its scratch dir is cleared (see
// ClearVolatileMark).

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// Overlay names the layers of a container's root.
type Overlay struct {
	Lower []string `json:"lower"` // read-only layers, top first (overlayfs order)
	Upper string   `json:"upper"` // the container's writable layer
	Work  string   `json:"work"`  // overlayfs scratch space, same file system as Upper
	// Volatile: mounted with overlayfs's volatile option, which skips the
	// sync at unmount (see above) — for a layer thrown away with its
	// container.
	Volatile bool `json:"volatile,omitempty"`
	// IDMapped are detached idmapped mounts of Lower, one each, in a user
	// namespace: the overlay is stacked on them instead (see above).
	IDMapped []*os.File `json:"-"`
}

// Options is the data string of the overlay mount.
func (o *Overlay) Options() (string, error) {
	return o.options(o.Lower)
}

func (o *Overlay) options(lower []string) (string, error) {
	for _, p := range append([]string{o.Upper, o.Work}, lower...) {
		if strings.ContainsAny(p, ",:") {
			return "", fmt.Errorf("overlay layer path %q holds a ',' or ':', which the overlay options cannot carry", p)
		}
	}
	data := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(lower, ":"), o.Upper, o.Work)
	if o.Volatile {
		data += ",volatile"
	}
	return data, nil
}

func (o *Overlay) mount(target string, tr *trace.Tracer) error {
	if err := o.ClearVolatileMark(tr); err != nil {
		return err
	}
	lower, err := o.attachIDMapped(target, tr)
	if err != nil {
		return err
	}
	data, err := o.options(lower)
	if err != nil {
		return err
	}
	// mount -t overlay overlay -o lowerdir=…,upperdir=…,workdir=… $ROOTFS
	err = mount(tr, mountCall{Step: "mount the overlay root", Shell: "mount -t overlay overlay -o " + data + " " + target,
		Source: "overlay", Target: target, Shown: target, FSType: "overlay", Data: data})
	if errors.Is(err, unix.EINVAL) && len(o.IDMapped) > 0 {
		return fmt.Errorf("%w (overlayfs takes idmapped layers since Linux 5.19)", err)
	}
	return err
}

// volatileMark is what overlayfs leaves in a work dir mounted volatile;
// while it is there, every new mount of the layers is refused.
const volatileMark = "work/incompat/volatile"

// ClearVolatileMark empties the overlay's scratch dir, work/work, if a
// volatile mount left its mark there, so that the layers can be mounted
// again (a --rm container restarted, say). overlayfs's advice for a
// volatile layer after a crash is to throw away upper and work; after a
// clean unmount, as here, the upper dir is whole and only the mark is in
// the way. The scratch dir holds nothing between mounts.
func (o *Overlay) ClearVolatileMark(tr *trace.Tracer) error {
	if _, err := os.Lstat(filepath.Join(o.Work, volatileMark)); err != nil {
		return nil // no mark (or no work dir yet: the mount says so)
	}
	scratch := filepath.Join(o.Work, "work")
	// rm -rf $WORK/work
	err := os.RemoveAll(scratch)
	tr.Step("clear the volatile mark", "rm -rf "+scratch, fmt.Sprintf("os.RemoveAll(%q)", scratch), err)
	if err != nil {
		return fmt.Errorf("clear the overlay's volatile mark: %w", err)
	}
	return nil
}

// attachIDMapped attaches the idmapped layers on the target, where the
// overlay goes next, and returns the lower dirs to name: each one's
// /proc/self/fd path. overlayfs takes a layer only from a mount of the
// mounting process's own namespace, which a detached mount is not; and by
// its descriptor, no path to the image is looked up — a path the
// container's root, with no power over the host root's directories, might
// not be allowed to walk.
func (o *Overlay) attachIDMapped(target string, tr *trace.Tracer) ([]string, error) {
	if len(o.IDMapped) == 0 {
		return o.Lower, nil
	}
	if len(o.IDMapped) != len(o.Lower) {
		return nil, fmt.Errorf("%d idmapped layers for %d lower dirs", len(o.IDMapped), len(o.Lower))
	}
	lower := make([]string, len(o.IDMapped))
	for i, m := range o.IDMapped {
		// mount --move (of the detached, idmapped bind) $LOWER $ROOTFS
		err := unix.MoveMount(int(m.Fd()), "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH)
		tr.Step("attach the idmapped image", "mount --bind -o ro,X-mount.idmap=/proc/$PID/ns/user "+o.Lower[i]+" "+target,
			fmt.Sprintf("unix.MoveMount(idmapped, \"\", AT_FDCWD, %q, MOVE_MOUNT_F_EMPTY_PATH)", target), err)
		if err != nil {
			return nil, fmt.Errorf("attach the idmapped %s on %s: %w", o.Lower[i], target, err)
		}
		lower[i] = procSelfFd(m)
	}
	return lower, nil
}
