// kobako pull, the store's side: an image whose manifest, config and
// layers a registry client found (package registry, in the kobako-pull
// binary), made into an image of the store.
//
// Shell twin, with curl and the OCI distribution API, for each layer:
//
//	curl -s https://REGISTRY/v2/NAME/blobs/$LAYER | tee >(sha256sum) | tar -xz -C $TMP/layer
//	mv $TMP/layer layers/$DIFF_ID
//
// — see the OCI distribution spec (spec.md, "Pulling blobs"). What lands
// on disk is the store's, as for an imported archive: every layer is
// unpacked by the hostile-tarball extractor, checked twice (its download
// against the manifest's digest, its content against the config's
// diff_id), and kept in layers/ by its diff_id. A layer the store has
// already is not downloaded again: that is what content addressing buys.
package image

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/kobako/kobako/rootfs/unpack"
)

// Remote is an image somewhere else, as a registry client describes it.
type Remote struct {
	Ref string // as asked for, for messages
	// Image is what the manifest and config tell: Arch, Source (the
	// repository and the manifest's digest), and run's defaults.
	Image  Image
	Layers []RemoteLayer // lowest first
}

// RemoteLayer is one layer of a Remote.
type RemoteLayer struct {
	Digest string // sha256 of the blob, as downloaded (compressed)
	DiffID string // sha256 of its content, as the image config names it
	Size   int64  // of the blob
	// Open starts the download. Its digest is checked when it is read to
	// its end: a reader that fails then is a corrupt blob.
	Open func() (io.ReadCloser, error)
}

// PullOptions tune Pull.
type PullOptions struct {
	Limits unpack.Limits
	// Layer is told of each layer in turn: its digest, its size to
	// download, and the download's reader, or nil if the store has the
	// layer already. It returns the reader to unpack (with a progress
	// bar, say) and a func called when the layer is done.
	Layer func(digest string, size int64, r io.Reader) (io.Reader, func())
	// Replace registers the image over one of the same name (kobako pull
	// of an image already here, by run --pull always) instead of refusing.
	Replace bool
}

// Pull makes the image name of remote, whose name the caller checked with
// PrepareImport before it asked the registry.
func (s *Store) Pull(remote *Remote, name string, opts PullOptions) (*Image, error) {
	return s.stageAs(name, opts.Replace, func(work string) (Image, error) {
		img := remote.Image
		for i, layer := range remote.Layers {
			res, err := s.pullLayer(layer, filepath.Join(work, "layer-"+strconv.Itoa(i)), opts)
			if err != nil {
				return Image{}, fmt.Errorf("pull %s: layer %d: %w", remote.Ref, i, err)
			}
			img.Size += res.Bytes
			img.Skipped = append(img.Skipped, res.Skipped...)
			img.LayerIDs = append(img.LayerIDs, layer.DiffID)
		}
		return img, nil
	})
}

// pullLayer makes the layer: from the store if it has it, else
// downloaded into dir and kept.
func (s *Store) pullLayer(layer RemoteLayer, dir string, opts PullOptions) (unpack.Result, error) {
	h, err := layerHex(layer.DiffID)
	if err != nil {
		return unpack.Result{}, err
	}
	report := opts.Layer
	if report == nil {
		report = func(_ string, _ int64, r io.Reader) (io.Reader, func()) { return r, func() {} }
	}
	// test -d LAYERS/HEX — the store holds its layers (stage), so it stays
	if _, err := os.Lstat(filepath.Join(s.layersDir(), h)); err == nil {
		_, done := report(layer.Digest, layer.Size, nil)
		done()
		bytes, err := layerBytes(filepath.Join(s.layersDir(), h))
		return unpack.Result{Bytes: bytes}, err
	}
	download, err := layer.Open()
	if err != nil {
		return unpack.Result{}, err
	}
	defer download.Close()
	r, done := report(layer.Digest, layer.Size, download)
	defer done()
	// mkdir DIR && curl …/blobs/DIGEST | tar -xz -C DIR
	res, err := s.addLayer(r, dir, layer.DiffID, opts.Limits, func() error {
		// the download's digest is checked when it ends: read to its end
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("%s: %w", layer.Digest, err)
	}
	return res, nil
}

// layerBytes is du --apparent-size of a layer the store has: the bytes of
// its regular files, each hard-linked one once, as its unpacking counted
// them for the image's size.
func layerBytes(dir string) (int64, error) {
	var n int64
	seen := map[uint64]bool{}
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			if seen[st.Ino] {
				return nil
			}
			seen[st.Ino] = true
		}
		n += info.Size()
		return nil
	})
	return n, err
}
