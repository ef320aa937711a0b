// Fuzzing the readers of an image layout (issue 15, item 5): readOCI
// follows index.json to a manifest, a config and layers; readDockerSave
// follows manifest.json to a config and layers. Every name and digest in
// them is the archive's to choose, so the archive decides which files are
// opened: the property is that none of them is outside the layout.
//
// Mutating a whole archive (FuzzLoad) rarely keeps a digest right, so this
// target takes the three JSON documents apart, and the harness names each
// blob after its digest: in them, @CONFIG@, @MANIFEST@ and @LAYER@ stand
// for the digests of the config, the manifest and a small layer, and
// @CONFIGHEX@ and @LAYERHEX@ for the hex part alone (docker save names the
// config <hex>.json, docker 25 blobs/sha256/<hex>). @SECRET@ is
// the digest of a canary file next to the layout, which a reader that
// escaped would find whole; the layout has symlinks to it, "escape"
// (relative) and "escape-abs". The first document is written both as
// index.json and as manifest.json, and both readers read the layout.
//
// Properties: no panic; an error says something; a docker save manifest
// read without error lists as many layers as its config has diff_ids;
// every blob a reader names opens, if at all, a file of the layout; and
// the canary is never read.
package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzReadLayout reads a layout made of three fuzzed JSON documents.
func FuzzReadLayout(f *testing.F) {
	f.Fuzz(func(t *testing.T, index, manifest, config []byte) {
		top := t.TempDir()
		secret := newCanary(t, filepath.Join(top, "secret"))
		dir := filepath.Join(top, "layout")
		inodes := writeLayout(t, dir, index, manifest, config)
		root := openRoot(t, dir)

		for _, r := range []struct {
			name string
			read func(*os.File, string) (imageConfig, []blob, error)
		}{{"readOCI", readOCI}, {"readDockerSave", readDockerSave}} {
			cfg, layers, err := r.read(root, "amd64")
			t.Logf("%s: %d layers, %v", r.name, len(layers), err) // with -v: what each seed reaches
			if err != nil {
				if err.Error() == "" {
					t.Errorf("%s failed with an empty error", r.name)
				}
				continue
			}
			if r.name == "readDockerSave" && len(layers) != len(cfg.RootFS.DiffIDs) {
				t.Errorf("readDockerSave: %d layers, %d diff_ids", len(layers), len(cfg.RootFS.DiffIDs))
			}
			for _, b := range layers {
				checkBlobInside(t, root, b, inodes)
			}
		}
		secret.checkUnread(t)
	})
}

// layoutInode names a file by device and inode.
type layoutInode struct{ dev, ino uint64 }

// writeLayout makes the layout in dir from the three documents, and
// returns the inodes of its files.
func writeLayout(t *testing.T, dir string, index, manifest, config []byte) map[layoutInode]bool {
	t.Helper()
	layer := makeArchive(t, false, file("hello", []byte("hello\n")))
	hexOf := func(data []byte) string { return strings.TrimPrefix(sha256Digest(data), "sha256:") }
	expand := func(doc []byte, pairs ...string) []byte {
		pairs = append(pairs, "@LAYERHEX@", hexOf(layer), "@LAYER@", sha256Digest(layer), "@SECRET@", sha256Digest(canaryTar(t)))
		return []byte(strings.NewReplacer(pairs...).Replace(string(doc)))
	}
	// each document can name the ones written before it
	config = expand(config)
	manifest = expand(manifest, "@CONFIGHEX@", hexOf(config), "@CONFIG@", sha256Digest(config))
	index = expand(index, "@CONFIGHEX@", hexOf(config), "@CONFIG@", sha256Digest(config), "@MANIFEST@", sha256Digest(manifest))
	files := map[string][]byte{
		"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`), "index.json": index, "manifest.json": index,
		"blobs/sha256/" + hexOf(config): config, "blobs/sha256/" + hexOf(manifest): manifest, "blobs/sha256/" + hexOf(layer): layer,
		hexOf(config) + ".json": config, "layer0/layer.tar": layer,
	}
	inodes := map[layoutInode]bool{}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		inodes[layoutInode{st.Dev, st.Ino}] = true
	}
	for name, target := range map[string]string{"escape": "../secret", "escape-abs": filepath.Join(filepath.Dir(dir), "secret")} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return inodes
}

// checkBlobInside opens a blob as importLayer would, and fails t if what
// opens is not a file of the layout.
func checkBlobInside(t *testing.T, root *os.File, b blob, inodes map[layoutInode]bool) {
	t.Helper()
	f, v, err := openBlob(root, b)
	if err != nil {
		return // refused: fine
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if !inodes[layoutInode{st.Dev, st.Ino}] {
		t.Errorf("blob %q opened a file that is not in the layout (inode %d)", b.path, st.Ino)
	}
	// Read it all, as importLayer does: the canary sees a read, not an
	// open. Whether the digest matches is not this test's question.
	if err := v.check(); err != nil && err.Error() == "" {
		t.Errorf("check of blob %q failed with an empty error", b.path)
	}
}

// layoutSeeds are FuzzReadLayout's seed corpus: an OCI layout, a docker
// save manifest, and ones that point out of the layout. (A nested index
// needs a fourth document: FuzzLoad has that seed.)
var layoutSeeds = func() map[string][]any {
	config := `{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["@LAYER@"]}}`
	secretConfig := `{"architecture":"amd64","rootfs":{"type":"layers","diff_ids":["@SECRET@"]}}`
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"@CONFIG@"},` +
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"@LAYER@"}]}`
	index := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"@MANIFEST@",` +
		`"platform":{"os":"linux","architecture":"amd64"}}]}`
	twoPlatforms := `{"manifests":[{"digest":"@MANIFEST@","platform":{"os":"linux","architecture":"arm64"}},` +
		`{"digest":"@MANIFEST@","platform":{"os":"linux","architecture":"amd64"}}]}`
	save := `[{"Config":"@CONFIGHEX@.json","RepoTags":["fuzz:latest"],"Layers":["layer0/layer.tar"]}]`
	saveOut := func(layer string) string {
		return `[{"Config":"@CONFIGHEX@.json","RepoTags":["evil"],"Layers":["` + layer + `"]}]`
	}
	ociOut := func(digest string) string {
		return strings.Replace(manifest, `"digest":"@LAYER@"`, `"digest":"`+digest+`"`, 1)
	}
	seed := func(index, manifest, config string) []any {
		return []any{[]byte(index), []byte(manifest), []byte(config)}
	}
	return map[string][]any{
		"oci":                 seed(index, manifest, config),
		"oci-two-platforms":   seed(twoPlatforms, manifest, config),
		"docker-save":         seed(save, manifest, config),
		"docker-save-blobs":   seed(`[{"Config":"blobs/sha256/@CONFIGHEX@","Layers":["blobs/sha256/@LAYERHEX@"]}]`, manifest, config),
		"save-layer-dotdot":   seed(saveOut("../secret"), manifest, secretConfig),
		"save-layer-symlink":  seed(saveOut("escape"), manifest, secretConfig),
		"save-layer-abs-link": seed(saveOut("escape-abs"), manifest, secretConfig),
		"save-config-out":     seed(`[{"Config":"../secret","Layers":[]}]`, manifest, config),
		"oci-digest-dotdot":   seed(index, ociOut("sha256/../../../secret"), secretConfig),
		"oci-digest-escape":   seed(index, strings.Replace(ociOut("@SECRET@"), `"digest":"@SECRET@"`, `"digest":"../escape"`, 1), secretConfig),
		"oci-alg-dotdot":      seed(index, ociOut("..:secret"), secretConfig),
		"index-empty":         seed(`{"manifests":[]}`, manifest, config),
		"index-not-json":      seed(`{"manifests":`, manifest, config),
		"save-empty":          seed(`[]`, manifest, config),
	}
}()
