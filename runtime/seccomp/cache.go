package seccomp

// Compiling a profile once. The program Compile makes depends only on the
// profile, on kobako (its compiler, its format) and on the machine (the
// system call numbers); so it is kept in a file of kobako's data root
// named after the three, and each later container with the same profile
// reads a few KiB instead of compiling again. Shell twin: none in the
// article; it is what ccache does for a compiler — the key is a hash of
// the inputs.
//
// The file, <dir>/<key>.bpf, where key is the hex of
// sha256(kobako's version, GOARCH, the profile as JSON):
//
//	offset  size  what
//	0       8     magic "KBSCACHE"
//	8       32    the key, again
//	40      32    sha256 of the body
//	72            the body: the program, as program.MarshalBinary writes it
//
// A file is used only if all of it checks out: magic, key, sum, and a
// body program.Unmarshal takes. Otherwise — missing, torn by a crash,
// copied under another key's name, garbled — the profile is compiled again
// and the file replaced. The checks catch accidents, not an attacker:
// whoever can write the data root (0700, root's) can write a matching sum
// too, and kobako's state besides.
//
// Writing builds the file without a name, then names it (writeCached), so
// a reader sees no file or a whole one, never half of one, and a kobako
// killed meanwhile leaves nothing. There is no fsync: a file a crash left
// empty or torn fails its sum and is compiled again. Two kobakos that
// compile the same profile at once write the same bytes; the first name
// stays. A cache that cannot be written is skipped: the run goes on. Files of other versions are never
// read again, and never removed here: another kobako may still use them.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/runtime/seccomp/program"
)

const (
	cacheMagic      = "KBSCACHE"
	cacheHeaderSize = len(cacheMagic) + 2*sha256.Size
	// maxCacheFile is far more than the largest program the kernel takes
	// (MAX_INSNS_PER_PATH instructions: 256 KiB and a few lengths), and
	// bounds what a bad file makes kobako read.
	maxCacheFile = 1 << 20
)

// Cached is Compile(s), kept in dir: the program is read from
// <dir>/<key>.bpf when that file checks out, and compiled and written
// there when not. version is kobako's: a new kobako compiles anew. dir is
// made (0700) if missing; dir "" keeps nothing, and is Compile.
func Cached(dir, version string, s *specs.LinuxSeccomp) (*program.Program, error) {
	if dir == "" || s == nil {
		return Compile(s)
	}
	key, err := cacheKey(version, s)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, hex.EncodeToString(key[:])+".bpf")
	if p, err := readCached(path, key); err == nil {
		return p, nil
	}
	// Missing or bad: compile, and replace the file.
	p, err := Compile(s)
	if err != nil {
		return nil, err
	}
	// A cache that cannot be written (a full or read-only data root) is
	// no cache: the program is compiled, and that is what counts.
	writeCached(dir, path, key, p)
	return p, nil
}

// cacheKey is sha256 of what the program depends on. encoding/json writes
// one spelling per specs.LinuxSeccomp (struct fields in order, no maps),
// so the same profile always has the same key; %q keeps the version from
// running into what follows it.
func cacheKey(version string, s *specs.LinuxSeccomp) ([sha256.Size]byte, error) {
	profile, err := json.Marshal(s)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("seccomp: profile as JSON: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "kobako seccomp program\nversion %q\narch %s\nprofile ", version, runtime.GOARCH)
	h.Write(profile)
	return [sha256.Size]byte(h.Sum(nil)), nil
}

// readCached reads the program in path, if the file is one Cached wrote
// for key; the error says why not.
func readCached(path string, key [sha256.Size]byte) (*program.Program, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCacheFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxCacheFile {
		return nil, fmt.Errorf("%s: over %d bytes", path, maxCacheFile)
	}
	if len(data) < cacheHeaderSize || string(data[:len(cacheMagic)]) != cacheMagic {
		return nil, fmt.Errorf("%s: not a seccomp cache file", path)
	}
	fileKey, sum, body := data[len(cacheMagic):][:sha256.Size], data[len(cacheMagic)+sha256.Size:][:sha256.Size], data[cacheHeaderSize:]
	if !bytes.Equal(fileKey, key[:]) {
		return nil, fmt.Errorf("%s: holds the program of another profile or version", path)
	}
	if bodySum := sha256.Sum256(body); !bytes.Equal(sum, bodySum[:]) {
		return nil, fmt.Errorf("%s: its sum does not match (torn or garbled)", path)
	}
	return program.Unmarshal(body)
}

// writeCached replaces path with p's file. The file has no name while it
// is written — open(2) with O_TMPFILE makes it in dir's file system,
// nameless — and gets one with linkat(2) only once it is whole: a kobako
// killed at any instant leaves no half-written file, nor a temporary one.
func writeCached(dir, path string, key [sha256.Size]byte, p *program.Program) error {
	body, err := p.MarshalBinary()
	if err != nil {
		return err
	}
	// mkdir -p -m 0700 $dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("seccomp cache: %w", err)
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("seccomp cache: open a nameless file in %s: %w", dir, err)
	}
	tmp := os.NewFile(uintptr(fd), "seccomp cache file")
	defer tmp.Close()
	sum := sha256.Sum256(body)
	if _, err := tmp.Write(slices.Concat([]byte(cacheMagic), key[:], sum[:], body)); err != nil {
		return fmt.Errorf("seccomp cache: write %s: %w", path, err)
	}
	// A bad file of that name goes first: linkat does not replace.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("seccomp cache: %w", err)
	}
	// ln /proc/self/fd/$FD $dir/$key.bpf
	err = unix.Linkat(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if errors.Is(err, unix.EEXIST) {
		return nil // another kobako wrote the same profile's file meanwhile
	}
	if err != nil {
		return fmt.Errorf("seccomp cache: name %s: %w", path, err)
	}
	return nil
}
