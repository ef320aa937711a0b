// Package fuzzseed keeps the checked-in seed corpora of kobako's fuzz
// targets in step with the code that makes them: each package's
// TestFuzzSeeds builds its seeds (hostile tarballs, engines' configs …)
// and Check compares them with testdata/fuzz/TARGET/seed-NAME, the files
// `go test` replays. KOBAKO_FUZZ_WRITE_SEEDS=1 rewrites them:
//
//	KOBAKO_FUZZ_WRITE_SEEDS=1 go test -run '^TestFuzzSeeds$' ./rootfs/unpack/
package fuzzseed

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Check compares testdata/fuzz/TARGET/seed-NAME with each seed, in the
// format go test reads ("go test fuzz v1", then one Go literal per
// argument), or writes them when KOBAKO_FUZZ_WRITE_SEEDS is set.
func Check(t testing.TB, target string, seeds map[string][]any) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	write := os.Getenv("KOBAKO_FUZZ_WRITE_SEEDS") != ""
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, args := range seeds {
		var want bytes.Buffer
		want.WriteString("go test fuzz v1\n")
		for _, arg := range args {
			switch v := arg.(type) {
			case []byte:
				fmt.Fprintf(&want, "[]byte(%q)\n", v)
			case string:
				fmt.Fprintf(&want, "string(%q)\n", v)
			default:
				t.Fatalf("seed %s/%s: no corpus literal for %T", target, name, arg)
			}
		}
		path := filepath.Join(dir, "seed-"+name)
		if write {
			if err := os.WriteFile(path, want.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s is not this seed (%v): rewrite the corpus with KOBAKO_FUZZ_WRITE_SEEDS=1 go test -run '^TestFuzzSeeds$' .", path, err)
		}
	}
}
