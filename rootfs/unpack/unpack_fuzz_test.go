// Fuzzing Unpack (issue 15, item 5): go test -fuzz feeds the tar unpacker
// archives it mutates from the hostile tarballs of unpack_test.go and
// tests/import_hostile_test.go, and after each one checks what those tests
// check after theirs (catalogue entry B10):
//
//   - nothing outside the root changed: next to the root, outside/ is
//     still empty and marker keeps its bytes, mode, owner and single link
//     (sandbox.checkUntouched, from unpack_test.go);
//   - no hard link leads out: every inode in the root has all its links
//     in the root, so none is a second name for a file of the host;
//   - nothing in the root is a device node: kobako makes /dev itself;
//   - no more file data was written, and no more entries read, than the
//     limits allow.
//
// Two targets, because a tar header carries a checksum. FuzzUnpack mutates
// the bytes of a stream, plain or gzip: headers, pax records, sizes, GNU
// extensions, truncation; most mutants are refused at the header, which is
// what that target is for. FuzzUnpackEntries mutates a little script of
// entries, one per line, that the harness writes as a well-formed tarball:
// that is how the fuzzer gets to try orders of symlinks, hard links,
// directories and files — the attacks themselves.
//
// Shell twin: tar -x -C root < evil.tar; ls outside; stat marker.
// Run as root (Unpack chowns), in a machine you can throw away: an escape
// the canaries do not see would land on the host. make fuzz runs both for
// a while; make test runs their checked-in corpora (testdata/fuzz/).
package unpack

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/kobako/kobako/internal/testenv"

	"github.com/kobako/kobako/internal/fuzzseed"
)

// fuzzLimits are small, so that a bomb is found out in milliseconds and a
// fuzz worker never fills the disk.
var fuzzLimits = Limits{MaxBytes: 1 << 20, MaxEntries: 1000}

// FuzzUnpack unpacks any bytes as a tar stream (plain or gzip).
func FuzzUnpack(f *testing.F) {
	testenv.RequireRoot(f, "Unpack chowns files")
	f.Fuzz(func(t *testing.T, stream []byte) {
		s := newSandbox(t)
		res, err := s.unpack(t, stream, fuzzLimits) // checks outside/ and marker
		s.checkRoot(t)
		checkResult(t, res, err)
	})
}

// FuzzUnpackEntries unpacks the tarball that a script of entries
// describes (see entriesTar).
func FuzzUnpackEntries(f *testing.F) {
	testenv.RequireRoot(f, "Unpack chowns files")
	f.Fuzz(func(t *testing.T, script string) {
		s := newSandbox(t)
		stream, err := entriesTar(script, s)
		if err != nil {
			return // archive/tar will not write it: not an archive to test
		}
		res, err := s.unpack(t, stream, fuzzLimits)
		s.checkRoot(t)
		checkResult(t, res, err)
	})
}

// checkResult: the limits hold, and an error says something.
func checkResult(t *testing.T, res Result, err error) {
	t.Helper()
	if res.Bytes > fuzzLimits.MaxBytes {
		t.Errorf("wrote %d bytes of file data, past the limit of %d", res.Bytes, fuzzLimits.MaxBytes)
	}
	if res.Entries > fuzzLimits.MaxEntries+1 { // the one past the limit is read, then refused
		t.Errorf("read %d entries, past the limit of %d", res.Entries, fuzzLimits.MaxEntries)
	}
	if err != nil && err.Error() == "" {
		t.Errorf("Unpack failed with an empty error")
	}
}

// checkRoot walks what the tarball made: no device node, and no inode
// with a link outside the root (its link count is more than the names it
// has in here).
func (s sandbox) checkRoot(t *testing.T) {
	t.Helper()
	type inode struct{ dev, ino uint64 }
	names := map[inode]uint64{} // names seen in the root, per inode
	links := map[inode]uint64{} // st_nlink, per inode
	err := filepath.WalkDir(s.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeDevice != 0 { // block, and character (ModeCharDevice comes with ModeDevice)
			t.Errorf("device node in the root: %s", path)
		}
		if d.IsDir() {
			return nil // a directory's link count counts its subdirectories' ".."
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		key := inode{st.Dev, st.Ino}
		names[key]++
		links[key] = st.Nlink
		return nil
	})
	if err != nil {
		t.Fatalf("walk the root: %v", err)
	}
	for key, n := range names {
		if links[key] > n {
			t.Errorf("inode %d has %d links, only %d of them in the root: a hard link leads out", key.ino, links[key], n)
		}
	}
}

// The entries script: one entry per line, "TYPE[MODE] NAME [ARG]":
//
//	f NAME BODY       a regular file (mode 0644, or f4755 …)
//	d NAME            a directory (mode 0755, or d0, d1777 …)
//	l NAME TARGET     a symbolic link
//	h NAME TARGET     a hard link
//	c NAME, b NAME    a character or block device
//	p NAME            a FIFO
//	a NAME KEY=VALUE  a file with the extended attribute KEY (pax SCHILY.xattr.KEY)
//
// In NAME and ARG, @TOP@ is the sandbox's top directory (which holds
// root/, outside/ and marker) and @UP@ is "../" 32 times, enough to reach
// "/" from anywhere: "@UP@@TOP@/marker" is the marker for an extractor
// that follows "..". Lines of any other type are ignored, so that most of
// the fuzzer's mutants are still scripts.
const maxScriptEntries = 64

// entriesTar writes the script as a tarball, for the sandbox s.
func entriesTar(script string, s sandbox) ([]byte, error) {
	expand := strings.NewReplacer("@TOP@", s.top, "@UP@", strings.Repeat("../", 32)).Replace
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for i, line := range strings.Split(script, "\n") {
		if i == maxScriptEntries {
			break
		}
		typ, rest, _ := strings.Cut(line, " ")
		name, arg, _ := strings.Cut(rest, " ")
		hdr, body, ok := scriptEntry(typ, expand(name), expand(arg))
		if !ok {
			continue
		}
		if err := w.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := io.WriteString(w, body); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// scriptEntry is one line of the script as a tar header and a body.
func scriptEntry(typ, name, arg string) (hdr *tar.Header, body string, ok bool) {
	if typ == "" {
		return nil, "", false
	}
	hdr = &tar.Header{Name: name, Mode: 0o644, ModTime: testTime}
	if mode, err := strconv.ParseInt(typ[1:], 8, 32); err == nil {
		hdr.Mode = mode & 0o7777
	} else if typ[1:] != "" {
		return nil, "", false
	}
	switch typ[0] {
	case 'f':
		hdr.Typeflag, body = tar.TypeReg, arg
	case 'd':
		hdr.Typeflag = tar.TypeDir
		if typ == "d" {
			hdr.Mode = 0o755
		}
	case 'l':
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, arg
	case 'h':
		hdr.Typeflag, hdr.Linkname = tar.TypeLink, arg
	case 'c':
		hdr.Typeflag, hdr.Devmajor, hdr.Devminor = tar.TypeChar, 1, 1 // /dev/mem
	case 'b':
		hdr.Typeflag, hdr.Devmajor, hdr.Devminor = tar.TypeBlock, 8, 0 // /dev/sda
	case 'p':
		hdr.Typeflag = tar.TypeFifo
	case 'a':
		key, value, _ := strings.Cut(arg, "=")
		hdr.Typeflag, body = tar.TypeReg, "x"
		hdr.PAXRecords = map[string]string{paxXattr + key: value}
	default:
		return nil, "", false
	}
	hdr.Size = int64(len(body))
	return hdr, body, true
}

// unpackSeeds are FuzzUnpack's seed corpus: the hostile tarballs of
// unpack_test.go, as streams. The sandbox is root/, outside/ and marker
// side by side, so "../outside" and "../marker" seen from the root are
// the canaries.
func unpackSeeds(t *testing.T) map[string][]any {
	stream := func(ents ...ent) []any { return []any{makeTar(t, ents...)} }
	gz := func(ents ...ent) []any { return []any{gzipped(t, makeTar(t, ents...))} }
	xattr := tarFile("xattr", "x")
	xattr.PAXRecords = map[string]string{"SCHILY.xattr.user.kobako": "small box"}
	su := tarFile("bin/su", "#!/bin/sh\n")
	su.Mode, su.Uid, su.Gid = 0o4755, 1000, 1000
	many := make([]ent, fuzzLimits.MaxEntries+1)
	for i := range many {
		many[i] = tarFile(fmt.Sprintf("f%d", i), "")
	}
	return map[string][]any{
		"traversal":                   stream(tarFile("../outside/evil", "x")),
		"absolute":                    stream(tarFile("/outside/evil", "x")),
		"dotdot-inside":               stream(tarDir("a/", 0o755), tarFile("a/../../outside/x", "x")),
		"hardlink-relative":           stream(tarHardlink("h", "../marker")),
		"hardlink-absolute":           stream(tarHardlink("h", "/etc/passwd")),
		"hardlink-through-dotdot":     stream(tarFile("f", "x"), tarHardlink("h", "f/../../marker")),
		"hardlink-to-nothing":         stream(tarHardlink("h", "missing")),
		"file-as-root":                stream(tarFile(".", "x")),
		"symlink-then-file":           stream(tarSymlink("l", "../outside"), tarFile("l/pwn", "x")),
		"symlink-to-root-then-file":   stream(tarSymlink("a", "/"), tarDir("a/", 0o755), tarFile("a/pwn", "x")),
		"dir-replaced-by-symlink":     stream(tarDir("d/", 0o755), tarFile("d/f", "x"), tarSymlink("d", "../outside"), tarFile("d/pwn", "x")),
		"symlink-to-marker-then-file": stream(tarSymlink("m", "../marker"), tarFile("m", "pwned")),
		"hardlink-to-symlink":         stream(tarSymlink("s", "../marker"), tarHardlink("h", "s")),
		"devices":                     stream(tarDevice(tar.TypeChar, "dev/mem", 1, 1), tarDevice(tar.TypeBlock, "./dev/sda", 8, 0), tarDevice(tar.TypeFifo, "run/fifo", 0, 0)),
		"ownership":                   stream(su, tarSymlink("shadow", "../marker")),
		"reliability": stream(
			tarDir("locked/", 0o000), tarFile("locked/inner", "in"),
			tarFile("dup", "one"), tarFile("dup", "two"),
			tarFile("was-file", "f"), tarDir("was-file/", 0o750), tarFile("was-file/in", "x"),
			tarDir("was-dir/", 0o755), tarFile("was-dir/in", "x"), tarSymlink("was-dir/l", "/"), tarFile("was-dir", "now a file"),
			tarSymlink("was-link", "/"), tarDir("was-link/", 0o711),
			tarFile("a", "linked"), tarHardlink("b", "a"), xattr),
		"busybox-tree": gz(tarDir("./", 0o755), tarDir("bin/", 0o755), tarFile("bin/busybox", "\x7fELF not really"),
			tarSymlink("bin/sh", "busybox"), tarDir("etc/", 0o755), tarFile("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
			tarDir("tmp/", 0o1777), tarDevice(tar.TypeFifo, "tmp/fifo", 0, 0)),
		"gzip-bomb":      gz(tarFile("zeros", strings.Repeat("\x00", 2*int(fuzzLimits.MaxBytes)))),
		"too-many":       gz(many...),
		"huge-size":      {hugeHeader(t)},
		"not-a-tarball":  {[]byte(strings.Repeat("not a tar ", 100))},
		"empty-layer":    stream(),
		"padded":         {append(makeTar(t, tarFile("a", "a")), make([]byte, 10240)...)},
		"no-bytes":       {[]byte{}},
		"deep-tree":      stream(tarFile(strings.Repeat("d/", 200)+"f", "deep")),
		"name-too-long":  stream(tarFile(strings.Repeat("a/", 2100)+"x", "x")),
		"truncated-gzip": {gzipped(t, makeTar(t, tarFile("a", "a")))[:40]},
	}
}

// hugeHeader is a header that claims a terabyte of data, and then the
// stream ends.
func hugeHeader(t *testing.T) []byte {
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	if err := w.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "huge", Mode: 0o644, Size: 1 << 40, ModTime: testTime}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes() // no Close: it would want the terabyte
}

// entriesSeeds are FuzzUnpackEntries' seed corpus: the hostile tarballs
// of unpack_test.go and tests/import_hostile_test.go, as scripts.
var entriesSeeds = map[string]string{
	// names that climb out
	"traversal":     "f ../outside/evil x",
	"absolute":      "f @TOP@/outside/evil x",
	"dotdot-name":   "f @UP@@TOP@/outside/evil pwned",
	"dotdot-inside": "d a/\nf a/../@UP@@TOP@/outside/x pwned",
	"file-as-root":  "f . x",
	// symlinks planted by earlier entries, then written through
	"symlink-then-file":             "l l @UP@@TOP@/outside\nf l/pwn pwned",
	"absolute-symlink-then-file":    "l l @TOP@/outside\nf l/pwn pwned",
	"symlink-to-in-root-dir":        "d outside/\nl l ../../outside\nf l/pwn x",
	"symlink-to-root-then-dir":      "l a /\nd a/\nf a/pwn x",
	"symlink-chain":                 "l a b\nl b @UP@@TOP@/outside\nf a/pwn pwned",
	"dir-replaced-by-symlink":       "d d/\nf d/f x\nl d @TOP@/outside\nf d/pwn pwned",
	"dir-replaced-by-in-root-link":  "d d/\nd x/\nl d /../x\nf d/pwn x",
	"symlink-then-dir-chmod":        "l d @TOP@/outside\nd777 d/",
	"symlinks-resolved-inside":      "d usr/\nd usr/lib/\nl lib /usr/lib\nf lib/x x\nl lib2 usr/lib\nf lib2/y y",
	"symlink-to-marker-then-file":   "l m @TOP@/marker\nf4777 m pwned",
	"relative-link-to-marker-file":  "l m @UP@@TOP@/marker\nf4777 m pwned",
	"symlink-to-marker-then-dir":    "l m @TOP@/marker\nd777 m/",
	"symlink-then-xattr-through-it": "l m @TOP@/marker\na m user.kobako=pwned",
	// hard links out
	"hardlink-escaping":         "h h @UP@@TOP@/marker",
	"hardlink-relative":         "h h ../marker",
	"hardlink-absolute":         "d etc/\nh etc/shadow /etc/passwd",
	"hardlink-through-dotdot":   "f f x\nh h f/../../marker",
	"hardlink-to-symlink-out":   "l s @TOP@/marker\nh hs s",
	"hardlink-through-link-dir": "l l @TOP@\nh h l/marker",
	"hardlink-to-nothing":       "h h missing",
	// special files
	"char-device":  "d dev/\nc dev/mem",
	"block-device": "d dev/\nb dev/sda",
	"fifo":         "d1777 tmp/\np tmp/fifo",
	// what real images do: a later entry wins, types change
	"reliability": "d0 locked/\nf locked/inner in\nf dup one\nf dup two\nf was-file f\nd750 was-file/\nf was-file/in x\n" +
		"d was-dir/\nf was-dir/in x\nl was-dir/l /\nf was-dir now a file\nl was-link /\nd711 was-link/\nf a linked\nh b a\na xattr user.kobako=small box",
}

// TestFuzzSeeds checks that the checked-in corpora under testdata/fuzz/
// are the seeds above, and writes them when asked:
//
//	KOBAKO_FUZZ_WRITE_SEEDS=1 go test -run '^TestFuzzSeeds$' ./rootfs/unpack/
func TestFuzzSeeds(t *testing.T) {
	fuzzseed.Check(t, "FuzzUnpack", unpackSeeds(t))
	scripts := map[string][]any{}
	for name, script := range entriesSeeds {
		scripts[name] = []any{script}
	}
	fuzzseed.Check(t, "FuzzUnpackEntries", scripts)
}
