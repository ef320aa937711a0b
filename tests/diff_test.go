package tests

// kobako diff and kobako export: the "Copy on Write" chapter seen from
// outside. A container's writes land in its upper dir — a new file, a
// copied-up changed one, a whiteout for a deleted one — and the image below
// never changes; diff reads those as A, C and D. export flattens image and
// upper dir into one docker-export tarball that import turns back into an
// image. Symlinks the container plants stay symlinks (security-tests.md
// B9): export never reads a host file through them.

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// changeScript adds /new, changes /etc/passwd, deletes /bin/true, and
// replaces /usr/bin with a directory of its own (overlayfs marks it opaque).
const changeScript = `echo new > /new; echo changed >> /etc/passwd; rm /bin/true; ` +
	`rm -rf /usr/bin; mkdir /usr/bin; echo mine > /usr/bin/mine`

// wantChanges is what diff prints after changeScript: every name the image
// has in /usr/bin is gone, and the parents of the changes show as C.
func wantChanges(t *testing.T, image string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(image, "usr", "bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatalf("the busybox image has an empty /usr/bin: the opaque case would test nothing")
	}
	want := []string{"C /bin", "D /bin/true", "C /etc", "C /etc/passwd", "A /new", "C /usr", "C /usr/bin"}
	for _, e := range entries {
		want = append(want, "D /usr/bin/"+e.Name())
	}
	want = append(want, "A /usr/bin/mine")
	slices.SortFunc(want[len(want)-len(entries)-1:], func(a, b string) int { return strings.Compare(a[2:], b[2:]) })
	return want
}

// checksums is every name under dir with its mode and a sha256 of its
// content (or its link target).
func checksums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		var data []byte
		switch {
		case fi.Mode().IsRegular():
			data, err = os.ReadFile(path)
		case fi.Mode()&fs.ModeSymlink != 0:
			var target string
			target, err = os.Readlink(path)
			data = []byte(target)
		}
		sums[strings.TrimPrefix(path, dir)] = fmt.Sprintf("%v %x", fi.Mode(), sha256.Sum256(data))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// A write, a change, a delete and a replaced directory show in diff as A,
// C and D, in the container's upper dir as a file, a copy and a whiteout
// — the same for a running container and a stopped one — while the image's
// files keep their checksums.
func TestDiff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--rm", "busybox", "true") // the built-in image, made once
	image := e.imageRootfs("busybox")
	before := checksums(t, image)
	want := wantChanges(t, image)

	e.mustRun("run", "-d", "--name", "running", "busybox", "sh", "-c", changeScript+"; touch /done; sleep 1000")
	init := e.waitRunning("running")
	waitForFile(t, init.Pid, "/done")
	e.mustRun("run", "--name", "stopped", "busybox", "sh", "-c", changeScript)
	for _, name := range []string{"running", "stopped"} {
		got := strings.Split(strings.TrimSpace(e.mustRun("diff", name)), "\n")
		if name == "running" {
			got = slices.DeleteFunc(got, func(l string) bool { return l == "A /done" })
		}
		if !slices.Equal(got, want) {
			t.Errorf("diff %s:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		checkUpper(t, e.inspect(name).Overlay.Upper)
	}
	if after := checksums(t, image); !maps.Equal(after, before) {
		t.Errorf("the image changed under the containers' writes")
	}
}

// checkUpper looks at the upper dir by hand, as the article does with ls -l upper.
func checkUpper(t *testing.T, upper string) {
	t.Helper()
	if got := readString(t, filepath.Join(upper, "new")); got != "new\n" {
		t.Errorf("upper/new = %q", got)
	}
	if got := readString(t, filepath.Join(upper, "etc", "passwd")); !strings.HasPrefix(got, "root:") || !strings.HasSuffix(got, "changed\n") {
		t.Errorf("upper/etc/passwd is not the whole file, changed: %q", got)
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(filepath.Join(upper, "bin", "true"), &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFCHR || st.Rdev != 0 {
		t.Errorf("upper/bin/true is not a whiteout (c 0 0): mode %o rdev %d, %v", st.Mode, st.Rdev, err)
	}
	value := make([]byte, 8)
	n, err := syscall.Getxattr(filepath.Join(upper, "usr", "bin"), "trusted.overlay.opaque", value)
	if err != nil || string(value[:n]) != "y" {
		t.Errorf("upper/usr/bin is not opaque: %q, %v", value[:max(n, 0)], err)
	}
}

// exportScript makes what a round trip must keep: an owner, modes, a
// symlink, a hard link, a FIFO, a setuid file; and a change and a delete
// of image files.
const exportScript = `mkdir /data && echo hi > /data/f && chmod 640 /data/f && ` +
	`chown 1234:5678 /data /data/f && ln /data/f /data/hard && ln -s f /data/sym && ` +
	`mkfifo /data/fifo && cp /bin/busybox /data/suid && chmod 4755 /data/suid && ` +
	`echo changed >> /etc/passwd && rm /bin/true`

// export | import round-trips a container, stopped (-o FILE) or running
// (stdout into import -): the new image has the owners, modes and links,
// and a container of it sees the changes.
func TestExportImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--name", "stopped", "busybox", "sh", "-c", exportScript)
	file := filepath.Join(t.TempDir(), "stopped.tar")
	e.mustRun("export", "-o", file, "stopped")
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("export -o made %v, %v; want a 0600 file", fi, err)
	}
	e.mustRun("import", "--name", "fromstopped", file)

	e.mustRun("run", "-d", "--name", "running", "busybox", "sh", "-c", exportScript+" && touch /done; sleep 1000")
	init := e.waitRunning("running")
	waitForFile(t, init.Pid, "/done")
	stream := e.mustRun("export", "running")
	checkMountsLeftOut(t, stream)
	if _, stderr, code := e.runWithInput(strings.NewReader(stream), "import", "--name", "fromrunning", "-"); code != 0 {
		t.Fatalf("import - of the export: exit %d, %s", code, stderr)
	}

	for _, image := range []string{"fromstopped", "fromrunning"} {
		rootfs := e.imageRootfs(image)
		checkExported(t, image, rootfs)
		out := e.mustRun("run", "--rm", image, "sh", "-c", "tail -1 /etc/passwd; test -e /bin/true || echo gone; cat /data/sym")
		if out != "changed\ngone\nhi\n" {
			t.Errorf("a container of %s sees %q, want the change, the delete and the file", image, out)
		}
	}
}

// checkExported looks at the imported tree from outside.
func checkExported(t *testing.T, image, rootfs string) {
	t.Helper()
	for _, c := range []struct {
		name     string
		mode     fs.FileMode
		uid, gid uint32
	}{
		{"data", fs.ModeDir | 0o755, 1234, 5678},
		{"data/f", 0o640, 1234, 5678},
		{"data/hard", 0o640, 1234, 5678},
		{"data/sym", fs.ModeSymlink | 0o777, 0, 0},
		{"data/fifo", fs.ModeNamedPipe | 0o644, 0, 0},
		{"data/suid", fs.ModeSetuid | 0o755, 0, 0},
	} {
		fi, err := os.Lstat(filepath.Join(rootfs, c.name))
		if err != nil {
			t.Errorf("%s: %v", image, err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode() != c.mode || st.Uid != c.uid || st.Gid != c.gid {
			t.Errorf("%s: /%s is %v %d:%d, want %v %d:%d", image, c.name, fi.Mode(), st.Uid, st.Gid, c.mode, c.uid, c.gid)
		}
	}
	f, errF := os.Stat(filepath.Join(rootfs, "data", "f"))
	hard, errH := os.Stat(filepath.Join(rootfs, "data", "hard"))
	if errF != nil || errH != nil || !os.SameFile(f, hard) {
		t.Errorf("%s: /data/hard is not a hard link of /data/f (%v %v)", image, errF, errH)
	}
	if target, err := os.Readlink(filepath.Join(rootfs, "data", "sym")); target != "f" {
		t.Errorf("%s: /data/sym -> %q, %v; want f", image, target, err)
	}
	if _, err := os.Lstat(filepath.Join(rootfs, "bin", "true")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s: /bin/true deleted in the container, but the image has it (%v)", image, err)
	}
}

// tarEntries reads a tar stream into name → header, and name → data.
func tarEntries(t *testing.T, stream string) (map[string]*tar.Header, map[string]string) {
	t.Helper()
	headers, data := map[string]*tar.Header{}, map[string]string{}
	tr := tar.NewReader(strings.NewReader(stream))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return headers, data
		}
		if err != nil {
			t.Fatalf("read the exported tarball: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(hdr.Name, "./"), "/")
		headers[name], data[name] = hdr, string(body)
	}
}

// checkMountsLeftOut: what a running container has mounted is not its file
// system — /proc, /sys and /dev are empty directories, the files bound
// over /etc empty files, as docker export has them.
func checkMountsLeftOut(t *testing.T, stream string) {
	t.Helper()
	headers, data := tarEntries(t, stream)
	for name := range headers {
		for _, mount := range []string{"proc/", "sys/", "dev/"} {
			if strings.HasPrefix(name, mount) {
				t.Errorf("the export has %s, inside the container's %s mount", name, mount)
			}
		}
	}
	for _, dir := range []string{"proc", "sys", "dev"} {
		if hdr := headers[dir]; hdr == nil || hdr.Typeflag != tar.TypeDir {
			t.Errorf("the export has no directory %s", dir)
		}
	}
	for _, file := range []string{"etc/hosts", "etc/hostname", "etc/resolv.conf"} {
		if hdr, ok := headers[file]; ok && (hdr.Typeflag != tar.TypeReg || data[file] != "") {
			t.Errorf("the export has %s with %q: the file kobako binds there, not the container's", file, data[file])
		}
	}
}

// Symlinks planted in the container, to a host marker (absolute and
// relative), are exported as symlinks: the marker is never read, nor
// changed, whether export reads the running container's /proc/<pid>/root
// or the stopped one's layers. diff lists them as names.
func TestExportPlantedSymlinks(t *testing.T) {
	t.Parallel()
	for _, running := range []bool{true, false} {
		name := map[bool]string{true: "running", false: "stopped"}[running]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			marker, content := writeMarker(t)
			before := stateOf(t, marker)
			e.plantLinksIn("p", marker, running)
			headers, data := tarEntries(t, e.mustRun("export", "p"))
			for link, target := range map[string]string{"abs": marker, "rel": "../../.." + marker, "d": "/tmp", "x": "/etc"} {
				if hdr := headers[link]; hdr == nil || hdr.Typeflag != tar.TypeSymlink || hdr.Linkname != target {
					t.Errorf("/%s in the export: %+v, want a symlink to %s", link, hdr, target)
				}
			}
			for n, body := range data {
				if strings.Contains(body, content) {
					t.Errorf("the export's %s holds the host marker's content", n)
				}
			}
			diff := e.mustRun("diff", "p")
			for _, want := range []string{"A /abs\n", "A /rel\n", "A /d\n", "A /x\n"} {
				if !strings.Contains(diff, want) {
					t.Errorf("diff p lacks %q:\n%s", want, diff)
				}
			}
			if after := stateOf(t, marker); after != before {
				t.Errorf("the marker changed: %+v, was %+v", after, before)
			}
		})
	}
}

// export writes a tarball only where it is told to: never to a terminal
// (docker's refusal), never over a device through -o.
func TestExportRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--name", "c", "busybox", "true")

	term := e.startOnTerminal(24, 80, "export", "c")
	out, code := term.wait(t)
	if code != 1 || !strings.Contains(out, "cowardly refusing to save to a terminal. Use the -o flag or redirect") {
		t.Errorf("export to a terminal: exit %d, output %q; want 1 and docker's refusal", code, out)
	}
	if strings.Contains(out, "ustar") {
		t.Errorf("export wrote a tarball to the terminal")
	}

	before := stateOf(t, os.DevNull)
	_, stderr, code := e.run("export", "-o", os.DevNull, "c")
	if code != 1 {
		t.Errorf("export -o /dev/null: exit %d, want 1", code)
	}
	checkOneLineError(t, stderr, "not a regular file")
	if after := stateOf(t, os.DevNull); after != before {
		t.Errorf("export -o replaced /dev/null: %+v, was %+v", after, before)
	}

	_, stderr, code = e.run("export", "-o", filepath.Join(t.TempDir(), "x.tar"), "nosuch")
	if code != 1 {
		t.Errorf("export of no container: exit %d, want 1", code)
	}
	checkOneLineError(t, stderr, "no such container")
	_, stderr, _ = e.run("diff")
	checkOneLineError(t, stderr, `"diff" needs one container`)
}

// The tarball export writes is what docker export writes: a plain tar of
// relative names, readable by tar(1) itself.
func TestExportIsPlainTar(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--name", "c", "busybox", "sh", "-c", "echo hi > /hello")
	stream := e.mustRun("export", "c")
	dir := t.TempDir()
	e2 := execTar(t, dir, stream)
	if got := readString(t, filepath.Join(dir, "hello")); got != "hi\n" || e2 != nil {
		t.Errorf("tar -x of the export: hello = %q, %v", got, e2)
	}
	headers, _ := tarEntries(t, stream)
	for name, hdr := range headers {
		if strings.HasPrefix(hdr.Name, "/") || strings.Contains("/"+name+"/", "/../") {
			t.Errorf("entry %q is not a relative name", hdr.Name)
		}
	}
}

// execTar is tar -x -C dir < stream, by the host's tar.
func execTar(t *testing.T, dir, stream string) error {
	t.Helper()
	cmd := exec.Command("tar", "-x", "-C", dir)
	cmd.Stdin = bytes.NewReader([]byte(stream))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}
