// Fuzzing kobako load (issue 15, item 5). A docker save archive, or an OCI
// image layout as a tar, meets two readers: ArchiveName, which looks for
// the image's name in manifest.json, and Store.Import, which unpacks the
// archive (unpack.Tar, fuzzed on its own in rootfs/), reads manifest.json
// or index.json, follows them to the config and the layers, checks each
// digest and unpacks each layer.
//
//   - FuzzArchiveName: any bytes. No panic, and a name, if one is found,
//     is one the store accepts.
//   - FuzzLoad: any bytes, imported into a store in a temp dir. Either the
//     image is there whole (Get finds it, its layer dirs exist) or there is
//     no trace of it (no image, no work dir left in tmp/). Either way no
//     file next to the data root was read or written (a canary whose
//     access time would move, an empty outside/), no layer holds a device
//     node but the whiteouts overlayfs reads (character 0:0), and the
//     import took less than maxImportTime: the fuzzer's inputs are small,
//     and the limits (rootfs.Limits, maxJSON) are what bound the work.
//
// Shell twin: docker save busybox > b.tar && kobako load -i b.tar.
// make fuzz runs each for a while; make test runs their checked-in corpora
// (testdata/fuzz/, written from the seeds below by TestFuzzSeeds).
package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/testenv"
	"github.com/kobako/kobako/rootfs/unpack"

	"github.com/kobako/kobako/internal/fuzzseed"
)

// FuzzArchiveName reads any bytes as kobako load reads an archive's name.
func FuzzArchiveName(f *testing.F) {
	f.Fuzz(func(t *testing.T, archive []byte) {
		name, err := ArchiveName(bytes.NewReader(archive))
		switch {
		case err != nil && err.Error() == "":
			t.Errorf("ArchiveName failed with an empty error")
		case err == nil && name != "" && ValidName(name) != nil:
			t.Errorf("ArchiveName = %q, which is not an image name: %v", name, ValidName(name))
		}
	})
}

// fuzzImportLimits keep a bomb small.
var fuzzImportLimits = unpack.Limits{MaxBytes: 1 << 20, MaxEntries: 1000}

// maxImportTime is a bound, not a benchmark: a fuzz input is kilobytes,
// its import milliseconds, and only work without a limit could take this.
const maxImportTime = 10 * time.Second

// FuzzLoad imports any bytes as an image called "fuzzed".
func FuzzLoad(f *testing.F) {
	testenv.RequireRoot(f, "import chowns files")
	f.Fuzz(func(t *testing.T, archive []byte) {
		top := t.TempDir()
		dataRoot, outside := filepath.Join(top, "data"), filepath.Join(top, "outside")
		if err := os.Mkdir(outside, 0o755); err != nil {
			t.Fatal(err)
		}
		secret := newCanary(t, filepath.Join(top, "secret"))
		s := NewStore(dataRoot, nil)

		start := time.Now()
		img, err := s.Import(bytes.NewReader(archive), "fuzzed", ImportOptions{Limits: fuzzImportLimits, Source: "fuzz"})
		t.Logf("Import: %v", err) // with -v: what each seed reaches
		if took := time.Since(start); took > maxImportTime {
			t.Errorf("the import of %d bytes took %v", len(archive), took)
		}
		if err != nil {
			checkNoTrace(t, s, err)
		} else {
			checkWhole(t, s, img)
		}
		checkLayerNodes(t, filepath.Join(dataRoot, layersDirName))
		secret.checkUnread(t)
		if entries, err := os.ReadDir(outside); err != nil || len(entries) > 0 {
			t.Errorf("outside/ next to the data root now holds %v (%v)", entries, err)
		}
	})
}

// checkNoTrace: a failed import says why and leaves no image and no work dir.
func checkNoTrace(t *testing.T, s *Store, importErr error) {
	t.Helper()
	if importErr.Error() == "" {
		t.Errorf("Import failed with an empty error")
	}
	if _, err := s.Get("fuzzed"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after a failed import (%v), Get = %v; want no such image", importErr, err)
	}
	checkNoWork(t, s.dataRoot)
}

// checkWhole: an imported image is listed, and its layers are there.
func checkWhole(t *testing.T, s *Store, img *Image) {
	t.Helper()
	got, err := s.Get("fuzzed")
	if err != nil {
		t.Fatalf("Import succeeded, but Get: %v", err)
	}
	if !slices.Equal(got.LayerIDs, img.LayerIDs) {
		t.Errorf("Get's layers %v, Import's %v", got.LayerIDs, img.LayerIDs)
	}
	for _, dir := range got.Layers {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			t.Errorf("layer %s of the image: %v", dir, err)
		}
	}
	checkNoWork(t, s.dataRoot)
}

// checkLayerNodes: in the store's layers, the only device nodes are
// overlayfs whiteouts, character devices 0:0 (whiteout.go).
func checkLayerNodes(t *testing.T, layers string) {
	t.Helper()
	err := filepath.WalkDir(layers, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == layers {
			return nil // no layer was made
		}
		if err != nil || d.Type()&fs.ModeDevice == 0 {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if rdev := fi.Sys().(*syscall.Stat_t).Rdev; d.Type()&fs.ModeCharDevice == 0 || rdev != 0 {
			t.Errorf("device node %s (%v, rdev %d) in a layer: only whiteouts (char 0:0) belong there", path, d.Type(), rdev)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", layers, err)
	}
}

// canary is a file outside what is under test that must never be read:
// its access time is set before its modification time, so that the next
// read moves it even on a relatime mount (mount(8), "relatime").
type canary struct {
	path  string
	atime time.Time
}

// canaryTar is what a canary holds: a small tar stream with a file in
// it, so that a reader that escaped to it would find a layer it could
// unpack.
func canaryTar(t *testing.T) []byte {
	return makeArchive(t, false, file("SECRET", []byte("secret\n")))
}

func newCanary(t *testing.T, path string) canary {
	t.Helper()
	if err := os.WriteFile(path, canaryTar(t), 0o600); err != nil {
		t.Fatal(err)
	}
	c := canary{path: path, atime: time.Now().Add(-time.Hour).Truncate(time.Second)}
	if err := os.Chtimes(path, c.atime, time.Now()); err != nil {
		t.Fatal(err)
	}
	return c
}

// checkUnread fails t if the canary was read (or the mount keeps no
// access times, which the harness checks once: see TestCanaryWorks).
func (c canary) checkUnread(t *testing.T) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(c.path, &st); err != nil {
		t.Fatalf("the canary %s: %v", c.path, err)
	}
	if atime := time.Unix(st.Atim.Unix()); !atime.Equal(c.atime) {
		t.Errorf("%s, outside what is under test, was read (atime %v, was %v)", c.path, atime, c.atime)
	}
}

// TestCanaryWorks: a read does move the canary's access time on this
// file system, so checkUnread means something.
func TestCanaryWorks(t *testing.T) {
	c := newCanary(t, filepath.Join(t.TempDir(), "canary"))
	if _, err := os.ReadFile(c.path); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(c.path, &st); err != nil {
		t.Fatal(err)
	}
	if time.Unix(st.Atim.Unix()).Equal(c.atime) {
		testenv.Missing(t, "access times (the temp dir's file system is mounted noatime): the fuzz targets' read canaries see nothing")
	}
}

// The seeds: archives as docker save and OCI layouts are, and hostile ones.

// archiveFile is one file of a test archive; link makes it a symlink.
type archiveFile struct {
	name string
	data []byte
	link string
}

// makeArchive writes the files as a tar, in the order given (docker save
// writes manifest.json last), gzipped if asked.
func makeArchive(t *testing.T, gz bool, files ...archiveFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, f := range files {
		// no entries for the parent directories: Unpack makes them 0755
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.data))}
		if f.link != "" {
			hdr = &tar.Header{Typeflag: tar.TypeSymlink, Name: f.name, Linkname: f.link, Mode: 0o777}
		}
		if err := w.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !gz {
		return buf.Bytes()
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	if _, err := zw.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return zipped.Bytes()
}

// file and symlink are archiveFiles, briefly.
func file(name string, data []byte) archiveFile { return archiveFile{name: name, data: data} }
func symlink(name, target string) archiveFile   { return archiveFile{name: name, link: target} }

// seedLayers are a small image's layers: a tree, then a whiteout of one
// of its files and an opaque directory, and an empty one.
func seedLayers(t *testing.T) [][]byte {
	return [][]byte{
		makeArchive(t, false, file("bin/sh", []byte("#!sh\n")), file("a/f", []byte("f\n")), file("b/x", []byte("x\n"))),
		makeArchive(t, false, file("a/.wh.f", nil), file("b/.wh..wh..opq", nil), file("b/new", []byte("new\n"))),
		makeArchive(t, false),
	}
}

// seedConfig is an image config listing the layers' digests.
func seedConfig(layers [][]byte) []byte {
	var ids []string
	for _, l := range layers {
		ids = append(ids, `"`+sha256Digest(l)+`"`)
	}
	return []byte(`{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/b"},` +
		`"rootfs":{"type":"layers","diff_ids":[` + strings.Join(ids, ",") + `]}}`)
}

// dockerSaveFiles lays an image out as docker save did before docker 25:
// <hex>.json, <n>/layer.tar, and manifest.json last.
func dockerSaveFiles(layers [][]byte, config []byte) []archiveFile {
	cfgName := strings.TrimPrefix(sha256Digest(config), "sha256:") + ".json"
	files := []archiveFile{file(cfgName, config)}
	var names []string
	for i, l := range layers {
		name := fmt.Sprintf("layer%d/layer.tar", i)
		files = append(files, file(name, l))
		names = append(names, `"`+name+`"`)
	}
	manifest := fmt.Sprintf(`[{"Config":%q,"RepoTags":["fuzz:latest"],"Layers":[%s]}]`, cfgName, strings.Join(names, ","))
	return append(files, file("manifest.json", []byte(manifest)))
}

// ociFiles lays an image out as an OCI image layout; nested puts the
// image's own index under the layout's, as docker 25 and containerd do.
func ociFiles(layers [][]byte, config []byte, nested bool) []archiveFile {
	files := []archiveFile{file("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))}
	blob := func(mediaType string, data []byte) string {
		d := sha256Digest(data)
		files = append(files, file("blobs/sha256/"+strings.TrimPrefix(d, "sha256:"), data))
		return fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d}`, mediaType, d, len(data))
	}
	var descs []string
	for _, l := range layers {
		descs = append(descs, blob("application/vnd.oci.image.layer.v1.tar", l))
	}
	manifest := blob("application/vnd.oci.image.manifest.v1+json", []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":`+blob("application/vnd.oci.image.config.v1+json", config)+`,"layers":[`+strings.Join(descs, ",")+`]}`))
	if nested {
		manifest = blob(ociIndexType, []byte(`{"schemaVersion":2,"manifests":[`+manifest+`]}`))
	}
	return append(files, file("index.json", []byte(`{"schemaVersion":2,"manifests":[`+manifest+`]}`)))
}

func sha256Digest(data []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(data)) }

// loadSeeds are FuzzLoad's and FuzzArchiveName's seed corpus.
func loadSeeds(t *testing.T) map[string][]any {
	layers := seedLayers(t)
	config := seedConfig(layers)
	save := dockerSaveFiles(layers, config)
	tree := []archiveFile{file("bin/sh", []byte("#!sh\n")), symlink("usr/bin", "/bin"), file("etc/passwd", []byte("root:x:0:0::/:/bin/sh\n"))}
	// the canary's stream, named by its digest: an escape would import it
	secretLayer := [][]byte{canaryTar(t)}
	secretConfig := seedConfig(secretLayer)
	secretCfgName := strings.TrimPrefix(sha256Digest(secretConfig), "sha256:") + ".json"
	escape := func(layer string, extra ...archiveFile) []any {
		manifest := fmt.Sprintf(`[{"Config":%q,"RepoTags":["evil"],"Layers":[%q]}]`, secretCfgName, layer)
		files := append([]archiveFile{file(secretCfgName, secretConfig)}, extra...)
		return []any{makeArchive(t, false, append(files, file("manifest.json", []byte(manifest)))...)}
	}
	archive := func(files ...archiveFile) []any { return []any{makeArchive(t, false, files...)} }
	dotdotWhiteout := [][]byte{makeArchive(t, false, file("a/.wh...", nil))}
	return map[string][]any{
		"docker-save":        archive(save...),
		"docker-save-gzip":   {makeArchive(t, true, save...)},
		"oci-layout":         archive(ociFiles(layers, config, false)...),
		"oci-nested-index":   archive(ociFiles(layers, config, true)...),
		"export-tree":        archive(tree...),
		"empty":              archive(),
		"no-image-listed":    archive(file("manifest.json", []byte(`[]`))),
		"diff-ids-mismatch":  archive(dockerSaveFiles(layers, seedConfig(layers[:1]))...),
		"corrupt-layer":      archive(append(save[:1:1], file("layer0/layer.tar", layers[1]), file("layer1/layer.tar", layers[1]), file("layer2/layer.tar", layers[2]), save[len(save)-1])...),
		"layer-dotdot":       escape("../../../../secret"),
		"layer-absolute":     escape("/etc/passwd"),
		"layer-symlink-out":  escape("l/secret", symlink("l", "../../../..")),
		"layer-symlink-file": escape("s", symlink("s", "../../../../secret")),
		"layer-is-dir":       escape("d", file("d/x", nil)),
		"whiteout-dotdot":    archive(dockerSaveFiles(dotdotWhiteout, seedConfig(dotdotWhiteout))...),
		"manifest-not-json":  archive(file("manifest.json", []byte(`{"Config":`))),
		"index-two-manifests": archive(file("oci-layout", []byte(`{}`)), file("index.json", []byte(
			`{"manifests":[{"digest":"sha256:`+strings.Repeat("a", 64)+`","platform":{"os":"linux","architecture":"s390x"}},{"digest":"md5:x"}]}`))),
	}
}

// TestFuzzSeeds checks that the checked-in corpora under testdata/fuzz/
// are the seeds of this package's fuzz targets, and writes them when asked:
//
//	KOBAKO_FUZZ_WRITE_SEEDS=1 go test -run '^TestFuzzSeeds$' ./image/
func TestFuzzSeeds(t *testing.T) {
	seeds := loadSeeds(t)
	fuzzseed.Check(t, "FuzzLoad", seeds)
	fuzzseed.Check(t, "FuzzArchiveName", seeds)
	fuzzseed.Check(t, "FuzzReadLayout", layoutSeeds)
}
