package container

// Copy-up: a new, empty volume mounted at /path starts with what the image
// has at /path, as docker's does ("populate a volume using a container").
//
// Shell twin:
//
//	mount -t overlay overlay -o lowerdir=$LAYER2:$LAYER1 $IMG   (read-only)
//	tar -c -C $IMG/path . | tar -x -C /var/lib/kobako/volumes/NAME/_data
//
// The image's layers are mounted detached (fsopen, fsconfig, fsmount, as
// cp does for a stopped container): a mount in no namespace's tree, gone
// when its descriptor is closed, nothing to unmount if kobako is killed.
// /path is resolved inside that mount (openat2 RESOLVE_IN_ROOT), so an
// image whose /data is a symlink to /etc, or to /../../host, fills the
// volume from its own /etc — the directory the bind will cover, since the
// mount resolves its target inside the root the same way — never from the
// host. The copy is cp's tar stream into unpack.Tar, rooted at _data:
// owners and modes kept, device nodes left out, no entry written outside.

import (
	"errors"
	"fmt"
	"os"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// CopyUpImage fills volume name with the image's content at target, if the
// volume is empty and the image has a directory there. layers are the
// image's, lowest first.
func (s *Store) CopyUpImage(name string, layers []string, target string) error {
	data := s.volumeData(name)
	empty, err := isEmptyDir(data)
	if err != nil || !empty || len(layers) == 0 {
		return err
	}
	root, err := openImageRoot(layers)
	s.tracer.Step("mount the image's layers for copy-up", "mount -t overlay overlay -o lowerdir=… (detached, read-only)",
		"unix.Fsopen, unix.Fsmount", err)
	if err != nil {
		return fmt.Errorf("copy the image's %s into volume %s: %w", target, name, err)
	}
	defer root.Close()
	// Nothing there, or not a directory: the volume starts empty, and the
	// mount makes the directory (or fails on a file), as without copy-up.
	h, err := pathrs.OpenatInRoot(root, target)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("resolve %s in the image: %w", target, err)
	}
	dir := isDir(h)
	h.Close()
	if !dir {
		return nil
	}
	dst, err := os.OpenFile(data, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", data, err)
	}
	defer dst.Close()
	src := end{root: root, path: strings.TrimSuffix(target, "/") + "/.", where: "the image"}
	_, err = copyTree(src, end{root: dst, path: "/", where: "volume " + name}, s.tracer)
	if err != nil {
		return fmt.Errorf("copy the image's %s into volume %s: %w", target, name, err)
	}
	return nil
}

// openImageRoot returns an O_PATH handle of the image's merged tree: its
// one layer itself, or its layers stacked read-only by a detached
// overlay (overlayfs wants two lower layers when there is no upper).
func openImageRoot(layers []string) (*os.File, error) {
	if len(layers) == 1 {
		return os.OpenFile(layers[0], unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	params, release, err := layersByHandle([][2]string{{"lowerdir", strings.Join(overlayOrder(layers), ":")}})
	if err != nil {
		return nil, err
	}
	defer release()
	fd, err := detachedMount("overlay", params, unix.MOUNT_ATTR_RDONLY)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), "overlay of the image"), nil
}
