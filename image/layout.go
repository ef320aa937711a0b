// Step "Copy on Write", from outside: import an image as `docker save` or
// an OCI image layout keeps it — a stack of layers and a config, not one
// tree.
//
// Shell twin, for a docker save archive:
//
//	mkdir x && tar -x -C x < img.tar
//	jq -r '.[0].Layers[]' x/manifest.json | while read l; do   # lowest first
//	    sha256sum x/$l        # must be the layer's digest
//	    mkdir layers/$i && tar -x -C layers/$i < x/$l && i=$((i+1))
//	done
//	jq '.config' x/$(jq -r '.[0].Config' x/manifest.json)   # Env, Cmd, Entrypoint …
//
// — see the OCI image spec (image-layout.md, manifest.md, config.md) and
// docker's image/spec/v1.2.md for manifest.json. Each layer becomes one
// layer dir of the image, whiteouts converted (whiteout.go), and overlayfs
// stacks them at run time as it stacks a commit's.
//
// Everything in the archive is hostile: its paths are opened inside the
// unpacked archive with pathrs-lite, and every blob is checked against its
// sha256 digest as it is read, before the image is registered.
package image

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/rootfs/unpack"
)

// archiveFormat is what an import was given.
type archiveFormat int

const (
	formatExport     archiveFormat = iota // a container's tree, as docker export writes it
	formatDockerSave                      // manifest.json naming a config and layer tarballs
	formatOCI                             // oci-layout, index.json and blobs/sha256/…
)

// maxJSON bounds a manifest, index or config read into memory.
const maxJSON = 4 << 20

// blob is a file of the archive and the digest its bytes must have.
type blob struct {
	path   string // inside the archive
	digest string // "sha256:" and 64 hex digits
}

// imageConfig is the part of an OCI (and docker) image config that kobako
// uses.
type imageConfig struct {
	Architecture string `json:"architecture"`
	Config       struct {
		Env        []string `json:"Env"`
		Cmd        []string `json:"Cmd"`
		Entrypoint []string `json:"Entrypoint"`
		WorkingDir string   `json:"WorkingDir"`
		User       string   `json:"User"`
	} `json:"config"`
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// detectFormat looks at the top of a tree: an OCI layout has an oci-layout
// file (docker save from docker 25 on writes one too, and its index.json),
// an older docker save archive a manifest.json; anything else is a tree.
func detectFormat(root *os.File) (archiveFormat, error) {
	for _, f := range []struct {
		name   string
		format archiveFormat
	}{{"oci-layout", formatOCI}, {"manifest.json", formatDockerSave}} {
		var st unix.Stat_t
		err := unix.Fstatat(int(root.Fd()), f.name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
			return f.format, nil
		}
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return 0, fmt.Errorf("stat %s: %w", f.name, err)
		}
	}
	return formatExport, nil
}

// importLayout makes the image's layers from the archive tree archive
// (format being docker save or OCI), each unpacked in work and kept in
// layers/, and returns the image's fields that its config and layers tell.
func (s *Store) importLayout(archive, work, name string, format archiveFormat, opts ImportOptions, arch string) (Image, error) {
	root, err := os.OpenFile(archive, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return Image{}, fmt.Errorf("open image archive: %w", err)
	}
	defer root.Close()
	want := arch
	if want == "" {
		want = goruntime.GOARCH
	}
	read := readOCI
	if format == formatDockerSave {
		read = readDockerSave
	}
	cfg, layers, err := read(root, want)
	if err != nil {
		return Image{}, fmt.Errorf("import %s: %w", name, err)
	}
	img := Image{
		Arch: arch, Source: opts.Source, Cmd: cfg.Config.Cmd, Entrypoint: cfg.Config.Entrypoint,
		Env: cfg.Config.Env, WorkingDir: cfg.Config.WorkingDir, User: cfg.Config.User,
	}
	if img.Arch == "" {
		if img.Arch, err = ParseArch(cfg.Architecture); err != nil {
			img.Arch = UnknownArch // a config without one, or for a machine kobako does not know
		}
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return Image{}, fmt.Errorf("import %s: the manifest lists %d layers, the config %d diff_ids", name, len(layers), len(cfg.RootFS.DiffIDs))
	}
	for i, b := range layers {
		res, err := s.importLayer(root, b, filepath.Join(work, "layer-"+strconv.Itoa(i)), cfg.RootFS.DiffIDs[i], opts.Limits)
		if err != nil {
			return Image{}, fmt.Errorf("import %s: layer %d: %w", name, i, err)
		}
		img.Size += res.Bytes
		img.Skipped = append(img.Skipped, res.Skipped...)
		img.LayerIDs = append(img.LayerIDs, cfg.RootFS.DiffIDs[i])
	}
	return img, nil
}

// importLayer unpacks the blob b of the archive into dir and keeps it as
// the layer diffID.
func (s *Store) importLayer(root *os.File, b blob, dir, diffID string, limits unpack.Limits) (unpack.Result, error) {
	f, v, err := openBlob(root, b)
	if err != nil {
		return unpack.Result{}, err
	}
	defer f.Close()
	return s.addLayer(v, dir, diffID, limits, v.check)
}

// addLayer is mkdir DIR && tar -x -C DIR < r, for a layer whose content
// must be diffID; check reads what tar left of r and checks the blob's
// digest. The layer's whiteouts are converted (whiteout.go), and it is kept
// in layers/ (keepLayer).
func (s *Store) addLayer(r io.Reader, dir, diffID string, limits unpack.Limits, check func() error) (unpack.Result, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return unpack.Result{}, fmt.Errorf("make layer dir: %w", err)
	}
	res, err := unpack.Tar(r, dir, limits, s.tracer)
	// The digest is of the whole blob: read what tar left after its end. A
	// corrupt blob also explains why tar failed, if it did: say that.
	if cerr := check(); cerr != nil {
		return res, cerr
	}
	if err != nil {
		return res, err
	}
	if res.DiffID != diffID {
		return res, fmt.Errorf("its content's digest is %s, the image config says %s", res.DiffID, diffID)
	}
	err = convertWhiteouts(dir)
	s.tracer.Step("convert whiteouts", "mknod NAME c 0 0 for each .wh.NAME in "+dir, "unix.Mknod, unix.Lsetxattr", err)
	if err != nil {
		return res, err
	}
	_, err = s.keepLayer(dir, diffID)
	return res, err
}

// readDockerSave reads manifest.json, the first image's config (named after
// its digest) and its layers, whose digests are the config's diff_ids:
// docker save writes layers uncompressed.
func readDockerSave(root *os.File, _ string) (imageConfig, []blob, error) {
	data, err := readFileInRoot(root, "manifest.json")
	if err != nil {
		return imageConfig{}, nil, err
	}
	var manifest []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return imageConfig{}, nil, fmt.Errorf("parse manifest.json: %w", err)
	}
	if len(manifest) == 0 {
		return imageConfig{}, nil, errors.New("manifest.json lists no image")
	}
	// <hex>.json (docker before 25) or blobs/sha256/<hex>
	hexName := strings.TrimSuffix(filepath.Base(manifest[0].Config), ".json")
	cfg, err := readConfig(root, blob{path: manifest[0].Config, digest: "sha256:" + hexName})
	if err != nil {
		return imageConfig{}, nil, err
	}
	if len(cfg.RootFS.DiffIDs) != len(manifest[0].Layers) {
		return imageConfig{}, nil, fmt.Errorf("manifest.json lists %d layers, the config %d diff_ids",
			len(manifest[0].Layers), len(cfg.RootFS.DiffIDs))
	}
	layers := make([]blob, len(manifest[0].Layers))
	for i, path := range manifest[0].Layers {
		layers[i] = blob{path: path, digest: cfg.RootFS.DiffIDs[i]}
	}
	return cfg, layers, nil
}

// descriptor is an OCI content descriptor.
type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Platform  *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform,omitempty"`
}

const ociIndexType = "application/vnd.oci.image.index.v1+json"

// readOCI reads index.json, follows it to the image manifest for
// linux/arch, and reads its config and layer descriptors.
func readOCI(root *os.File, arch string) (imageConfig, []blob, error) {
	data, err := readFileInRoot(root, "index.json")
	if err != nil {
		return imageConfig{}, nil, err
	}
	d, data, err := followIndex(root, data, arch)
	// docker 25 and containerd put the image's own index under the layout's
	if err == nil && d.MediaType == ociIndexType {
		_, data, err = followIndex(root, data, arch)
	}
	if err != nil {
		return imageConfig{}, nil, err
	}
	var manifest struct {
		Config descriptor
		Layers []descriptor
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return imageConfig{}, nil, fmt.Errorf("parse image manifest: %w", err)
	}
	cfg, err := readConfig(root, blobOf(manifest.Config))
	if err != nil {
		return imageConfig{}, nil, err
	}
	layers := make([]blob, len(manifest.Layers))
	for i, d := range manifest.Layers {
		layers[i] = blobOf(d)
	}
	return cfg, layers, nil
}

// followIndex parses an image index, picks its manifest for linux/arch
// and reads that (an image manifest, or another index).
func followIndex(root *os.File, index []byte, arch string) (descriptor, []byte, error) {
	var parsed struct{ Manifests []descriptor }
	if err := json.Unmarshal(index, &parsed); err != nil {
		return descriptor{}, nil, fmt.Errorf("parse image index: %w", err)
	}
	d, err := pickManifest(parsed.Manifests, arch)
	if err != nil {
		return d, nil, err
	}
	data, err := readBlob(root, blobOf(d))
	return d, data, err
}

// pickManifest chooses the one manifest of an index, or the one for
// linux/arch among several.
func pickManifest(manifests []descriptor, arch string) (descriptor, error) {
	if len(manifests) == 1 {
		return manifests[0], nil
	}
	for _, d := range manifests {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == arch {
			return d, nil
		}
	}
	return descriptor{}, fmt.Errorf("the image index has %d manifests and none for linux/%s: pick one with --arch",
		len(manifests), arch)
}

// blobOf is where a descriptor's content is in an OCI layout.
func blobOf(d descriptor) blob {
	alg, hexDigest, _ := strings.Cut(d.Digest, ":")
	return blob{path: filepath.Join("blobs", alg, hexDigest), digest: d.Digest}
}

func readConfig(root *os.File, b blob) (imageConfig, error) {
	var cfg imageConfig
	data, err := readBlob(root, b)
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("parse image config %s: %w", b.path, err)
	}
	return cfg, nil
}

// readBlob reads a small blob whole, checking its digest.
func readBlob(root *os.File, b blob) ([]byte, error) {
	f, v, err := openBlob(root, b)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readSmall(v, b.path)
	if err != nil {
		return nil, err
	}
	return data, v.check()
}

// openBlob opens a blob inside the archive, and a reader of it that hashes
// what it reads.
func openBlob(root *os.File, b blob) (*os.File, *verifier, error) {
	hexDigest, ok := strings.CutPrefix(b.digest, "sha256:")
	if _, err := hex.DecodeString(hexDigest); !ok || err != nil || len(hexDigest) != 2*sha256.Size {
		return nil, nil, fmt.Errorf("%s: digest %.80q is not sha256:<64 hex digits>", b.path, b.digest)
	}
	f, err := openFileInRoot(root, b.path)
	if err != nil {
		return nil, nil, err
	}
	return f, &verifier{r: f, h: sha256.New(), b: b}, nil
}

// verifier hashes a blob as it is read: sha256sum, on the way.
type verifier struct {
	r io.Reader
	h hash.Hash
	b blob
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	return n, err
}

// check reads the rest of the blob and compares its digest.
func (v *verifier) check() error {
	if _, err := io.Copy(io.Discard, v); err != nil {
		return fmt.Errorf("read %s: %w", v.b.path, err)
	}
	if got := "sha256:" + hex.EncodeToString(v.h.Sum(nil)); got != v.b.digest {
		return fmt.Errorf("%s is corrupt: its digest is %s, not %s", v.b.path, got, v.b.digest)
	}
	return nil
}

func readFileInRoot(root *os.File, path string) ([]byte, error) {
	f, err := openFileInRoot(root, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readSmall(f, path)
}

// readSmall reads a manifest, index or config whole, up to maxJSON bytes.
func readSmall(r io.Reader, path string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxJSON+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxJSON {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxJSON)
	}
	return data, nil
}

// openFileInRoot opens a regular file of the archive for reading. Its path
// comes from the archive: it is resolved inside root, symlinks and all, as
// a chroot would, and must be a local name to begin with.
func openFileInRoot(root *os.File, path string) (*os.File, error) {
	if !filepath.IsLocal(path) {
		return nil, fmt.Errorf("refusing %.256q: not a path inside the image archive", path)
	}
	handle, err := pathrs.OpenatInRoot(root, path)
	if err != nil {
		return nil, fmt.Errorf("open %s in the image archive: %w", path, err)
	}
	defer handle.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(handle.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%s in the image archive is not a regular file", path)
	}
	// O_PATH cannot be read: open the same inode again, for reading
	f, err := pathrs.Reopen(handle, unix.O_RDONLY)
	if err != nil {
		return nil, fmt.Errorf("open %s in the image archive: %w", path, err)
	}
	return f, nil
}
