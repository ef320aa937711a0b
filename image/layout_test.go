package image

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func openRoot(t *testing.T, dir string) *os.File {
	t.Helper()
	root, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return root
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		dirs  []string
		want  archiveFormat
	}{
		{"rootfs", []string{"etc/passwd"}, []string{"bin"}, formatExport},
		{"docker save", []string{"manifest.json", "abc.json"}, nil, formatDockerSave},
		{"oci", []string{"oci-layout", "index.json"}, []string{"blobs/sha256"}, formatOCI},
		{"docker 25 save", []string{"oci-layout", "index.json", "manifest.json"}, nil, formatOCI},
		{"manifest.json a directory", nil, []string{"manifest.json"}, formatExport},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range tc.dirs {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range tc.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := detectFormat(openRoot(t, dir))
			if err != nil || got != tc.want {
				t.Errorf("detectFormat = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestReadBlobDigest(t *testing.T) {
	dir := t.TempDir()
	data := []byte(`{"architecture":"arm64"}`)
	sum := sha256.Sum256(data)
	good := "sha256:" + hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(dir, "cfg"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/hostname", filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	root := openRoot(t, dir)
	if got, err := readBlob(root, blob{path: "cfg", digest: good}); err != nil || string(got) != string(data) {
		t.Errorf("readBlob with the right digest = %q, %v", got, err)
	}
	for _, tc := range []struct {
		b    blob
		want string
	}{
		{blob{path: "cfg", digest: "sha256:" + strings.Repeat("0", 64)}, "is corrupt"},
		{blob{path: "cfg", digest: "md5:abc"}, "not sha256"},
		{blob{path: "../cfg", digest: good}, "not a path inside"},
		// a symlink resolves inside the archive, where /etc/hostname is not
		{blob{path: "out", digest: good}, "no such file"},
	} {
		if _, err := readBlob(root, tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("readBlob(%+v) = %v, want an error with %q", tc.b, err, tc.want)
		}
	}
}

func TestPickManifest(t *testing.T) {
	type platform = struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	}
	amd, arm := descriptor{Digest: "a", Platform: &platform{"linux", "amd64"}}, descriptor{Digest: "b", Platform: &platform{"linux", "arm64"}}
	if d, err := pickManifest([]descriptor{amd, arm}, "arm64"); err != nil || d.Digest != "b" {
		t.Errorf("pickManifest(arm64) = %v, %v", d, err)
	}
	if _, err := pickManifest([]descriptor{amd, arm}, "riscv64"); err == nil || !strings.Contains(err.Error(), "linux/riscv64") {
		t.Errorf("pickManifest(riscv64) = %v, want a refusal naming linux/riscv64", err)
	}
	if d, err := pickManifest([]descriptor{amd}, "arm64"); err != nil || d.Digest != "a" {
		t.Errorf("pickManifest of one = %v, %v", d, err)
	}
}
