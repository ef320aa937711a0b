package rootfs

// The container's root as an overlay: the image read-only below, the
// container's own layer above it. The article's Copy-on-Write chapter:
//
//	mount -t overlay overlay -o lowerdir=L,upperdir=U,workdir=W merged
//
// Every write lands in the upper dir; the image never changes, so any
// number of containers share it. kobako mounts it inside the container's
// mount namespace, so it disappears with the container by itself.

import (
	"fmt"
	"strings"

	"github.com/kobako/kobako/internal/trace"
)

// Overlay names the layers of a container's root.
type Overlay struct {
	Lower []string `json:"lower"` // read-only layers, top first (overlayfs order)
	Upper string   `json:"upper"` // the container's writable layer
	Work  string   `json:"work"`  // overlayfs scratch space, same file system as Upper
}

// Options is the data string of the overlay mount.
func (o *Overlay) Options() (string, error) {
	for _, p := range append([]string{o.Upper, o.Work}, o.Lower...) {
		if strings.ContainsAny(p, ",:") {
			return "", fmt.Errorf("overlay layer path %q holds a ',' or ':', which the overlay options cannot carry", p)
		}
	}
	return fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(o.Lower, ":"), o.Upper, o.Work), nil
}

func (o *Overlay) mount(target string, tr *trace.Tracer) error {
	data, err := o.Options()
	if err != nil {
		return err
	}
	// mount -t overlay overlay -o lowerdir=…,upperdir=…,workdir=… $ROOTFS
	return mount(tr, "mount the overlay root", "mount -t overlay overlay -o "+data+" "+target, "overlay", target, target, "overlay", 0, data)
}
