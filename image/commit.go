// Step "Copy on Write", the other way up: an image made of a container's
// changes, stacked on the image the container was made from.
//
// Shell twin: docker commit $CID name, which for a kobako container is
//
//	cp -a $CONTAINER/upper $TMP/layer && id=$(tar -c -C $TMP/layer . | sha256sum)   # layers.go
//	mv $TMP/layer $LAYERS/$id
//	echo '{"parent": "busybox", "layers": ["sha256:<busybox's>", "sha256:'$id'"]}' > $IMAGES/name/image.json
//
// and a container of the new image mounts both layers below its own:
//
//	mount -t overlay overlay -o lowerdir=$LAYERS/$id:$LAYERS/<busybox's>,upperdir=…
//
// — see the kernel's Documentation/filesystems/overlayfs.rst, "Multiple
// lower layers". The upper dir is a layer as it stands: its whiteouts and
// opaque directories hide the parent's files just as well from one lower
// layer up, so the copy keeps them as they are (layers.go).
//
// The new image is built aside and registered by one rename, as an import
// is (stage): a failed commit leaves nothing.
package image

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// CommitOptions describe the container a commit takes its layer from.
type CommitOptions struct {
	Upper     string // the container's upper dir; nothing may write to it while it is copied
	Container string // its name, for the image's Source
	// UIDMappings and GIDMappings are the container's user namespace, if
	// it has one: its files belong to a range of host ids, and the image
	// gets the ids they have inside, as an imported image would.
	UIDMappings, GIDMappings []specs.LinuxIDMapping
}

// Commit makes the image name of parent's layers and a copy of a
// container's upper dir on top. The new image inherits parent's command,
// run defaults and architecture; it shares parent's layers, which stay as
// long as either image does.
func (s *Store) Commit(parent *Image, name string, opts CommitOptions) (*Image, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	if err := s.sweep(); err != nil {
		return nil, err
	}
	// Say so before copying; the rename in register is what decides.
	if _, err := os.Lstat(s.dir(name)); err == nil {
		return nil, exists(name)
	}
	return s.stage(name, func(work string) (Image, error) {
		owner := func(uid, gid uint32) (uint32, uint32, error) {
			return namespaceOwner(opts.UIDMappings, opts.GIDMappings, uid, gid)
		}
		// cp -a UPPER WORK/layer, and its id
		layer := filepath.Join(work, "layer")
		size, id, err := copyLayer(opts.Upper, layer, owner)
		s.tracer.Step("copy the container's layer", "cp -a "+opts.Upper+" "+layer,
			"unix.Openat(O_NOFOLLOW), unix.Mknodat, unix.Linkat, unix.Lsetxattr", err)
		if err == nil {
			id, err = s.keepLayer(layer, id)
		}
		if err != nil {
			return Image{}, fmt.Errorf("commit %s: %w", name, err)
		}
		return Image{
			Arch: parent.Arch, Size: parent.Size + size, Cmd: parent.Cmd, Entrypoint: parent.Entrypoint, Env: parent.Env,
			WorkingDir: parent.WorkingDir, User: parent.User, Parent: parent.Name,
			Labels: parent.Labels, ExposedPorts: parent.ExposedPorts, History: parent.History,
			Source:   "commit of container " + opts.Container,
			LayerIDs: append(slices.Clone(parent.LayerIDs), id),
		}, nil
	})
}

// namespaceOwner is the owner inside a user namespace of a file that host
// ids own: the inverse of the maps. With no maps, the host's ids are the
// container's.
func namespaceOwner(uidMap, gidMap []specs.LinuxIDMapping, uid, gid uint32) (uint32, uint32, error) {
	if len(uidMap) == 0 && len(gidMap) == 0 {
		return uid, gid, nil
	}
	inUID, uok := containerID(uidMap, uid)
	inGID, gok := containerID(gidMap, gid)
	if !uok || !gok {
		return 0, 0, fmt.Errorf("owner %d:%d is outside the container's user namespace", uid, gid)
	}
	return inUID, inGID, nil
}

// containerID is the id inside of host id id, through the map m.
func containerID(m []specs.LinuxIDMapping, id uint32) (uint32, bool) {
	for _, r := range m {
		if id >= r.HostID && id-r.HostID < r.Size {
			return r.ContainerID + id - r.HostID, true
		}
	}
	return 0, false
}
