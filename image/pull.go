// kobako pull: an image straight from a registry, with no docker at all —
// the article's `docker export` of an image it had pulled, done without
// the docker daemon.
//
// Shell twin, with curl and the OCI distribution API (one manifest, its
// config, and each layer by its digest):
//
//	curl -s https://REGISTRY/v2/NAME/manifests/TAG -H 'Accept: application/vnd.oci.image.index.v1+json, …'
//	curl -s https://REGISTRY/v2/NAME/blobs/$CONFIG                  # Env, Cmd, diff_ids …
//	curl -s https://REGISTRY/v2/NAME/blobs/$LAYER | tee >(sha256sum) | tar -xz -C $TMP/layer
//	mv $TMP/layer layers/$DIFF_ID
//
// — see the OCI distribution spec (spec.md, "Pulling manifests", "Pulling
// blobs"). The HTTP, the tokens of docker.io's auth and the choice in an
// image index are go-containerregistry's; what lands on disk is the
// store's, as for an imported archive: every layer is unpacked by the
// hostile-tarball extractor, checked twice (its download against the
// manifest's digest, its content against the config's diff_id), and kept
// in layers/ by its diff_id. A layer the store has already is not
// downloaded again: that is what content addressing buys.
package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/kobako/kobako/rootfs"
)

// PullOptions tune Pull.
type PullOptions struct {
	Name string // the local image name; "" takes it from the reference (NameFromRef)
	Arch string // the platform's architecture (see ParseArch); "" is this machine's
	// Username and Password log in with HTTP basic auth (or the registry's
	// token service). Without them, the credentials docker login saved
	// (~/.docker/config.json) are used, or none.
	Username, Password string
	Insecure           bool // plain HTTP to any registry, not only to localhost and private addresses
	Limits             rootfs.Limits
	// Layer is told of each layer in turn: its digest, its size to
	// download, and the download's reader, or nil if the store has the
	// layer already. It returns the reader to unpack (with a progress
	// bar, say) and a func called when the layer is done.
	Layer func(digest string, size int64, r io.Reader) (io.Reader, func())
}

// Pull downloads the image ref ([REGISTRY/]NAME[:TAG|@DIGEST], docker.io
// by default) for linux/Arch into a new image, and returns it.
func (s *Store) Pull(ctx context.Context, ref string, opts PullOptions) (*Image, error) {
	parsed, err := parseRef(ref, opts.Insecure)
	if err != nil {
		return nil, err
	}
	local := opts.Name
	if local == "" {
		local = NameFromRef(parsed)
	}
	arch, err := s.prepareImport(local, ImportOptions{Arch: opts.Arch})
	if err != nil {
		return nil, err
	}
	if arch == "" {
		arch = goruntime.GOARCH
	}
	remoteImage, err := fetchManifest(ctx, parsed, arch, opts)
	if err != nil {
		return nil, err
	}
	return s.stage(local, func(work string) (Image, error) {
		return s.pullLayers(remoteImage, work, parsed, arch, opts)
	})
}

// parseRef checks a reference as docker does: "busybox" is
// docker.io/library/busybox:latest.
func parseRef(ref string, insecure bool) (name.Reference, error) {
	var nameOpts []name.Option
	if insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	parsed, err := name.ParseReference(ref, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("invalid image reference %q: use [REGISTRY/]NAME[:TAG|@sha256:DIGEST], like busybox:1.36 or 127.0.0.1:5000/tools/bash", ref)
	}
	return parsed, nil
}

// NameFromRef is the local name of a pulled image: the last part of its
// repository, and its tag unless that is latest ("docker.io/library/bash:5.2"
// gives "bash:5.2", "ghcr.io/a/b@sha256:…" gives "b").
func NameFromRef(ref name.Reference) string {
	repo := ref.Context().RepositoryStr()
	local := repo[strings.LastIndex(repo, "/")+1:]
	if tag, ok := ref.(name.Tag); ok && tag.TagStr() != "latest" {
		local += ":" + tag.TagStr()
	}
	return local
}

// fetchManifest asks the registry for ref's manifest (for linux/arch, in
// an index) and its config, and checks that the image is for linux/arch.
func fetchManifest(ctx context.Context, ref name.Reference, arch string, opts PullOptions) (v1.Image, error) {
	auth := remote.WithAuthFromKeychain(authn.DefaultKeychain)
	if opts.Username != "" {
		auth = remote.WithAuth(&authn.Basic{Username: opts.Username, Password: opts.Password})
	}
	platform := v1.Platform{OS: "linux", Architecture: arch}
	img, err := remote.Image(ref, remote.WithContext(ctx), auth, remote.WithPlatform(platform), remote.WithUserAgent("kobako"))
	if err != nil {
		return nil, registryError(ref, err)
	}
	cfg, err := img.ConfigFile() // its digest is checked on the way
	if err != nil {
		return nil, registryError(ref, err)
	}
	// An image that is no index is taken as it is: say so if it is for
	// another machine, rather than fail with "exec format error" later.
	if cfg.OS != "linux" || cfg.Architecture != arch {
		return nil, fmt.Errorf("%s is an image for %s/%s, not linux/%s: pick another tag, or --platform linux/%s",
			ref, cfg.OS, cfg.Architecture, arch, cfg.Architecture)
	}
	return img, nil
}

// registryError says in one line what went wrong with the registry, and
// what to do about it.
func registryError(ref name.Reference, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("pull %s: the registry refused us (%d): log in with --creds USER:PASSWORD", ref, terr.StatusCode)
		case http.StatusNotFound:
			return fmt.Errorf("pull %s: no such image or tag on %s", ref, ref.Context().RegistryStr())
		}
	}
	return fmt.Errorf("pull %s: %w", ref, oneLine(err))
}

// pullLayers downloads and unpacks the image's layers, lowest first, and
// returns the image's fields that its config and layers tell.
func (s *Store) pullLayers(img v1.Image, work string, ref name.Reference, arch string, opts PullOptions) (Image, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return Image{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return Image{}, err
	}
	layers, err := img.Layers()
	if err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, oneLine(err))
	}
	out := Image{
		// where it came from, pinned: docker.io/library/bash@sha256:…
		Arch: arch, Source: ref.Context().Name() + "@" + digest.String(), Cmd: cfg.Config.Cmd, Entrypoint: cfg.Config.Entrypoint,
		Env: cfg.Config.Env, WorkingDir: cfg.Config.WorkingDir, User: cfg.Config.User,
	}
	for i, layer := range layers {
		diffID, err := layer.DiffID() // from the config, whose digest was checked
		if err != nil {
			return Image{}, err
		}
		res, err := s.pullLayer(layer, diffID.String(), filepath.Join(work, "layer-"+strconv.Itoa(i)), opts)
		if err != nil {
			return Image{}, fmt.Errorf("pull %s: layer %d: %w", ref, i, err)
		}
		out.Size += res.Bytes
		out.Skipped = append(out.Skipped, res.Skipped...)
		out.LayerIDs = append(out.LayerIDs, diffID.String())
	}
	return out, nil
}

// pullLayer makes the layer whose content is diffID: from the store if it
// has it, else downloaded into dir and kept.
func (s *Store) pullLayer(layer v1.Layer, diffID, dir string, opts PullOptions) (rootfs.UnpackResult, error) {
	h, err := layerHex(diffID)
	if err != nil {
		return rootfs.UnpackResult{}, err
	}
	digest, _ := layer.Digest()
	size, _ := layer.Size()
	report := opts.Layer
	if report == nil {
		report = func(_ string, _ int64, r io.Reader) (io.Reader, func()) { return r, func() {} }
	}
	// test -d LAYERS/HEX — the store holds its layers (stage), so it stays
	if _, err := os.Lstat(filepath.Join(s.layersDir(), h)); err == nil {
		_, done := report(digest.String(), size, nil)
		done()
		bytes, err := layerBytes(filepath.Join(s.layersDir(), h))
		return rootfs.UnpackResult{Bytes: bytes}, err
	}
	compressed, err := layer.Compressed() // verifies its digest as it is read
	if err != nil {
		return rootfs.UnpackResult{}, oneLine(err)
	}
	defer compressed.Close()
	r, done := report(digest.String(), size, compressed)
	defer done()
	// mkdir DIR && curl …/blobs/DIGEST | tar -xz -C DIR
	res, err := s.addLayer(r, dir, diffID, opts.Limits, func() error {
		// the download's digest is checked when it ends: read to its end
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("%s: %w", digest, oneLine(err))
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

// oneLine keeps an error to its first line: a registry's error body can
// be a page of HTML.
func oneLine(err error) error {
	msg, _, cut := strings.Cut(err.Error(), "\n")
	if !cut {
		return err
	}
	return errors.New(msg)
}
