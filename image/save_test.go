package image

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kobako/kobako/internal/testenv"
)

func TestNameFromRepoTag(t *testing.T) {
	for tag, want := range map[string]string{
		"mine:latest":                       "mine",
		"mine:v2":                           "mine:v2",
		"docker.io/library/busybox:1.36":    "busybox:1.36",
		"registry:5000/team/app:latest":     "app",
		"Upper:latest":                      "upper",
		"no/valid/name!:x":                  "",
		"localhost:5000/thing@sha256:abc:x": "",
	} {
		if got := NameFromRepoTag(tag); got != want {
			t.Errorf("NameFromRepoTag(%q) = %q, want %q", tag, got, want)
		}
	}
}

func TestArchiveName(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	manifest, _ := json.Marshal([]manifestEntry{{Config: "c.json", RepoTags: []string{"mine:latest"}, Layers: []string{"a/layer.tar"}}})
	if err := writeEntry(tw, "manifest.json", manifest); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	if name, err := ArchiveName(&buf); err != nil || name != "mine" {
		t.Errorf("ArchiveName = %q, %v, want mine", name, err)
	}
	if _, err := ArchiveName(bytes.NewReader(make([]byte, 1024))); err == nil {
		t.Error("an archive without manifest.json must be an error")
	}
}

// A layer dir becomes a tar with the image spec's whiteouts again.
func TestWriteLayerTar(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layer")
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "motd"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "etc", "motd"), filepath.Join(dir, "motd")); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(dir, "etc", "gone")
	if err := whiteout(gone); err != nil {
		testenv.Missing(t, fmt.Sprintf("root, to make a whiteout (mknod): %v", err))
	}
	var buf bytes.Buffer
	if err := writeLayerTar(&buf, dir); err != nil {
		t.Fatal(err)
	}
	var got []string
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		got = append(got, string(hdr.Typeflag)+" "+hdr.Name+" "+hdr.Linkname)
	}
	want := []string{"5 . ", "5 etc ", "0 etc/.wh.gone ", "0 etc/motd ", "1 motd etc/motd"}
	if len(got) != len(want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %q, want %q", i, got[i], want[i])
		}
	}
}
