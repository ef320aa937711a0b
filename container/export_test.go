package container

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/testenv"
	"github.com/kobako/kobako/rootfs/unpack"
)

// capNetRaw is a version 2 security.capability value: cap_net_raw=ep, as
// setcap cap_net_raw+ep writes it (magic 0x02000001, then permitted and
// inheritable, low and high words).
var capNetRaw = []byte{1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

// A tree with what an export must keep — owners, modes, a hard link, a
// symlink, a FIFO, a file capability — goes through writeRoot and
// unpack.Tar (kobako import) and comes out the same. A symlink to a host
// file is written as a symlink, and the file's content never appears; a
// device node is left out, and said so.
func TestExportRoundTrip(t *testing.T) {
	testenv.RequireRoot(t, "the tree has files owned by others, a device node and a file capability")
	marker := filepath.Join(t.TempDir(), "marker")
	write(t, marker, "host only", 0o600)
	src := t.TempDir()
	write(t, filepath.Join(src, "etc", "passwd"), "root:x:0:0::/root:/bin/sh\n", 0o644)
	write(t, filepath.Join(src, "bin", "busybox"), "#!/bin/sh\n", 0o755)
	write(t, filepath.Join(src, "owned"), "mine", 0o640)
	must(t, os.Chown(filepath.Join(src, "owned"), 1234, 5678))
	must(t, unix.Chmod(filepath.Join(src, "bin", "busybox"), 0o4755)) // setuid, as the kernel spells it
	must(t, os.Link(filepath.Join(src, "bin", "busybox"), filepath.Join(src, "bin", "true")))
	must(t, os.Symlink(marker, filepath.Join(src, "leak")))
	must(t, unix.Mkfifo(filepath.Join(src, "fifo"), 0o620))
	must(t, unix.Mknod(filepath.Join(src, "mem"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 1))))
	must(t, os.Mkdir(filepath.Join(src, "private"), 0o700))
	must(t, os.Chown(filepath.Join(src, "private"), 1234, 5678))
	capable := filepath.Join(src, "bin", "ping")
	write(t, capable, "ping", 0o755)
	if err := unix.Setxattr(capable, "security.capability", capNetRaw, 0); err != nil {
		t.Fatalf("setcap cap_net_raw+ep: %v", err)
	}

	var buf bytes.Buffer
	res, err := writeRoot(openPath(t, src), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Skipped, []string{"mem"}) {
		t.Errorf("skipped %v, want [mem]", res.Skipped)
	}
	checkTarHeaders(t, buf.Bytes(), "host only")

	dst := t.TempDir()
	if _, err := unpack.Tar(bytes.NewReader(buf.Bytes()), dst, unpack.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	must(t, os.Remove(filepath.Join(src, "mem"))) // the one thing left out
	if got, want := treeListing(t, dst), treeListing(t, src); !slices.Equal(got, want) {
		t.Errorf("unpacked export:\n%v\nwant:\n%v", got, want)
	}
	for _, name := range []string{"owned", "private"} {
		var st unix.Stat_t
		must(t, unix.Lstat(filepath.Join(dst, name), &st))
		if st.Uid != 1234 || st.Gid != 5678 {
			t.Errorf("%s is owned by %d:%d, want 1234:5678", name, st.Uid, st.Gid)
		}
	}
	var a, b unix.Stat_t
	must(t, unix.Lstat(filepath.Join(dst, "bin", "busybox"), &a))
	must(t, unix.Lstat(filepath.Join(dst, "bin", "true"), &b))
	if a.Ino != b.Ino {
		t.Errorf("bin/true and bin/busybox are no longer one file")
	}
	value := make([]byte, 64)
	n, err := unix.Getxattr(filepath.Join(dst, "bin", "ping"), "security.capability", value)
	if err != nil || !bytes.Equal(value[:n], capNetRaw) {
		t.Errorf("bin/ping's capability: %x, %v; want %x", value[:n], err, capNetRaw)
	}
}

// checkTarHeaders checks the stream's own view: the symlink and the hard
// link as such, and the marker's content nowhere.
func checkTarHeaders(t *testing.T, stream []byte, marker string) {
	t.Helper()
	types := map[string]byte{}
	tr := tar.NewReader(bytes.NewReader(stream))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types[hdr.Name] = hdr.Typeflag
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(marker)) {
			t.Errorf("%s holds the host marker's content", hdr.Name)
		}
	}
	for name, want := range map[string]byte{".": tar.TypeDir, "leak": tar.TypeSymlink, "bin/busybox": tar.TypeReg, "bin/true": tar.TypeLink, "fifo": tar.TypeFifo} {
		if types[name] != want {
			t.Errorf("%s: tar type %q, want %q", name, types[name], want)
		}
	}
}

func openPath(t *testing.T, dir string) *os.File {
	t.Helper()
	f, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
