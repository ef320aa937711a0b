package tests

// kobako commit: a container's upper dir becomes one more layer of a new
// image, stacked on the old one's. A container of the new image sees the
// writes, the changes, the deletes (whiteouts) and the replaced directory
// (opaque), while the parent image's files stay as they were.

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--rm", "busybox", "true") // the built-in image, made once
	parent := e.imageRootfs("busybox")
	before := checksums(t, parent)

	e.mustRun("run", "--name", "c1", "busybox", "sh", "-c", changeScript)
	e.mustRun("commit", "c1", "first")
	checkUpper(t, e.imageRootfs("first")) // whiteout and opaque dir kept
	// history: the new layer on top, then busybox's, shared with busybox
	layers := e.imageLayers("first")
	history := strings.Fields(strings.Split(e.mustRun("history", "--no-trunc", "first"), "\n")[2])
	if len(layers) != 2 || layers[0] != e.imageRootfs("busybox") || len(history) != 4 ||
		history[0] != "sha256:"+filepath.Base(layers[0]) || history[2] != "busybox" || history[3] != layers[0] {
		t.Errorf("first's layers are %v, history's second line %q; want busybox's layer below its own, shared", layers, history)
	}
	if got := e.mustRun("run", "--rm", "first", "sh", "-c",
		"cat /new; tail -1 /etc/passwd; test -e /bin/true || echo gone; ls /usr/bin"); got != "new\nchanged\ngone\nmine\n" {
		t.Errorf("a container of the committed image sees %q; want /new, the change, the delete and only /usr/bin/mine", got)
	}
	if after := checksums(t, parent); !maps.Equal(after, before) {
		t.Errorf("commit changed the parent image's files")
	}
	e.mustRun("run", "--name", "c2", "first", "sh", "-c", ":") // /bin/true is gone
	if got := e.mustRun("diff", "c2"); got != "" {
		t.Errorf("diff of a fresh container of the committed image:\n%s\nwant nothing", got)
	}

	// The child shares the parent's layers: rmi of the parent removes the
	// name only, and the child still runs.
	e.mustRun("rm", "c1")
	e.mustRun("rmi", "busybox")
	for _, dir := range layers {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("rmi of the parent removed a layer of its child: %v", err)
		}
	}

	// A second storey: three layers.
	e.mustRun("run", "--name", "c3", "first", "sh", "-c", "echo second > /second; rm /new")
	e.mustRun("commit", "c3", "second")
	if got := e.mustRun("run", "--rm", "second", "sh", "-c",
		"cat /second; test -e /new || echo gone; tail -1 /etc/passwd; ls /usr/bin"); got != "second\ngone\nchanged\nmine\n" {
		t.Errorf("a container of the three-layer image sees %q", got)
	}

	// export reads the merged view: it round-trips through import.
	e.mustRun("run", "--name", "c4", "second", "sh", "-c", ":")
	file := filepath.Join(t.TempDir(), "c4.tar")
	e.mustRun("export", "-o", file, "c4")
	e.mustRun("import", "--name", "flat", file)
	if got := e.mustRun("run", "--rm", "flat", "sh", "-c",
		"cat /second; test -e /new || echo gone; test -e /bin/true || echo gone; ls /usr/bin"); got != "second\ngone\ngone\nmine\n" {
		t.Errorf("a container of the exported and imported image sees %q", got)
	}

	// The last image that lists a layer takes it along.
	e.mustRun("rm", "c2", "c3", "c4")
	e.mustRun("rmi", "first", "second", "flat")
	if left, _ := os.ReadDir(filepath.Join(e.dataRoot, "layers")); len(left) != 0 {
		t.Errorf("layers left after the last rmi: %v", left)
	}
}

// Bad input fails with 125 and one line, and leaves no image behind.
func TestCommitRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--name", "c", "busybox", "sh", "-c", "echo hi > /hi")
	e.mustRun("commit", "c", "taken")
	e.mustRun("run", "-d", "--name", "up", "busybox", "sleep", "1000")
	e.waitRunning("up")
	for _, c := range []struct {
		args  []string
		image string
		want  string
	}{
		{[]string{"commit", "nosuch", "fresh"}, "fresh", "no such container"},
		{[]string{"commit", "c", "taken"}, "", "already exists"},
		{[]string{"commit", "c", "Bad/Name"}, "Bad", "invalid image name"},
		{[]string{"commit", "up", "fromrunning"}, "fromrunning", "stop it first"},
		{[]string{"commit", "c"}, "", "needs a container and a name"},
	} {
		_, stderr, code := e.run(c.args...)
		if code != 125 {
			t.Errorf("%s: exit %d, want 125", strings.Join(c.args, " "), code)
		}
		checkOneLineError(t, stderr, c.want)
		if c.image == "" {
			continue
		}
		if _, err := os.Lstat(filepath.Join(e.dataRoot, "images", c.image)); !os.IsNotExist(err) {
			t.Errorf("%s left images/%s behind (%v)", strings.Join(c.args, " "), c.image, err)
		}
	}
	if got := e.mustRun("run", "--rm", "taken", "cat", "/hi"); got != "hi\n" {
		t.Errorf("the refused commit over taken changed it: /hi = %q", got)
	}
	entries, _ := os.ReadDir(filepath.Join(e.dataRoot, "tmp"))
	for _, entry := range entries {
		t.Errorf("a refused commit left tmp/%s", entry.Name())
	}
}
