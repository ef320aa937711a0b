package tests

// kobako import: a `docker export` tarball becomes an image. The tests
// build their tarballs themselves with archive/tar — a busybox rootfs in
// docker export's layout, and hostile ones that try to write, link, chmod
// or chown outside the image — and check the host from outside afterwards.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tarEntry is one header of a test tarball, with its file data.
type tarEntry struct {
	hdr  tar.Header
	body []byte
}

var tarTime = time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC)

func tarDir(name string, mode int64) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode}}
}

func tarFile(name string, mode int64, body []byte) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body))}, body: body}
}

func tarSymlink(name, target string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}}
}

func tarHardlink(name, target string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o755}}
}

func tarDevice(name string, typ byte, major, minor int64) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: typ, Name: name, Mode: 0o666, Devmajor: major, Devminor: minor}}
}

func tarFifo(name string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: name, Mode: 0o644}}
}

// writeTar writes the entries as a tarball at path, gzip-compressed if gz.
func writeTar(t *testing.T, path string, gz bool, entries []tarEntry) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.hdr
		hdr.ModTime, hdr.Format = tarTime, tar.FormatPAX
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatalf("tar header %s: %v", hdr.Name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatalf("tar data %s: %v", hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if gz {
		var zbuf bytes.Buffer
		zw := gzip.NewWriter(&zbuf)
		if _, err := zw.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		data = zbuf.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// busyboxTar is a busybox rootfs in the layout of `docker export`: names
// without "./", .dockerenv, applets as symlinks and as hard links (docker's
// busybox image has the latter). It returns the entries and how many names
// /bin holds.
func busyboxTar(t *testing.T) (entries []tarEntry, binCount int) {
	t.Helper()
	busybox, err := os.ReadFile(hostBusybox)
	if err != nil {
		t.Fatal(err)
	}
	entries = []tarEntry{
		tarFile(".dockerenv", 0o755, nil),
		tarDir("bin/", 0o755),
		tarFile("bin/busybox", 0o755, busybox),
	}
	symlinked := []string{"sh", "ls", "cat", "wc", "echo", "hostname"}
	hardlinked := []string{"true", "false", "sleep", "test", "mkdir", "ps"}
	for _, applet := range symlinked {
		entries = append(entries, tarSymlink("bin/"+applet, "busybox"))
	}
	for _, applet := range hardlinked {
		entries = append(entries, tarHardlink("bin/"+applet, "bin/busybox"))
	}
	entries = append(entries,
		tarDir("dev/", 0o755),
		tarDir("etc/", 0o755),
		tarFile("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n")),
		tarFile("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")),
		tarDir("home/", 0o755),
		tarDir("proc/", 0o755),
		tarDir("root/", 0o700),
		tarDir("sys/", 0o755),
		tarDir("tmp/", 0o1777),
		tarDir("usr/", 0o755),
		tarDir("usr/sbin/", 0o755),
		tarDir("var/", 0o755),
	)
	return entries, 1 + len(symlinked) + len(hardlinked)
}

// images lists the names `kobako images` shows.
func (e *env) images() []string {
	e.t.Helper()
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(e.mustRun("images")), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names
}

func (e *env) hasImage(name string) bool {
	e.t.Helper()
	for _, n := range e.images() {
		if n == name {
			return true
		}
	}
	return false
}

// A busybox tarball imports from a file, a gzipped file and stdin; the
// image runs, is listed, and goes with rmi.
func TestImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	entries, binCount := busyboxTar(t)
	dir := t.TempDir()
	plain, gz := filepath.Join(dir, "bb.tar"), filepath.Join(dir, "bb.tar.gz")
	writeTar(t, plain, false, entries)
	writeTar(t, gz, true, entries)

	for _, tc := range []struct {
		name, file string
		stdin      string // a file to read as stdin, for "-"
	}{
		{"bb", plain, ""},
		{"bbgz", gz, ""},
		{"bbstdin", "-", gz},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in *os.File
			if tc.stdin != "" {
				f, err := os.Open(tc.stdin)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				in = f
			}
			stdout, stderr, code := e.runWithInput(in, "import", "--name", tc.name, tc.file)
			if code != 0 {
				t.Fatalf("import: exit %d, stderr:\n%s", code, stderr)
			}
			if got := strings.TrimSpace(stdout); got != tc.name {
				t.Errorf("import printed %q, want the image name %q", got, tc.name)
			}
			if !e.hasImage(tc.name) {
				t.Errorf("images does not list %s: %v", tc.name, e.images())
			}
			out := e.mustRun("run", "--rm", tc.name, "/bin/sh", "-c", "ls /bin | wc -l; test -e /.dockerenv && echo dockerenv")
			if f := strings.Fields(out); len(f) != 2 || f[0] != strconv.Itoa(binCount) || f[1] != "dockerenv" {
				t.Errorf("ls /bin | wc -l in %s: %q, want %d and dockerenv", tc.name, out, binCount)
			}
			// No command: the image's /bin/sh, reading an empty stdin.
			e.mustRun("run", "--rm", tc.name)

			e.mustRun("rmi", tc.name)
			if e.hasImage(tc.name) {
				t.Errorf("images lists %s after rmi", tc.name)
			}
			if _, err := os.Lstat(filepath.Join(e.dataRoot, "images", tc.name)); err == nil {
				t.Errorf("images/%s still exists after rmi", tc.name)
			}
		})
	}
}

// rmi refuses an image that a container still uses, even an exited one.
func TestRmiInUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	entries, _ := busyboxTar(t)
	tarball := filepath.Join(t.TempDir(), "bb.tar")
	writeTar(t, tarball, false, entries)
	e.mustRun("import", "--name", "bbu", tarball)
	e.mustRun("run", "--name", "user", "bbu", "true")

	_, stderr, code := e.run("rmi", "bbu")
	if code == 0 {
		t.Errorf("rmi of an image in use succeeded")
	}
	checkOneLineError(t, stderr, "user")
	if !e.hasImage("bbu") {
		t.Fatalf("images lost bbu after a refused rmi")
	}
	if _, err := os.Stat(filepath.Join(e.imageRootfs("bbu"), "bin", "busybox")); err != nil {
		t.Errorf("bbu's rootfs damaged by a refused rmi: %v", err)
	}
	e.mustRun("rm", "user")
	e.mustRun("rmi", "bbu")
	if _, stderr, code := e.run("rmi", "bbu"); code == 0 {
		t.Errorf("rmi of a removed image succeeded")
	} else {
		checkOneLineError(t, stderr, "bbu")
	}
}
