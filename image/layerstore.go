// Layers, content-addressed: the shared building blocks of "Copy on
// Write". Two images made from the same base share its layers on disk, and
// every container of an image mounts the very same directories as its
// overlay's lower layers.
//
// Shell twin, for one layer:
//
//	mkdir $TMP/l && tar -x -C $TMP/l < layer.tar
//	id=$(sha256sum < layer.tar | cut -d' ' -f1)      # the layer's diff_id
//	mv -T --no-clobber $TMP/l layers/$id || rm -rf $TMP/l   # there already: shared
//
// and the store as a whole:
//
//	layers/<sha256 hex>/       a layer's tree, named by the digest of its tar
//	images/<name>/image.json   "layers": ["sha256:…", …], lowest first
//
// A layer has no counter of its users; it is kept while an image lists it
// or a container mounts it, and Collect removes the others (mark and sweep,
// as containerd's garbage collector does). A counter would have to be
// right after every crash; a sweep is right by construction, and a layer
// left behind by a killed import is just one more unused layer.
//
// The lock on layers/: whoever is about to make a layer used — an import,
// pull or commit until its image is registered, run until its container
// is recorded — holds it shared (Hold); Collect takes it exclusively, and
// does nothing if it cannot at once (the next command collects).
package image

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
)

const layersDirName = "layers" // in the data root: one directory per layer

func (s *Store) layersDir() string { return filepath.Join(s.dataRoot, layersDirName) }

// layerHex checks a layer id ("sha256:" and 64 hex digits) and returns its
// hex part, the layer's directory name.
func layerHex(id string) (string, error) {
	h, ok := strings.CutPrefix(id, "sha256:")
	if _, err := hex.DecodeString(h); !ok || err != nil || len(h) != 64 {
		return "", fmt.Errorf("layer id %.80q is not sha256:<64 hex digits>", id)
	}
	return h, nil
}

// Hold keeps every layer from being collected until release is called:
// run holds it from reading an image until its container is recorded. An
// import, pull or commit holds it through stage.
func (s *Store) Hold() (release func(), err error) {
	// mkdir -p -m 0700 LAYERS
	if err := os.MkdirAll(s.layersDir(), 0o700); err != nil {
		return nil, fmt.Errorf("make %s: %w", s.layersDir(), err)
	}
	// flock -s LAYERS
	return fileutil.FlockDir(s.layersDir(), unix.LOCK_SH)
}

// keepLayer moves the finished layer tree dir into the store under its
// id, and returns the id. If the store has that layer already — another
// image has it, or a concurrent import just put it there — dir is left
// where it is, for its work dir to remove, and the store's copy is used:
// the same digest is the same tree. The caller holds the lock (Hold).
func (s *Store) keepLayer(dir, id string) (string, error) {
	h, err := layerHex(id)
	if err != nil {
		return "", err
	}
	// mv -T --no-clobber DIR LAYERS/HEX — renameat2(RENAME_NOREPLACE): a
	// plain rename would replace an empty layer that a container mounts
	err = unix.Renameat2(unix.AT_FDCWD, dir, unix.AT_FDCWD, filepath.Join(s.layersDir(), h), unix.RENAME_NOREPLACE)
	shared := errors.Is(err, unix.EEXIST)
	s.tracer.Step("store layer "+h[:12], "mv -T --no-clobber "+dir+" "+filepath.Join(s.layersDir(), h), "unix.Renameat2(RENAME_NOREPLACE)", ignoreShared(err))
	if err != nil && !shared {
		return "", fmt.Errorf("store layer %s: %w", id, err)
	}
	return id, nil
}

func ignoreShared(err error) error {
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}

// Collect removes every layer that no image lists and no container
// mounts, and returns their ids. containerLayers are the lower layers of
// every container, as absolute paths (a container made from an image that
// rmi -f removed still has them). If anyone holds the layers (Hold),
// Collect removes nothing: the next call will.
func (s *Store) Collect(containerLayers []string) ([]string, error) {
	// flock -n LAYERS
	unlock, err := fileutil.FlockDir(s.layersDir(), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.EWOULDBLOCK) {
		return nil, nil // no layer yet, or one is being made: not now
	}
	if err != nil {
		return nil, err
	}
	defer unlock()
	used, err := s.usedLayers(containerLayers)
	if err != nil {
		return nil, err
	}
	// ls LAYERS
	entries, err := os.ReadDir(s.layersDir())
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", err)
	}
	var removed []string
	for _, e := range entries {
		if used[e.Name()] {
			continue
		}
		if err := s.removeLayer(e.Name()); err != nil {
			return removed, err
		}
		removed = append(removed, "sha256:"+e.Name())
	}
	return removed, nil
}

// usedLayers marks the layers that images list and containers mount, by
// directory name.
func (s *Store) usedLayers(containerLayers []string) (map[string]bool, error) {
	used := map[string]bool{}
	images, err := s.List()
	if err != nil {
		return nil, err
	}
	for _, img := range images {
		for _, dir := range img.Layers {
			used[filepath.Base(dir)] = true
		}
	}
	// kobako build's cache keeps its layers on purpose (buildcache.go)
	if err := s.markCached(used); err != nil {
		return nil, err
	}
	layers, err := filepath.Abs(s.layersDir())
	if err != nil {
		return nil, err
	}
	for _, dir := range containerLayers {
		if filepath.Dir(dir) == layers {
			used[filepath.Base(dir)] = true
		}
	}
	return used, nil
}

// removeLayer moves layers/HEX aside at once and removes it there, as
// Remove does an image.
func (s *Store) removeLayer(h string) error {
	return s.withWorkDir("remove-", func(work string) error {
		// mv LAYERS/HEX WORK/layer
		from, aside := filepath.Join(s.layersDir(), h), filepath.Join(work, "layer")
		err := os.Rename(from, aside)
		s.tracer.Step("remove unused layer "+h[:min(12, len(h))], "mv "+from+" "+aside+" && rm -rf "+work, "os.Rename, os.RemoveAll", err)
		if err != nil {
			return fmt.Errorf("remove layer %s: %w", h, err)
		}
		return nil
	})
}
