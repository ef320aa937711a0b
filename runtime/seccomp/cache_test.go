package seccomp

// Cached: a profile compiled once, read back after; a bad file, or one of
// another version, compiled again and replaced.

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/runtime/seccomp/program"
)

// cacheFile is the one file of dir, which the test's Cached wrote.
func cacheFile(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) != 1 {
		t.Fatalf("%s holds %v (%v), want one file", dir, files, err)
	}
	return files[0]
}

// cachedEquals calls Cached and compares its program with want.
func cachedEquals(t *testing.T, dir, version string, want *program.Program) {
	t.Helper()
	p, err := Cached(dir, version, Default(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Cached gave another program than Compile")
	}
}

// longAgo is the mtime age gives a file, so that a rewrite shows.
var longAgo = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

func age(t *testing.T, path string) {
	t.Helper()
	if err := os.Chtimes(path, longAgo, longAgo); err != nil {
		t.Fatal(err)
	}
}

// rewritten says whether path was written since age.
func rewritten(t *testing.T, path string) bool {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return !info.ModTime().Equal(longAgo)
}

func TestCached(t *testing.T) {
	requireNativeFilter(t)
	want, err := Compile(Default(nil))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "seccomp")

	// The first call compiles, makes the directory and writes the file.
	cachedEquals(t, dir, "v1", want)
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("%s: %v, %v; want a directory of mode 0700", dir, info, err)
	}
	path := cacheFile(t, dir)
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, %v; want mode 0600", path, info, err)
	}

	// The second reads the file, and leaves it be.
	age(t, path)
	cachedEquals(t, dir, "v1", want)
	if rewritten(t, path) {
		t.Errorf("the second call rewrote %s", path)
	}

	// A file that is torn, or garbled in its body, header or magic, is
	// compiled again and replaced.
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for what, bad := range map[string][]byte{
		"empty":        {},
		"torn":         good[:len(good)/2],
		"body garbled": append(slices.Clone(good[:len(good)-1]), good[len(good)-1]^1),
		"key garbled":  append(append(slices.Clone(good[:8]), good[8]^1), good[9:]...),
		"magic":        append([]byte("KBSCACHF"), good[8:]...),
		"one more":     append(slices.Clone(good), 0),
	} {
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		age(t, path)
		cachedEquals(t, dir, "v1", want)
		if !rewritten(t, path) {
			t.Errorf("%s file: not rewritten", what)
		}
		if got, err := os.ReadFile(path); err != nil || !slices.Equal(got, good) {
			t.Errorf("%s file: rewritten, but not as Cached writes it (%v)", what, err)
		}
	}

	// Another version has another file, compiled anew; its name holding
	// v1's file (copied over it) is a bad file too.
	cachedEquals(t, dir, "v2", want)
	files, err := filepath.Glob(filepath.Join(dir, "*.bpf"))
	if err != nil || len(files) != 2 {
		t.Fatalf("after v2: %v (%v), want v1's file and v2's", files, err)
	}
	v2 := files[0]
	if v2 == path {
		v2 = files[1]
	}
	if err := os.WriteFile(v2, good, 0o600); err != nil {
		t.Fatal(err)
	}
	age(t, v2)
	cachedEquals(t, dir, "v2", want)
	if !rewritten(t, v2) {
		t.Error("v1's file under v2's name: not rewritten")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

// A file that checks out is used as it is, not compiled again: here one
// written by hand, for the same key, with another (valid) program.
func TestCachedTrustsAFileThatChecksOut(t *testing.T) {
	requireNativeFilter(t)
	dir := t.TempDir()
	s := Default(nil)
	key, err := cacheKey("v1", s)
	if err != nil {
		t.Fatal(err)
	}
	other := &program.Program{Filters: [][]unix.SockFilter{{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}}}
	path := filepath.Join(dir, hex.EncodeToString(key[:])+".bpf")
	if err := writeCached(dir, path, key, other); err != nil {
		t.Fatal(err)
	}
	p, err := Cached(dir, "v1", s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, other) {
		t.Errorf("Cached compiled the profile, though its file checks out")
	}
}

// The key changes with the version and the profile, and only with them.
func TestCacheKey(t *testing.T) {
	key := func(version string, capabilities ...string) [sha256.Size]byte {
		k, err := cacheKey(version, Default(capabilities))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if key("v1") != key("v1") {
		t.Error("the same profile and version gave two keys")
	}
	if key("v1") == key("v2") || key("v1") == key("v1", "CAP_SYS_ADMIN") {
		t.Error("another version or profile gave the same key")
	}
}

// dir "" keeps nothing: Cached is Compile.
func TestCachedNoDir(t *testing.T) {
	requireNativeFilter(t)
	want, err := Compile(Default(nil))
	if err != nil {
		t.Fatal(err)
	}
	cachedEquals(t, "", "v1", want)
	if p, err := Cached(t.TempDir(), "v1", nil); p != nil || err != nil {
		t.Errorf("Cached(nil profile): %v, %v; want no program", p, err)
	}
}

// A profile kobako refuses is refused, and nothing is written.
func TestCachedRefuses(t *testing.T) {
	requireNativeFilter(t)
	dir := t.TempDir()
	s := Default(nil)
	s.ListenerPath = "/run/agent.sock"
	if _, err := Cached(dir, "v1", s); err == nil {
		t.Error("Cached took a profile with a seccomp agent")
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("a refused profile left %d files", len(files))
	}
}

// Compile against Cached, warm, for docker's default profile: kobako's
// (Default, with docker's default capabilities) and the one docker itself
// sends (runtime/testdata/docker-config.json).
//
//	go test -run '^$' -bench . -benchmem ./runtime/seccomp/
func BenchmarkCompile(b *testing.B) {
	for name, s := range benchProfiles(b) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Compile(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCached(b *testing.B) {
	for name, s := range benchProfiles(b) {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			if _, err := Cached(dir, "bench", s); err != nil { // warm
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := Cached(dir, "bench", s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchProfiles(b *testing.B) map[string]*specs.LinuxSeccomp {
	if _, ok := scmpArch[runtime.GOARCH]; !ok {
		b.Skipf("kobako filters amd64 and arm64, not %s", runtime.GOARCH)
	}
	return map[string]*specs.LinuxSeccomp{
		"kobako-default": Default(fuzzCapabilities),
		"docker-engine":  engineProfile(b, "docker"),
	}
}

// A cache that cannot be written — here its directory's name is taken by
// a file — is no cache: the program comes back all the same, and nothing
// is left where the file would have gone.
func TestCachedUnwritable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "seccomp")
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	want, err := Compile(Default(nil))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Cached(dir, "v1", Default(nil))
	if err != nil {
		t.Fatalf("Cached into an unwritable dir: %v, want the program without its file", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Cached into an unwritable dir gave another program")
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("left %d entries beside the cache's name, want only it", len(entries))
	}
}
