package tests

// The image store's layers, content-addressed and shared: what the image
// directories say, and what the kernel sees (the same inodes).

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// imageLayers returns the directories of the image name's layers, lowest
// first, as its image.json lists them.
func (e *env) imageLayers(name string) []string {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.dataRoot, "images", name, "image.json"))
	if err != nil {
		e.t.Fatalf("image %s: %v", name, err)
	}
	var img struct{ Layers []string }
	if err := json.Unmarshal(data, &img); err != nil {
		e.t.Fatalf("image %s: %v", name, err)
	}
	var dirs []string
	for _, id := range img.Layers {
		hex, ok := strings.CutPrefix(id, "sha256:")
		if !ok || len(hex) != 64 {
			e.t.Fatalf("image %s lists layer %q, not sha256:<64 hex digits>", name, id)
		}
		dirs = append(dirs, filepath.Join(e.dataRoot, "layers", hex))
	}
	if len(dirs) == 0 {
		e.t.Fatalf("image %s lists no layers", name)
	}
	return dirs
}

// imageRootfs is the directory of the image name's top layer: for an
// image of one layer, its whole tree.
func (e *env) imageRootfs(name string) string {
	e.t.Helper()
	layers := e.imageLayers(name)
	return layers[len(layers)-1]
}

// Two containers of one image mount the very same layer directories: a
// file neither of them changed is one inode on the host, and overlayfs
// shows each container that inode (its lower layers and upper dirs are on
// one file system, so it passes the lower's st_ino through).
func TestLayersSharedByContainers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--rm", "busybox", "true") // the built-in image, made once
	_, host := statIno(t, filepath.Join(e.imageRootfs("busybox"), "bin", "busybox"))
	for _, name := range []string{"one", "two"} {
		e.mustRun("run", "-d", "--name", name, "busybox", "sleep", "30")
		got := strings.TrimSpace(e.mustRun("exec", name, "stat", "-c", "%i", "/bin/busybox"))
		if got != strconv.FormatUint(host, 10) {
			t.Errorf("container %s sees /bin/busybox as inode %s, the image's layer has %d: not shared", name, got, host)
		}
		var inspected []struct{ Overlay struct{ Lower []string } }
		if err := json.Unmarshal([]byte(e.mustRun("inspect", name)), &inspected); err != nil || len(inspected) != 1 {
			t.Fatalf("inspect %s: %v", name, err)
		}
		if want := e.imageLayers("busybox"); !slices.Equal(inspected[0].Overlay.Lower, want) {
			t.Errorf("container %s's lower layers are %v, want the image's %v", name, inspected[0].Overlay.Lower, want)
		}
	}
}

// rmi -f removes an image that only stopped containers use; they keep its
// layers, run again, and take the layers along when they go. A running
// container's image is not removed, -f or not.
func TestRmiForce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	entries, _ := busyboxTar(t)
	tarball := filepath.Join(t.TempDir(), "bb.tar")
	writeTar(t, tarball, false, entries)
	e.mustRun("import", "--name", "bbf", tarball)
	layers := e.imageLayers("bbf")
	e.mustRun("run", "--name", "stopped", "bbf", "sh", "-c", "echo kept > /kept")

	_, stderr, code := e.run("rmi", "bbf")
	if code == 0 {
		t.Fatalf("rmi of an image a stopped container uses succeeded without -f")
	}
	checkOneLineError(t, stderr, "stopped", "rmi -f")

	e.mustRun("run", "-d", "--name", "running", "bbf", "sleep", "30")
	_, stderr, code = e.run("rmi", "-f", "bbf")
	if code == 0 {
		t.Fatalf("rmi -f of a running container's image succeeded")
	}
	checkOneLineError(t, stderr, "running container(s) running")
	e.mustRun("rm", "-f", "running")

	e.mustRun("rmi", "-f", "bbf")
	if e.hasImage("bbf") {
		t.Errorf("images still lists bbf after rmi -f")
	}
	for _, dir := range layers {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("rmi -f removed a layer its stopped container mounts: %v", err)
		}
	}
	if out, stderr, code := e.run("start", "-a", "stopped"); code != 0 {
		t.Errorf("start of the container after rmi -f: exit %d, %s%s", code, out, stderr)
	}
	out := e.mustRun("rm", "stopped")
	if !strings.Contains(out, "deleted layer sha256:"+filepath.Base(layers[0])) {
		t.Errorf("rm of the last container printed %q, want its image's layer deleted", out)
	}
	if left, _ := os.ReadDir(filepath.Join(e.dataRoot, "layers")); len(left) != 0 {
		t.Errorf("layers left after the last user went: %v", left)
	}
}

// A killed import leaves no image and no layer; the next command removes
// its work dir (crash safety: the image appears by one rename, its layer
// by another, and a work dir whose lock died is swept).
func TestImportKilled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	entries, _ := busyboxTar(t)
	tarball := filepath.Join(t.TempDir(), "bb.tar")
	writeTar(t, tarball, false, entries)
	data, err := os.ReadFile(tarball)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := e.command(ctx, "import", "--name", "half", "-")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Half the tarball, then nothing: kobako is in the middle of unpacking.
	if _, err := stdin.Write(data[:len(data)/2]); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(e.dataRoot, "tmp")
	waitFor(t, "the import to start unpacking", func() bool {
		work, _ := filepath.Glob(filepath.Join(tmp, "build-*", "tree", "bin"))
		return len(work) > 0
	})
	cmd.Process.Kill()
	cmd.Wait()
	stdin.Close()

	if e.hasImage("half") {
		t.Errorf("a killed import registered its image")
	}
	if left, _ := os.ReadDir(filepath.Join(e.dataRoot, "layers")); len(left) != 0 {
		t.Errorf("a killed import left layers: %v", left)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("tmp/ still has %v after the next command; want the dead work dir swept", left)
	}
	// and the same import, whole, works
	if _, stderr, code := e.runWithInput(bytes.NewReader(data), "import", "--name", "half", "-"); code != 0 {
		t.Errorf("import after the killed one: exit %d, %s", code, stderr)
	}
}

// A killed commit leaves no image and no layer of its own; the next
// command removes its work dir. The container's layer is big enough for
// the copy to take a while, and kobako is killed once it has begun.
func TestCommitKilled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--name", "big", "busybox", "sh", "-c",
		"for i in $(seq 200); do dd if=/dev/zero of=/f$i bs=64k count=4 2>/dev/null; done")
	before, _ := os.ReadDir(filepath.Join(e.dataRoot, "layers"))

	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := e.command(ctx, "commit", "big", "half")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(e.dataRoot, "tmp")
	// Every millisecond, not waitFor's 20: the copy takes a few tenths of
	// a second only, and nothing makes it wait.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if copied, _ := filepath.Glob(filepath.Join(tmp, "build-*", "layer", "f*")); len(copied) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the commit never started copying")
		}
	}
	cmd.Process.Kill()
	cmd.Wait()

	if e.hasImage("half") { // and images sweeps the dead work dir
		t.Errorf("a killed commit registered its image")
	}
	if after, _ := os.ReadDir(filepath.Join(e.dataRoot, "layers")); len(after) != len(before) {
		t.Errorf("layers/ had %d entries before the killed commit, %d after", len(before), len(after))
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("tmp/ still has %v after the next command", left)
	}
	e.mustRun("commit", "big", "half")
	if got := e.mustRun("run", "--rm", "half", "sh", "-c", "ls / | grep -c '^f'"); got != "200\n" {
		t.Errorf("the commit after the killed one has %q files f*, want 200", got)
	}
}

// A container whose image rmi -f removed cannot be committed: its layer
// belongs on that image. Nor on a new image of the same name.
func TestCommitAfterRmiForce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	entries, _ := busyboxTar(t)
	first := filepath.Join(t.TempDir(), "first.tar")
	writeTar(t, first, false, entries)
	e.mustRun("import", "--name", "bbc", first)
	e.mustRun("run", "--name", "orphan", "bbc", "sh", "-c", "echo hi > /hi")
	e.mustRun("rmi", "-f", "bbc")

	_, stderr, code := e.run("commit", "orphan", "out")
	if code != 125 {
		t.Errorf("commit of a container whose image is gone: exit %d, want 125", code)
	}
	checkOneLineError(t, stderr, "bbc was removed (rmi -f)")

	second := filepath.Join(t.TempDir(), "second.tar")
	writeTar(t, second, false, append(slices.Clone(entries), tarFile("other", 0o644, []byte("another image\n"))))
	e.mustRun("import", "--name", "bbc", second)
	_, stderr, code = e.run("commit", "orphan", "out")
	if code != 125 {
		t.Errorf("commit onto a new image of the old name: exit %d, want 125", code)
	}
	checkOneLineError(t, stderr, "earlier image bbc")
	if e.hasImage("out") {
		t.Errorf("a refused commit made the image out")
	}
}
