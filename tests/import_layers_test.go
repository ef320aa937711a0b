package tests

// kobako import of an image with layers: a docker save archive, and an OCI
// image layout as a directory and as a tar. Three layers: busybox, then
// /a/f and /b/x, then a whiteout of /a/f and /b made opaque with a new
// file in it. The image's config gives run its defaults.

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layeredImage is the test image: its layer tarballs, lowest first, and
// its config.
func layeredImage(t *testing.T) (layers [][]byte, config []byte) {
	t.Helper()
	busybox, _ := busyboxTar(t)
	for i, entries := range [][]tarEntry{
		busybox,
		{tarDir("a/", 0o755), tarFile("a/f", 0o644, []byte("f\n")), tarDir("b/", 0o755), tarFile("b/x", 0o644, []byte("old x\n"))},
		{tarDir("a/", 0o755), tarFile("a/.wh.f", 0o644, nil), tarDir("b/", 0o755),
			tarFile("b/.wh..wh..opq", 0o644, nil), tarFile("b/new", 0o644, []byte("new file\n"))},
		{}, // an empty layer, as docker builds have for some steps
	} {
		path := filepath.Join(t.TempDir(), "layer.tar")
		writeTar(t, path, i == 1, entries) // one layer gzipped: OCI allows either
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, data)
	}
	var diffIDs []string
	for _, l := range layers {
		diffIDs = append(diffIDs, digestOf(uncompressed(t, l)))
	}
	config = mustJSON(t, map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{
			"Env": []string{"PATH=/bin", "FOO=bar"}, "Entrypoint": []string{"/bin/sh", "-c"},
			"Cmd": []string{"echo $FOO; cat /b/*; pwd; test -e /a/f || echo f gone"}, "WorkingDir": "/b",
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	return layers, config
}

// uncompressed gunzips a gzipped layer (docker save's layers are plain).
func uncompressed(t *testing.T, layer []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(layer))
	if errors.Is(err, gzip.ErrHeader) {
		return layer
	}
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// files is an archive's content: name → data.
type files map[string][]byte

// dockerSave lays the image out as docker save did before docker 25.
func dockerSave(t *testing.T, layers [][]byte, config []byte) files {
	out := files{}
	cfgName := strings.TrimPrefix(digestOf(config), "sha256:") + ".json"
	out[cfgName] = config
	var names []string
	for i, l := range layers {
		name := filepath.Join("layer"+string(rune('0'+i)), "layer.tar")
		out[name] = uncompressed(t, l)
		names = append(names, name)
	}
	out["manifest.json"] = mustJSON(t, []map[string]any{{"Config": cfgName, "Layers": names, "RepoTags": []string{"x:latest"}}})
	return out
}

// ociLayout lays the image out as an OCI image layout.
func ociLayout(t *testing.T, layers [][]byte, config []byte) files {
	out := files{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`)}
	blob := func(mediaType string, data []byte) map[string]any {
		d := digestOf(data)
		out["blobs/sha256/"+strings.TrimPrefix(d, "sha256:")] = data
		return map[string]any{"mediaType": mediaType, "digest": d, "size": len(data)}
	}
	var descs []map[string]any
	for _, l := range layers {
		descs = append(descs, blob("application/vnd.oci.image.layer.v1.tar", l))
	}
	manifest := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": blob("application/vnd.oci.image.config.v1+json", config), "layers": descs,
	})
	out["index.json"] = mustJSON(t, map[string]any{"schemaVersion": 2,
		"manifests": []any{blob("application/vnd.oci.image.manifest.v1+json", manifest)}})
	return out
}

// writeDir writes the files under dir.
func (fs files) writeDir(t *testing.T, dir string) {
	t.Helper()
	for name, data := range fs {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tarball writes the files as a tarball at path.
func (fs files) tarball(t *testing.T, path string) {
	t.Helper()
	var entries []tarEntry
	for name, data := range fs {
		entries = append(entries, tarFile(name, 0o644, data))
	}
	writeTar(t, path, false, entries)
}

func TestImportLayers(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	e := newEnv(t)
	layers, config := layeredImage(t)
	dir := t.TempDir()
	save, ociTar, ociDir := filepath.Join(dir, "save.tar"), filepath.Join(dir, "oci.tar"), filepath.Join(dir, "oci")
	dockerSave(t, layers, config).tarball(t, save)
	ociLayout(t, layers, config).tarball(t, ociTar)
	ociLayout(t, layers, config).writeDir(t, ociDir)

	var first []string
	for _, tc := range []struct{ name, from string }{{"save", save}, {"ocitar", ociTar}, {"ocidir", ociDir}} {
		t.Run(tc.name, func(t *testing.T) {
			e.mustRun("import", "--name", tc.name, tc.from)
			// the same layers, whatever the archive: one copy of each
			if layers := e.imageLayers(tc.name); first == nil {
				first = layers
			} else if !slices.Equal(layers, first) {
				t.Errorf("%s's layers are %v, the first import's %v: not shared", tc.name, layers, first)
			}
			out := e.mustRun("run", "--rm", tc.name)
			if want := "bar\nnew file\n/b\nf gone\n"; out != want {
				t.Errorf("run %s printed %q, want %q (FOO, only the new file in /b, cwd /b, /a/f whited out)", tc.name, out, want)
			}
			// Arguments replace Cmd, and keep the entrypoint; -e and -w win.
			out = e.mustRun("run", "--rm", "-e", "FOO=baz", "-w", "/a", tc.name, "echo $FOO; pwd")
			if want := "baz\n/a\n"; out != want {
				t.Errorf("run -e -w %s printed %q, want %q", tc.name, out, want)
			}
		})
	}
	if len(first) != 4 {
		t.Errorf("the image has layers %v, want 4 (the empty one too)", first)
	}
	e.mustRun("rmi", "save", "ocitar", "ocidir")
	if left := dirEntries(t, filepath.Join(e.dataRoot, "layers")); len(left) > 0 {
		t.Errorf("layers/ holds %v after rmi of every image", left)
	}
}

// A blob that does not match its digest stops the import: one line, the
// exit status of any failed import (1), and no image.
func TestImportLayersCorrupt(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	e := newEnv(t)
	layers, config := layeredImage(t)
	layout := ociLayout(t, layers, config)
	for name, data := range layout {
		if i := bytes.Index(data, []byte("new file")); i >= 0 && bytes.Equal(data, layers[2]) {
			corrupt := bytes.Clone(data)
			corrupt[i] = 'N' // a flipped bit in a file's data: the tar is still whole
			layout[name] = corrupt
		}
	}
	dir := filepath.Join(t.TempDir(), "oci")
	layout.writeDir(t, dir)
	_, stderr, code := e.run("import", "--name", "broken", dir)
	if code != 1 {
		t.Fatalf("import of a corrupt layout: exit %d, want 1; stderr:\n%s", code, stderr)
	}
	checkOneLineError(t, stderr, "corrupt", "digest")
	if _, err := os.Lstat(filepath.Join(e.dataRoot, "images", "broken")); err == nil {
		t.Errorf("images/broken exists after a failed import")
	}
}
