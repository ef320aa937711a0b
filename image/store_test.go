// Tests for the image store: names, import, list, remove, and the work dirs
// that keep a half-made image out of sight, even after a SIGKILL.
package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kobako/kobako/internal/testenv"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/rootfs/unpack"
)

// requireRoot stops a test that needs root (see testenv).
func requireRoot(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t, "import chowns files")
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{
		"bash": true, "busybox": true, "bash:5.2": true, "my-image_1.0": true, "0day": true,
		"bash:Latest-1": true, strings.Repeat("a", 128): true,
		"": false, "Bash": false, "-bash": false, ".": false, "..": false, "../x": false, "a/b": false,
		"bash:": false, "bash:5:2": false, "bash:a/b": false, strings.Repeat("a", 129): false,
	} {
		if err := ValidName(name); (err == nil) != ok {
			t.Errorf("ValidName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestNameFromFile(t *testing.T) {
	for path, want := range map[string]string{
		"bash.tar.gz":              "bash",
		"/tmp/bash.tar":            "bash",
		"ubuntu.tgz":               "ubuntu",
		"Alpine 3.19.TAR":          "alpine-3.19",
		"./.hidden.tar":            "hidden",
		"-":                        "image",
		"日本.tar":                   "image",
		strings.Repeat("x", 200):   strings.Repeat("x", 128),
		"web:latest.tar":           "web-latest",
		"/var/tmp/export.tar.gz/x": "x",
	} {
		got := NameFromFile(path)
		if got != want {
			t.Errorf("NameFromFile(%q) = %q, want %q", path, got, want)
		}
		if err := ValidName(got); err != nil {
			t.Errorf("NameFromFile(%q) = %q, not a valid name: %v", path, got, err)
		}
	}
}

// smallImage is a docker export of a tiny image whose /bin is a symlink, as
// in Debian's usrmerge: "bin -> /usr/bin", absolute.
func smallImage(t *testing.T, shell string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, h := range []tar.Header{
		{Typeflag: tar.TypeDir, Name: "./", Mode: 0o755},
		{Typeflag: tar.TypeDir, Name: "usr/", Mode: 0o755},
		{Typeflag: tar.TypeDir, Name: "usr/bin/", Mode: 0o755},
		{Typeflag: tar.TypeSymlink, Name: "bin", Linkname: "/usr/bin"},
		{Typeflag: tar.TypeReg, Name: "usr/bin/" + shell, Mode: 0o755, Size: 5},
		{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3},
	} {
		if err := w.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			w.Write([]byte("#!sh\n"))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkNoWork fails if a work dir is left under tmp/.
func checkNoWork(t *testing.T, dataRoot string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dataRoot, "tmp"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("tmp/ holds %d leftovers, first %s", len(entries), entries[0].Name())
	}
}

func TestImportGetListRemove(t *testing.T) {
	requireRoot(t)
	dataRoot := t.TempDir()
	s := NewStore(dataRoot, nil)
	tarball := smallImage(t, "bash")
	img, err := s.Import(bytes.NewReader(tarball), "bash", ImportOptions{Source: "bash.tar"})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	// The one layer is named by the tarball's digest.
	layer := filepath.Join(dataRoot, "layers", fmt.Sprintf("%x", sha256.Sum256(tarball)))
	// The host has /usr/bin/sh, but the image's /bin/sh does not exist:
	// "bin -> /usr/bin" must be read inside the image.
	if img.Name != "bash" || img.Arch != UnknownArch || img.Size != 5 || img.Source != "bash.tar" || !slices.Equal(img.Cmd, []string{"/bin/bash"}) ||
		!slices.Equal(img.Skipped, []string{"dev/null"}) || img.Rootfs != layer || !slices.Equal(img.Layers, []string{layer}) {
		t.Errorf("Import = %+v", img)
	}
	checkNoWork(t, dataRoot)

	got, err := s.Get("bash")
	if err != nil || got.Rootfs != img.Rootfs || !got.Created.Equal(img.Created) {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, img)
	}
	if _, err := os.Stat(filepath.Join(got.Rootfs, "usr/bin/bash")); err != nil {
		t.Errorf("the image's bash is missing: %v", err)
	}
	_, err = s.Import(bytes.NewReader(smallImage(t, "sh")), "bash", ImportOptions{})
	if !errors.Is(err, ErrExists) || err.Error() != `image "bash" already exists: remove it with kobako rmi bash, or pick another name` {
		t.Errorf("second Import error = %v", err)
	}
	if _, err := s.Import(bytes.NewReader(smallImage(t, "sh")), "alpine", ImportOptions{}); err != nil {
		t.Fatalf("Import alpine: %v", err)
	}
	list, err := s.List()
	if err != nil || len(list) != 2 || list[0].Name != "alpine" || list[1].Name != "bash" || list[0].Cmd[0] != "/bin/sh" {
		t.Errorf("List = %+v, %v", list, err)
	}

	if err := s.Remove("bash"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	_, err = s.Get("bash")
	if !errors.Is(err, ErrNotFound) || err.Error() != `no such image "bash": import one with kobako import, or use busybox` {
		t.Errorf("Get after Remove error = %v", err)
	}
	if err := s.Remove("bash"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove error = %v, want ErrNotFound", err)
	}
	// bash's layer stays until collected; alpine's stays, it is used.
	alpine, err := s.Get("alpine")
	if err != nil {
		t.Fatal(err)
	}
	removed, err := s.Collect(nil)
	if err != nil || !slices.Equal(removed, []string{"sha256:" + filepath.Base(layer)}) {
		t.Errorf("Collect = %v, %v; want bash's layer", removed, err)
	}
	if _, err := os.Stat(alpine.Rootfs); err != nil {
		t.Errorf("alpine's layer is gone: %v", err)
	}
	checkNoWork(t, dataRoot)
}

// Two images of the same content share one layer directory; it stays while
// either image does, or while a container mounts it, or while someone
// holds the layers.
func TestLayersShared(t *testing.T) {
	requireRoot(t)
	dataRoot := t.TempDir()
	s := NewStore(dataRoot, nil)
	tarball := smallImage(t, "sh")
	one, err := s.Import(bytes.NewReader(tarball), "one", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	two, err := s.Import(bytes.NewReader(tarball), "two", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if one.Rootfs != two.Rootfs {
		t.Fatalf("two imports of one tarball have layers %s and %s, want one shared", one.Rootfs, two.Rootfs)
	}
	if err := s.Remove("one"); err != nil {
		t.Fatal(err)
	}
	if removed, err := s.Collect(nil); err != nil || len(removed) != 0 {
		t.Fatalf("Collect with image two left = %v, %v; want nothing removed", removed, err)
	}
	if err := s.Remove("two"); err != nil {
		t.Fatal(err)
	}
	// a container of the removed image (rmi -f) still mounts it
	if removed, err := s.Collect([]string{two.Rootfs}); err != nil || len(removed) != 0 {
		t.Fatalf("Collect with a container on it = %v, %v; want nothing removed", removed, err)
	}
	release, err := s.Hold()
	if err != nil {
		t.Fatal(err)
	}
	if removed, err := s.Collect(nil); err != nil || len(removed) != 0 {
		t.Fatalf("Collect while held = %v, %v; want nothing removed", removed, err)
	}
	release()
	if removed, err := s.Collect(nil); err != nil || len(removed) != 1 {
		t.Fatalf("Collect = %v, %v; want the layer removed", removed, err)
	}
	if _, err := os.Stat(one.Rootfs); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the unused layer is still there: %v", err)
	}
	checkNoWork(t, dataRoot)
}

// A refused tarball leaves nothing behind: no image, no work dir.
func TestImportFailureLeavesNothing(t *testing.T) {
	requireRoot(t)
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	w.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "ok", Mode: 0o644})
	w.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "../evil", Mode: 0o644})
	w.Close()
	dataRoot := t.TempDir()
	s := NewStore(dataRoot, nil)
	_, err := s.Import(&buf, "evil", ImportOptions{Limits: unpack.Limits{MaxEntries: 10}})
	if err == nil || !strings.Contains(err.Error(), `import evil: refusing tar entry "../evil"`) {
		t.Fatalf("Import error = %v", err)
	}
	if list, err := s.List(); err != nil || len(list) != 0 {
		t.Errorf("List = %v, %v; want nothing", list, err)
	}
	checkNoWork(t, dataRoot)
}

// A work dir whose lock nobody holds belongs to a kobako that died: the next
// command sweeps it. One whose lock is held, or that has no lock yet, stays.
func TestSweep(t *testing.T) {
	dataRoot := t.TempDir()
	s := NewStore(dataRoot, nil)
	dead, deadLock, err := s.newWorkDir("build-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dead, "image/rootfs/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	deadLock.Close() // what the kernel does when kobako is SIGKILLed
	alive, aliveLock, err := s.newWorkDir("build-")
	if err != nil {
		t.Fatal(err)
	}
	defer aliveLock.Close()
	starting := filepath.Join(dataRoot, "tmp", "build-starting")
	if err := os.Mkdir(starting, 0o700); err != nil {
		t.Fatal(err)
	}

	if _, err := s.List(); err != nil {
		t.Fatalf("List: %v", err)
	}
	for dir, want := range map[string]bool{dead: false, alive: true, starting: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s: exists = %v, want %v", dir, err == nil, want)
		}
	}
}

// The lock is visible under its name only while held.
func TestNewWorkDirHoldsLock(t *testing.T) {
	s := NewStore(t.TempDir(), nil)
	work, lock, err := s.newWorkDir("remove-")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	other, err := os.Open(filepath.Join(work, lockName))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := unix.Flock(int(other.Fd()), unix.LOCK_EX|unix.LOCK_NB); !errors.Is(err, unix.EWOULDBLOCK) {
		t.Errorf("flock of a live work dir's lock = %v, want EWOULDBLOCK", err)
	}
	if st, err := os.Stat(work); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("work dir: %v, %v; want mode 0700", st, err)
	}
}

func TestListEmptyStore(t *testing.T) {
	list, err := NewStore(filepath.Join(t.TempDir(), "none"), nil).List()
	if err != nil || len(list) != 0 {
		t.Errorf("List = %v, %v; want nothing", list, err)
	}
}
