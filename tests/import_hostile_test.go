package tests

// Hostile tarballs for kobako import, each built by the test: names that
// climb out or are absolute, symlinks and hard links that lead out, a
// directory swapped for a symlink, device nodes, FIFOs. Each must be refused,
// naming the entry and leaving nothing, or imported harmlessly; in every case
// a sentinel directory outside stays empty and a marker file keeps its
// bytes, owner and mode.

import (
	"archive/tar"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// outcome says what a hostile tarball may lead to.
type outcome int

const (
	refused  outcome = iota // import fails, naming the entry
	accepted                // import succeeds, the attack neutralised
	either                  // both are safe
)

// hostileCase is one hostile tarball. entries gets the sentinel dir and the
// marker file, both outside the data root.
type hostileCase struct {
	name    string
	want    outcome
	gzip    bool
	entries func(outside, marker string) []tarEntry
	// names: the error must mention one of them (when refused).
	names func(outside, marker string) []string
	// check looks at the image's rootfs when the import succeeded.
	check func(t *testing.T, rootfs, stderr string)
}

// up climbs far enough from anywhere to reach /, so up+"tmp/x" names
// /tmp/x for an extractor that follows it.
var up = strings.Repeat("../", 32)

// escape names the absolute path abs relative to any directory.
func escape(abs string) string { return up + strings.TrimPrefix(abs, "/") }

// hostileCases are all the hostile tarballs, by kind of attack.
func hostileCases() []hostileCase {
	return slices.Concat(nameCases(), symlinkCases(), replaceCases(), hardlinkCases(), nodeCases())
}

// named is a names func for names that do not depend on the paths.
func named(names ...string) func(string, string) []string {
	return func(string, string) []string { return names }
}

// nameCases climb out of the root by name alone.
func nameCases() []hostileCase {
	return []hostileCase{
		{
			name: "dotdot name", want: refused,
			entries: func(outside, _ string) []tarEntry {
				return []tarEntry{tarFile(escape(outside)+"/evil", 0o644, []byte("pwned"))}
			},
			names: func(outside, _ string) []string { return []string{escape(outside) + "/evil", outside + "/evil"} },
		},
		{
			name: "dotdot name gzip", want: refused, gzip: true,
			entries: func(outside, _ string) []tarEntry {
				return []tarEntry{tarDir("bin/", 0o755), tarFile("bin/"+escape(outside)+"/evil", 0o644, []byte("pwned"))}
			},
			names: func(outside, _ string) []string { return []string{"bin/" + escape(outside) + "/evil"} },
		},
		{
			name: "absolute name", want: refused,
			entries: func(outside, _ string) []tarEntry {
				return []tarEntry{tarFile(outside+"/evil", 0o644, []byte("pwned"))}
			},
			names: func(outside, _ string) []string { return []string{outside + "/evil"} },
		},
		{
			name: "dotdot inside name", want: refused,
			entries: func(outside, _ string) []tarEntry {
				return []tarEntry{tarDir("a/", 0o755), tarFile("a/../"+escape(outside)+"/x", 0o644, []byte("pwned"))}
			},
			names: func(outside, _ string) []string { return []string{"a/../" + escape(outside) + "/x"} },
		},
	}
}

// symlinkCases lead out through symlinks planted by earlier entries.
func symlinkCases() []hostileCase {
	return []hostileCase{
		{
			name: "relative symlink then file through it", want: either,
			entries: func(outside, _ string) []tarEntry {
				return []tarEntry{tarSymlink("l", escape(outside)), tarFile("l/pwn", 0o644, []byte("pwned"))}
			},
			names: named("l/pwn", "l"),
		},
		{
			name: "absolute symlink then file through it", want: either,
			entries: func(outside, _ string) []tarEntry {
				return []tarEntry{tarSymlink("l", outside), tarFile("l/pwn", 0o644, []byte("pwned"))}
			},
			names: named("l/pwn", "l"),
		},
		{
			name: "symlink chain then file through it", want: either,
			entries: func(outside, _ string) []tarEntry {
				return []tarEntry{
					tarSymlink("a", "b"), tarSymlink("b", escape(outside)),
					tarFile("a/pwn", 0o644, []byte("pwned")),
				}
			},
			names: named("a/pwn", "a", "b"),
		},
		{
			name: "dir replaced by symlink then file through it", want: either,
			entries: func(outside, _ string) []tarEntry {
				return []tarEntry{
					tarDir("d/", 0o755), tarSymlink("d", outside),
					tarFile("d/pwn", 0o644, []byte("pwned")),
				}
			},
			names: named("d/pwn", "d"),
		},
		{
			name: "symlink then dir entry chmods through it", want: either,
			entries: func(outside, _ string) []tarEntry {
				return []tarEntry{tarSymlink("d", outside), tarDir("d/", 0o777)}
			},
			names: named("d"),
		},
		{
			// Not an attack: images are full of absolute symlinks (lib ->
			// /usr/lib), which mean the image's own /usr/lib.
			name: "symlinks resolved inside the root", want: accepted,
			entries: func(string, string) []tarEntry {
				return []tarEntry{
					tarDir("usr/", 0o755), tarDir("usr/lib/", 0o755),
					tarSymlink("lib", "/usr/lib"), tarFile("lib/x", 0o644, []byte("x")),
					tarSymlink("lib2", "usr/lib"), tarFile("lib2/y", 0o644, []byte("y")),
				}
			},
			check: func(t *testing.T, rootfs, _ string) {
				for _, name := range []string{"x", "y"} {
					data, err := os.ReadFile(filepath.Join(rootfs, "usr", "lib", name))
					if err != nil || string(data) != name {
						t.Errorf("usr/lib/%s in the image: %q, %v; want %q", name, data, err, name)
					}
				}
			},
		},
	}
}

// replaceCases replace a symlink by a file or a directory: an extractor
// that follows the symlink writes, chmods or chowns what it points at.
func replaceCases() []hostileCase {
	return []hostileCase{
		{
			name: "symlink to marker then file over it", want: either,
			entries: func(_, marker string) []tarEntry {
				return []tarEntry{tarSymlink("m", marker), tarFile("m", 0o4777, []byte("pwned"))}
			},
			names: named("m"),
		},
		{
			name: "relative symlink to marker then file over it", want: either,
			entries: func(_, marker string) []tarEntry {
				return []tarEntry{tarSymlink("m", escape(marker)), tarFile("m", 0o4777, []byte("pwned"))}
			},
			names: named("m"),
		},
		{
			name: "symlink to marker then dir over it", want: either,
			entries: func(_, marker string) []tarEntry {
				return []tarEntry{tarSymlink("m", marker), tarDir("m/", 0o777)}
			},
			names: named("m"),
		},
	}
}

// hardlinkCases link to files outside, directly or through symlinks.
func hardlinkCases() []hostileCase {
	return []hostileCase{
		{
			name: "hardlink escaping", want: refused,
			entries: func(_, marker string) []tarEntry {
				return []tarEntry{tarHardlink("h", escape(marker))}
			},
			names: func(_, marker string) []string { return []string{"h", escape(marker)} },
		},
		{
			name: "hardlink absolute", want: refused,
			entries: func(string, string) []tarEntry {
				return []tarEntry{tarDir("etc/", 0o755), tarHardlink("etc/shadow", "/etc/passwd")}
			},
			names: named("etc/shadow", "/etc/passwd"),
		},
		{
			name: "hardlink to a symlink out", want: either,
			entries: func(_, marker string) []tarEntry {
				return []tarEntry{tarSymlink("s", marker), tarHardlink("hs", "s")}
			},
			names: named("hs", "s"),
		},
		{
			name: "hardlink through a symlinked dir", want: either,
			entries: func(_, marker string) []tarEntry {
				return []tarEntry{tarSymlink("l", filepath.Dir(marker)), tarHardlink("h", "l/"+filepath.Base(marker))}
			},
			names: func(_, marker string) []string { return []string{"h", "l/" + filepath.Base(marker)} },
		},
	}
}

// nodeCases are special files: device nodes are skipped, FIFOs made.
func nodeCases() []hostileCase {
	return []hostileCase{
		{
			name: "char device", want: accepted,
			entries: func(string, string) []tarEntry {
				return []tarEntry{tarDir("dev/", 0o755), tarDevice("dev/mem", tar.TypeChar, 1, 1)}
			},
			check: deviceSkipped("dev/mem"),
		},
		{
			name: "block device", want: accepted,
			entries: func(string, string) []tarEntry {
				return []tarEntry{tarDir("dev/", 0o755), tarDevice("dev/sda", tar.TypeBlock, 8, 0)}
			},
			check: deviceSkipped("dev/sda"),
		},
		{
			name: "fifo", want: accepted,
			entries: func(string, string) []tarEntry {
				return []tarEntry{tarDir("tmp/", 0o1777), tarFifo("tmp/fifo")}
			},
			check: func(t *testing.T, rootfs, _ string) {
				fi, err := os.Lstat(filepath.Join(rootfs, "tmp", "fifo"))
				if err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
					t.Errorf("tmp/fifo in the image: %v, %v; want a FIFO", fi, err)
				}
			},
		},
	}
}

// deviceSkipped checks that a device node was skipped with a warning.
func deviceSkipped(name string) func(*testing.T, string, string) {
	return func(t *testing.T, rootfs, stderr string) {
		if _, err := os.Lstat(filepath.Join(rootfs, name)); err == nil {
			t.Errorf("the image has %s: device nodes must be skipped", name)
		}
		if !strings.Contains(stderr, name) {
			t.Errorf("no warning naming %s on stderr:\n%s", name, stderr)
		}
	}
}

// fileState is what must not change about a file outside the image.
type fileState struct {
	data                   string
	mode                   fs.FileMode
	uid, gid, nlink, inode uint64
	dev                    uint64
}

func stateOf(t *testing.T, path string) fileState {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	s := fileState{mode: fi.Mode(), uid: uint64(st.Uid), gid: uint64(st.Gid), nlink: st.Nlink, inode: st.Ino, dev: st.Dev}
	if fi.Mode().IsRegular() {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s.data = string(data)
	}
	return s
}

// Hostile tarballs: each is refused naming the bad entry and leaves no
// image and no temp files, or is imported with its attack neutralised. In
// every case the sentinel dir stays empty and the marker unchanged.
func TestImportHostile(t *testing.T) {
	t.Parallel()
	for i, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			outside := t.TempDir()
			marker := filepath.Join(t.TempDir(), "marker")
			if err := os.WriteFile(marker, []byte("precious\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(marker, 1000, 1000); err != nil {
				t.Fatal(err)
			}
			protected := map[string]fileState{
				outside:       stateOf(t, outside),
				marker:        stateOf(t, marker),
				"/etc/passwd": stateOf(t, "/etc/passwd"),
			}
			tarball := filepath.Join(t.TempDir(), "evil.tar")
			writeTar(t, tarball, tc.gzip, tc.entries(outside, marker))
			image := fmt.Sprintf("evil%d", i)

			_, stderr, code := e.run("import", "--name", image, tarball)
			t.Logf("import: exit %d, stderr: %s", code, strings.TrimSpace(stderr))
			switch {
			case code != 0 && tc.want == accepted:
				t.Errorf("import refused (exit %d), want it accepted:\n%s", code, stderr)
			case code == 0 && tc.want == refused:
				t.Errorf("import accepted, want it refused; stderr:\n%s", stderr)
			case code != 0:
				checkRefused(t, e, image, stderr, tc.names(outside, marker))
			default:
				if !e.hasImage(image) {
					t.Errorf("import succeeded, but images does not list %s", image)
				}
				rootfs := e.imageRootfs(image)
				checkImageTree(t, rootfs, protected)
				if tc.check != nil {
					tc.check(t, rootfs, stderr)
				}
			}

			if entries := dirEntries(t, outside); len(entries) > 0 {
				t.Errorf("the sentinel dir %s has %v", outside, entries)
			}
			if entries := dirEntries(t, filepath.Dir(marker)); len(entries) != 1 {
				t.Errorf("the marker's dir has %v, want only the marker", entries)
			}
			for path, before := range protected {
				if after := stateOf(t, path); after != before {
					t.Errorf("%s changed: %+v, was %+v", path, after, before)
				}
			}
		})
	}
}

// checkRefused checks a refused import: one line naming the entry, no
// image registered, nothing left in the data root's tmp.
func checkRefused(t *testing.T, e *env, image, stderr string, names []string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "kobako: ") {
		t.Errorf("stderr is not one line \"kobako: …\":\n%s", stderr)
	}
	named := false
	for _, n := range names {
		named = named || strings.Contains(stderr, n) || strings.Contains(stderr, filepath.Clean(n))
	}
	if !named {
		t.Errorf("the error names none of %q:\n%s", names, stderr)
	}
	if e.hasImage(image) {
		t.Errorf("images lists %s after a refused import", image)
	}
	if _, err := os.Lstat(filepath.Join(e.dataRoot, "images", image)); err == nil {
		t.Errorf("images/%s exists after a refused import", image)
	}
	if entries := dirEntries(t, filepath.Join(e.dataRoot, "tmp")); len(entries) > 0 {
		t.Errorf("tmp has %v after a refused import", entries)
	}
}

// checkImageTree walks an imported rootfs: no device node, and no hard
// link to a protected file.
func checkImageTree(t *testing.T, rootfs string, protected map[string]fileState) {
	t.Helper()
	err := filepath.WalkDir(rootfs, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeDevice != 0 {
			t.Errorf("device node in the image: %s", path)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		for p, s := range protected {
			if st.Ino == s.inode && st.Dev == s.dev {
				t.Errorf("%s in the image is %s of the host", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("walk the image: %v", err)
	}
}
