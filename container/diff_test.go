package container

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/testenv"
)

// layer builds a directory tree from lines like "d etc", "f etc/passwd",
// "l lib /" (a symlink and its target), "w etc/group" (a whiteout: mknod
// c 0 0) and "o home" (a directory marked trusted.overlay.opaque=y).
func layer(t *testing.T, lines ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, line := range lines {
		kind, rest, _ := strings.Cut(line, " ")
		name, target, _ := strings.Cut(rest, " ")
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch kind {
		case "d":
			err = os.Mkdir(p, 0o755)
		case "f":
			err = os.WriteFile(p, []byte(name), 0o644)
		case "l":
			err = os.Symlink(target, p)
		case "w":
			err = unix.Mknod(p, unix.S_IFCHR|0o000, 0) // what overlayfs leaves for rm
		case "o":
			if err = os.Mkdir(p, 0o755); err == nil {
				err = unix.Setxattr(p, "trusted.overlay.opaque", []byte("y"), 0)
			}
		default:
			t.Fatalf("layer line %q: unknown kind", line)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func checkChanges(t *testing.T, upper string, lower []string, want ...string) {
	t.Helper()
	changes, err := layerChanges(upper, lower)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, c.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A crafted upper dir over one image layer: what rm, echo >>, echo > and
// rm -rf + mkdir leave there, and two traps. The image's "lib -> /" is not
// followed into the host's /etc (lib's contents are all new); the upper's
// "link -> /etc" is a name, not a directory to enter.
func TestDiffCrafted(t *testing.T) {
	testenv.RequireRoot(t, "whiteouts are made with mknod and opaque dirs with trusted.* xattrs")
	lower := layer(t,
		"f bin/true", "f bin/sh",
		"f etc/passwd", "f etc/group",
		"f home/user/.profile",
		"l lib /",
		"f var/cache/a",
	)
	upper := layer(t,
		"w bin/true",
		"f etc/passwd", "w etc/group", "f etc/new.conf",
		"o home", "f home/other/file",
		"f lib/etc/passwd",
		"l link /etc",
		"f new",
		"f tmp/x",
		"w never-there",
	)
	checkChanges(t, upper, []string{lower},
		"C /bin", "D /bin/true",
		"C /etc", "D /etc/group", "A /etc/new.conf", "C /etc/passwd",
		"C /home", "A /home/other", "A /home/other/file", "D /home/user",
		"C /lib", "A /lib/etc", "A /lib/etc/passwd",
		"A /link", "A /new",
		"A /tmp", "A /tmp/x",
	)
}

// Two image layers: a whiteout and an opaque directory in the top one hide
// what the bottom one has, as overlayfs stacks them.
func TestDiffLowerStack(t *testing.T) {
	testenv.RequireRoot(t, "whiteouts are made with mknod and opaque dirs with trusted.* xattrs")
	bottom := layer(t, "f a", "f b", "f d/old", "f e/kept")
	top := layer(t, "w b", "o d", "f d/new", "d e")
	upper := layer(t, "f a", "f b", "o d", "f d/mine", "o e")
	checkChanges(t, upper, []string{top, bottom},
		"C /a", "A /b",
		"C /d", "A /d/mine", "D /d/new",
		"C /e", "D /e/kept",
	)
}

// The kernel's own upper dir: a real overlay (mounted detached, as cp does
// for a stopped container) is written through, and diff reads what
// overlayfs left in upper/ — while the image layer stays as it was.
func TestDiffKernelUpper(t *testing.T) {
	testenv.RequireRoot(t, "mounting an overlay needs CAP_SYS_ADMIN")
	lower := layer(t, "f etc/passwd", "f etc/group", "f bin/true", "f home/user/.profile", "d empty")
	before := treeListing(t, lower)
	upper, work := t.TempDir(), t.TempDir()
	fd, err := detachedMount("overlay", [][2]string{{"lowerdir", lower}, {"upperdir", upper}, {"workdir", work}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	merged := fmt.Sprintf("/proc/self/fd/%d", fd)
	script := []func() error{
		func() error { return os.WriteFile(merged+"/new", []byte("new\n"), 0o644) },
		func() error { return appendTo(merged+"/etc/passwd", "changed\n") },
		func() error { return os.Remove(merged + "/bin/true") },
		func() error { return os.RemoveAll(merged + "/home") },
		func() error { return os.Mkdir(merged+"/home", 0o755) },
		func() error { return os.WriteFile(merged+"/home/fresh", nil, 0o644) },
		func() error { return os.Chmod(merged+"/empty", 0o700) },
	}
	for i, step := range script {
		if err := step(); err != nil {
			unix.Close(fd)
			t.Fatalf("step %d: %v", i, err)
		}
	}
	unix.Close(fd)
	checkChanges(t, upper, []string{lower},
		"C /bin", "D /bin/true",
		"C /empty",
		"C /etc", "C /etc/passwd",
		"C /home", "A /home/fresh", "D /home/user",
		"A /new",
	)
	if after := treeListing(t, lower); !slices.Equal(after, before) {
		t.Errorf("the image layer changed:\n%v\nwas:\n%v", after, before)
	}
}

func appendTo(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// treeListing is every name under dir with its mode and content.
func treeListing(t *testing.T, dir string) []string {
	t.Helper()
	var lines []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		data := ""
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			data = string(b)
		}
		lines = append(lines, fmt.Sprintf("%s %v %q", strings.TrimPrefix(p, dir), fi.Mode(), data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}
