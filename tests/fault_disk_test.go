package tests

// Faults of the file system, for real: the data root on a small tmpfs that
// fills up in the middle of an import, of a commit, of writing a new
// container's files; the state dir full, or read-only. Nothing is
// injected: the kernel answers ENOSPC and EROFS itself.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// tmpfsSize is the small file system the data root is put on: the
// built-in busybox image (about 2 MB) fits, with room for a container.
const tmpfsSize = 8 << 20

// An import of a tarball bigger than the file system fails in the middle
// of unpacking: one line, exit 1, no image, no layer, no work dir.
func faultImportENOSPC(t *testing.T) {
	e := newEnv(t)
	e.dataOnTmpfs(tmpfsSize)
	e.mustRun("run", "--rm", "busybox", "true") // the built-in image, made once
	tarball := filepath.Join(t.TempDir(), "big.tar")
	writeTar(t, tarball, false, []tarEntry{
		tarDir("data/", 0o755),
		tarFile("data/a", 0o644, randomBytes(t, tmpfsSize/2)),
		tarFile("data/b", 0o644, randomBytes(t, tmpfsSize/2)),
		tarFile("data/c", 0o644, randomBytes(t, tmpfsSize/2)),
	})
	before := e.snapshot()
	e.expectFailure(before, "", 1, "no space left on device", "import", "--name", "big", tarball)
}

// A commit whose copy of the container's layer does not fit fails in the
// middle of the copy: one line, exit 125 (commit's, as commit_test.go
// has it), no image, no layer, the container as it was.
func faultCommitENOSPC(t *testing.T) {
	e := newEnv(t)
	fs := e.dataOnTmpfs(tmpfsSize)
	e.mustRun("run", "--rm", "busybox", "true")
	// a layer of two thirds of what is free: it fits once, not twice
	kb := freeBytes(t, fs) * 2 / 3 >> 10
	e.mustRun("run", "--name", "c", "busybox", "dd", "if=/dev/zero", "of=/fill", "bs=1k", fmt.Sprintf("count=%d", kb))
	before := e.snapshot()
	e.expectFailure(before, "", 125, "no space left on device", "commit", "c", "full")
}

// A new container on a data root with little room left: from none at all
// to enough, a page more each time, so that the disk fills up at each of
// the files a run writes in turn (the container's dir, config, record,
// /etc files, log). Each run either works, or fails with one line and
// leaves nothing.
func faultDataRootFull(t *testing.T) {
	e := newEnv(t)
	fs := e.dataOnTmpfs(tmpfsSize)
	e.mustRun("run", "--rm", "busybox", "true")
	e.sweepFreeSpace(fs, 96<<10)
}

// The same with the state dir (--root) on a tmpfs of its own: its
// directories take no room, state.json does.
func faultStateDirFull(t *testing.T) {
	e := newEnv(t)
	fs := e.tmpfs(1 << 20)
	e.root = filepath.Join(fs, "run")
	e.mustRun("run", "--rm", "busybox", "true")
	e.sweepFreeSpace(fs, 32<<10)
}

// sweepFreeSpace runs a container, in the foreground and detached (whose
// monitor writes the state instead), with 0, 4k, 8k … up to max bytes
// free on fs. With nothing free, it must fail.
func (e *env) sweepFreeSpace(fs string, max int64) {
	t := e.t
	page := int64(os.Getpagesize())
	for free := int64(0); free <= max; free += page {
		for _, detach := range []string{"--detach=false", "--detach"} {
			fillTmpfs(t, fs, free)
			before := e.snapshot()
			_, stderr, code := e.run("run", detach, "--name", "s", "busybox", "true")
			what := fmt.Sprintf("run %s with %d bytes free", detach, free)
			switch {
			case code == 0:
				if free == 0 {
					t.Errorf("%s: it worked", what)
				}
				e.mustRun("rm", "-f", "s")
			case code != 125:
				t.Errorf("%s: exit %d, want 125; stderr:\n%s", what, code, stderr)
			default:
				checkOneLineError(t, stderr, "no space left on device")
			}
			e.expectHost(before, what, stderr)
		}
	}
	if err := os.Remove(filepath.Join(fs, "filler")); err != nil {
		t.Fatal(err)
	}
}

// A read-only state dir: every command that must write there fails
// with one line and makes nothing, elsewhere either. (create writes only
// in the data root, and works.)
func faultStateDirReadOnly(t *testing.T) {
	e := newEnv(t)
	e.mustRun("run", "--rm", "busybox", "true")
	e.mustRun("create", "--name", "made", "busybox", "true")
	bindReadOnly(t, e.root)
	before := e.snapshot()
	for _, args := range [][]string{
		{"run", "--rm", "busybox", "true"},
		{"run", "--name", "r", "busybox", "true"},
		{"run", "-d", "--name", "d", "busybox", "sleep", "1000"},
	} {
		e.expectFailure(before, "", 125, "read-only file system", args...)
	}
	e.expectStartFailure(before, "", "read-only file system", "made")
}

// dataOnTmpfs moves the env's data root onto a new tmpfs of size bytes,
// and returns the tmpfs's mount point.
func (e *env) dataOnTmpfs(size int64) string {
	fs := e.tmpfs(size)
	e.dataRoot = filepath.Join(fs, "data")
	return fs
}

// tmpfs mounts a tmpfs for the env's data root or state dir. Its
// containers are removed before it goes (clean-ups run last first):
// newEnv's own clean-up would find an empty dir where they were.
func (e *env) tmpfs(size int64) string {
	fs := mountTmpfs(e.t, size)
	e.t.Cleanup(e.removeContainers)
	return fs
}

// removeContainers force-removes every container of the env.
func (e *env) removeContainers() {
	if ids := e.containerIDs(); len(ids) > 0 {
		_, stderr, code, err := e.exec(nil, append([]string{"rm", "-f"}, ids...)...)
		if err != nil || code != 0 {
			e.t.Errorf("cleanup: kobako rm -f %s: exit %d, %v, stderr:\n%s", strings.Join(ids, " "), code, err, stderr)
		}
	}
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory of the
// test's, and unmounts it when the test ends.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// mount -t tmpfs -o size=… kobako-fault DIR
	if err := unix.Mount("kobako-fault", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		t.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() { unmount(t, dir) })
	return dir
}

// bindReadOnly makes dir a read-only bind mount of itself until the test
// ends: mount --bind DIR DIR && mount -o remount,bind,ro DIR.
func bindReadOnly(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(dir, dir, "", unix.MS_BIND, ""); err != nil {
		t.Fatalf("mount --bind %s: %v", dir, err)
	}
	t.Cleanup(func() { unmount(t, dir) })
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
		t.Fatalf("mount -o remount,bind,ro %s: %v", dir, err)
	}
}

// unmount undoes a mount of the test's. If something kobako left keeps it
// busy, that is a failure — and it is detached all the same, so that the
// host gets it back.
func unmount(t *testing.T, dir string) {
	err := unix.Unmount(dir, 0)
	if errors.Is(err, unix.EBUSY) {
		t.Errorf("umount %s: busy: something kobako made is still using it", dir)
		err = unix.Unmount(dir, unix.MNT_DETACH)
	}
	if err != nil {
		t.Errorf("umount %s: %v", dir, err)
	}
}

// fillTmpfs leaves free bytes (rounded up to pages) free on the tmpfs fs:
// a filler file takes everything, then gives the rest back.
func fillTmpfs(t *testing.T, fs string, free int64) {
	t.Helper()
	path := filepath.Join(fs, "filler")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 64<<10)
	var size int64
	for {
		n, err := f.Write(block)
		size += int64(n)
		if errors.Is(err, unix.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatalf("fill %s: %v", fs, err)
		}
	}
	if err := f.Truncate(max(size-free, 0)); err != nil {
		t.Fatal(err)
	}
	if got := freeBytes(t, fs); got < free || got > free+int64(os.Getpagesize()) {
		t.Fatalf("fill %s: %d bytes free, want %d", fs, got, free)
	}
}

// freeBytes is what df shows available on fs, in bytes.
func freeBytes(t *testing.T, fs string) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(fs, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// randomBytes are n bytes no file system compresses.
func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	f, err := os.Open("/dev/urandom")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := io.ReadFull(f, b); err != nil {
		t.Fatal(err)
	}
	return b
}
