package tutorial

// Chapter 7, Copy-On-Write(COW)ファイルシステム: the image's layers stay as
// they are; the container writes into its own upper dir. The learner adds,
// changes and deletes a file; kobako lists the upper dir (kobako diff),
// finds the whiteout a deletion leaves, and shows the image's layer
// untouched. Then a commit turns the upper dir into a layer of a new image.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	cowName  = Prefix + "cow"
	cowImage = Prefix + "cow-image"
	cowNext  = Prefix + "cow-next"
)

// cowChanges is the learner's task, as --yes types it.
const cowChanges = "echo hello > /hello.txt; echo '# kobako was here' >> /etc/passwd; rm /bin/vi"

func cowOverlay() *Step {
	return &Step{
		ID: "cow.overlay",
		Article: shellLines(
			"mkdir lower upper work merged",
			"sudo mount -t overlay -o lowerdir=lower,upperdir=upper,workdir=work overlay merged",
			"touch merged/new; echo x > merged/from_lower; rm merged/gone",
			"ls -l upper        # «cow.upper»: c--------- 0, 0"),
		Code:  []CodeRef{{File: "rootfs/overlay.go", Func: "Overlay.mount"}, {File: "container/diff.go", Func: "isWhiteout"}},
		Trace: "Copy on Write",
		Setup: func(s *Session) error {
			s.vars["name"] = cowName
			_, err := s.ensure(cowName, shellArgs()...)
			return err
		},
		Task:  Task{Kind: InShell, Container: cowName},
		Typed: cowChanges,
		Check: func(s *Session) Result {
			c, err := s.k.inspect(cowName)
			if err != nil {
				return s.broken(err)
			}
			out, err := s.k.run("diff", cowName)
			if err != nil {
				return s.broken(err)
			}
			kinds, deleted := diffKinds(out)
			s.ui.box("$ sudo kobako diff "+cowName, strings.TrimSpace(out))
			if c.Overlay != nil {
				s.ui.box(s.msg.get("box.overlay"), overlayPicture(s, c, deleted))
			}
			if !kinds["A"] || !kinds["C"] || !kinds["D"] {
				return fail(s.msg.get("check.cow.missing", missingKinds(kinds)))
			}
			lines := []string{s.msg.get("check.cow.ok")}
			if c.Overlay != nil && len(c.Overlay.Lower) > 0 {
				lower := filepath.Join(c.Overlay.Lower[0], deleted)
				if _, err := os.Lstat(lower); err == nil {
					lines = append(lines, s.msg.get("check.cow.lower_kept", deleted, shortIDs(lower)))
				}
				if w := filepath.Join(c.Overlay.Upper, deleted); isWhiteout(w) {
					lines = append(lines, s.msg.get("check.cow.whiteout", shortIDs(w)))
				}
			}
			return pass(lines...)
		},
	}
}

// diffKinds reads kobako diff's "A /path" lines: which kinds it saw, and
// the first deleted path.
func diffKinds(out string) (map[string]bool, string) {
	kinds, deleted := map[string]bool{}, ""
	for _, line := range strings.Split(out, "\n") {
		kind, path, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		kinds[kind] = true
		if kind == "D" && deleted == "" {
			deleted = path
		}
	}
	return kinds, deleted
}

func missingKinds(kinds map[string]bool) string {
	var missing []string
	for _, k := range []string{"A", "C", "D"} {
		if !kinds[k] {
			missing = append(missing, k)
		}
	}
	return strings.Join(missing, " ")
}

// isWhiteout says whether path is overlayfs's mark of a deleted file: a
// character device 0,0. Shell twin: stat -c '%F %t,%T' PATH
func isWhiteout(path string) bool {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// overlayPicture draws the container's overlay: its merged view on top,
// its own upper dir, then the image's read-only layers.
func overlayPicture(s *Session, c *Container, deleted string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s /proc/%d/root   (%s)\n", "merged", c.Pid, s.msg.get("overlay.merged"))
	fmt.Fprintf(&b, "%-10s %s   (%s)\n", "upperdir", c.Overlay.Upper, s.msg.get("overlay.upper"))
	for _, e := range upperEntries(c.Overlay.Upper) {
		fmt.Fprintf(&b, "%-10s   %s\n", "", e)
	}
	fmt.Fprintf(&b, "%-10s %s\n", "workdir", c.Overlay.Work)
	for i, l := range c.Overlay.Lower {
		fmt.Fprintf(&b, "%-10s %s   (%s)\n", fmt.Sprintf("lower[%d]", i), l, s.msg.get("overlay.lower"))
	}
	return shortIDs(b.String())
}

// longID is a container's id or a layer's digest: 64 hex digits.
var longID = regexp.MustCompile(`[0-9a-f]{64}`)

// shortIDs writes the ids in s as docker shows them, 12 digits (and …).
func shortIDs(s string) string {
	return longID.ReplaceAllStringFunc(s, func(id string) string { return id[:12] + "…" })
}

// upperEntries lists the files in an upper dir, marking whiteouts:
// what `find upper` and `ls -l` would show.
func upperEntries(upper string) []string {
	var entries []string
	filepath.WalkDir(upper, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == upper || len(entries) >= 12 {
			return nil
		}
		rel, _ := filepath.Rel(upper, p)
		switch {
		case isWhiteout(p):
			entries = append(entries, "/"+rel+"   c 0,0 whiteout")
		case d.IsDir():
			entries = append(entries, "/"+rel+"/")
		default:
			entries = append(entries, "/"+rel)
		}
		return nil
	})
	return entries
}

func cowCommit() *Step {
	return &Step{
		ID: "cow.commit",
		Article: shellLines(
			"sudo mount -t overlay -o lowerdir=$LAYER1/diff,upperdir=$LAYER2/diff,workdir=$LAYER2/work overlay $LAYER2/merged",
			"unshare -r chroot $LAYER2/merged apk add --no-cache curl   # «cow.diff»",
			"sudo mount -t overlay -o lowerdir=$LAYER2/diff:$LAYER1/diff,upperdir=$CONTAINER/diff,workdir=$CONTAINER/work overlay $CONTAINER/merged"),
		Code:  []CodeRef{{File: "image/commit.go", Func: "Store.Commit"}},
		Trace: "Copy on Write",
		Setup: func(s *Session) error {
			s.vars["name"] = cowNext
			if c, err := s.k.inspect(cowNext); err == nil && c.Status == "running" {
				return nil
			}
			// the previous step's container, with its changes (made here
			// when this step runs alone)
			if _, err := s.k.inspect(cowName); err != nil {
				if _, err := s.ensure(cowName, shellArgs()...); err != nil {
					return err
				}
				if _, err := s.typeInto(cowName, cowChanges); err != nil {
					return err
				}
			}
			for _, args := range [][]string{{"stop", "-t", "1", cowName}, {"commit", cowName, cowImage}} {
				s.ui.dim("$ sudo kobako " + strings.Join(args, " "))
				if _, err := s.k.run(args...); err != nil {
					return err
				}
			}
			out, err := s.k.run("history", cowImage)
			if err != nil {
				return err
			}
			s.ui.box("$ sudo kobako history "+cowImage, strings.TrimSpace(out))
			_, err = s.ensure(cowNext, cowImage, "sleep", "3600")
			return err
		},
		Task: Task{Kind: Look},
		Check: func(s *Session) Result {
			if _, err := s.k.running(cowNext); err != nil {
				return s.broken(err)
			}
			hello, err := s.exec(cowNext, "cat", "/hello.txt")
			if err != nil {
				return fail(s.msg.get("check.cow.commit.no_hello"))
			}
			if _, err := s.exec(cowNext, "test", "-e", "/bin/vi"); err == nil {
				return fail(s.msg.get("check.cow.commit.vi_back"))
			}
			return pass(s.msg.get("check.cow.commit.ok", cowNext),
				fmt.Sprintf("kobako exec %s cat /hello.txt → %s", cowNext, strings.TrimSpace(hello)),
				fmt.Sprintf("kobako exec %s test -e /bin/vi → 1", cowNext))
		},
	}
}
