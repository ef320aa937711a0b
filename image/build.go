// Step "Copy on Write", as the article's §7.3 builds an image by hand:
// each step's container writes into its own upper dir, which becomes one
// more layer, and the finished list of layers becomes an image.
//
// Shell twin, for one step and then the image:
//
//	cp -a $LAYER2/diff $TMP/layer && id=$(tar -c -C $TMP/layer . | sha256sum)   # layers.go
//	mv -T --no-clobber $TMP/layer $LAYERS/$id
//	echo '{"layers": ["sha256:<LAYER1>", "sha256:'$id'"], "cmd": …}' > $IMAGES/name/image.json
//
// kobako build (package build) drives it; this file is the store's side:
// a layer from a directory, and the image registered at the end, in place
// of an older one of the same name, as docker build -t moves a tag.
package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// AddLayer copies dir, a container's upper dir that nothing writes to
// any more, into a new layer of the store and returns its id and the
// bytes of regular files in it. The caller holds the layers (Hold) until
// an image or the build cache lists the layer.
func (s *Store) AddLayer(dir string) (id string, size int64, err error) {
	err = s.withWorkDir("layer-", func(work string) error {
		// cp -a UPPER WORK/layer, and its id
		layer := filepath.Join(work, "layer")
		var err error
		size, id, err = copyLayer(dir, layer, func(uid, gid uint32) (uint32, uint32, error) { return uid, gid, nil })
		s.tracer.Step("copy the step's layer", "cp -a "+dir+" "+layer,
			"unix.Openat(O_NOFOLLOW), unix.Mknodat, unix.Linkat, unix.Lsetxattr", err)
		if err == nil {
			id, err = s.keepLayer(layer, id)
		}
		return err
	})
	if err != nil {
		return "", 0, fmt.Errorf("make layer of %s: %w", dir, err)
	}
	return id, size, nil
}

// HasLayer says whether the layer id is in the store.
func (s *Store) HasLayer(id string) bool {
	h, err := layerHex(id)
	if err != nil {
		return false
	}
	st, err := os.Stat(filepath.Join(s.layersDir(), h))
	return err == nil && st.IsDir()
}

// LayerDir is the directory of the layer id.
func (s *Store) LayerDir(id string) (string, error) {
	h, err := layerHex(id)
	if err != nil {
		return "", err
	}
	return filepath.Abs(filepath.Join(s.layersDir(), h))
}

// replace registers the finished image dir staged (in a work dir) under
// name, over the image of that name if there is one: in one step, so a
// command sees the old image or the new one, never none.
func (s *Store) replace(staged, name string) error {
	if err := s.register(staged, name); !errors.Is(err, ErrExists) {
		return err
	}
	// mv --exchange STAGED IMAGES/NAME: the old image lands in the work
	// dir, and goes with it
	err := unix.Renameat2(unix.AT_FDCWD, staged, unix.AT_FDCWD, s.dir(name), unix.RENAME_EXCHANGE)
	s.tracer.Step("replace image "+name, "mv --exchange "+staged+" "+s.dir(name), "unix.Renameat2(RENAME_EXCHANGE)", err)
	if err != nil {
		return fmt.Errorf("replace image %s: %w", name, err)
	}
	return nil
}

// Register makes img, whose layers are in the store already, the image
// called img.Name. An image of that name already there is replaced in one
// step (renameat2 RENAME_EXCHANGE): a command sees the old image or the
// new one, never none. The old one's layers stay while containers or the
// build cache use them; Collect removes the others.
func (s *Store) Register(img Image) (*Image, error) {
	if err := ValidName(img.Name); err != nil {
		return nil, err
	}
	if len(img.LayerIDs) == 0 {
		return nil, errors.New("an image needs at least one layer")
	}
	release, err := s.Hold()
	if err != nil {
		return nil, err
	}
	defer release()
	err = s.withWorkDir("build-", func(work string) error {
		img.Created = time.Now().UTC()
		staged := filepath.Join(work, "image")
		// mkdir WORK/image
		if err := os.Mkdir(staged, 0o755); err != nil {
			return fmt.Errorf("make image dir: %w", err)
		}
		if err := writeMetadata(filepath.Join(staged, metadataName), img); err != nil {
			return err
		}
		return s.replace(staged, img.Name)
	})
	if err != nil {
		return nil, err
	}
	if err := s.resolve(&img); err != nil {
		return nil, err
	}
	return &img, nil
}
