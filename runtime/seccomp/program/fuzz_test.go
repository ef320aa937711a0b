// Fuzzing Unmarshal: the init reads a program from a pipe, and the parent
// from a cache file that may be torn, stale or written by something else.
// For any bytes, Unmarshal refuses them in words, or returns a program
// that the kernel's limits allow and that marshals back to exactly those
// bytes (the format has one spelling per program: no padding, no
// optional fields).
//
// make fuzz runs the target for a while; make test runs its checked-in
// corpus (testdata/fuzz/FuzzUnmarshal, written by TestFuzzSeeds).
package program

import (
	"bytes"
	"testing"

	"github.com/kobako/kobako/internal/fuzzseed"
)

func FuzzUnmarshal(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Unmarshal(data)
		if err != nil {
			if err.Error() == "" {
				t.Error("Unmarshal failed with an empty error")
			}
			return
		}
		if p.Insns() > MaxInsnsPerPath {
			t.Fatalf("accepted %d instructions: over MAX_INSNS_PER_PATH", p.Insns())
		}
		again, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("Unmarshal accepted what MarshalBinary refuses: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("marshalled back to other bytes:\n got %x\nwant %x", again, data)
		}
	})
}

// fuzzSeeds are the samples of marshal_test.go that are small enough to
// check in, and a few bytes that come close.
func fuzzSeeds(t *testing.T) map[string][]any {
	seeds := map[string][]any{
		"empty":       {[]byte{}},
		"header-only": {[]byte("KBPF\x01\x00\x00\x00\x00\x00\x00\x00")},
		"version-2":   {[]byte("KBPF\x02\x00\x00\x00\x00\x00\x00\x00")},
		"too-many":    {[]byte("KBPF\x01\x00\xff\xff\x00\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\xff\x7f")},
		"long-filter": {[]byte("KBPF\x01\x00\x01\x00\x00\x00\x00\x00\x00\x10")},
		"elf":         {[]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00")},
	}
	for seed, sample := range map[string]string{
		"no-filters": "no filters", "one-filter": "one filter", "two-filters-log": "two filters, LOG",
		"spec-allow-log": "SPEC_ALLOW, LOG", "every-bit": "every bit in place",
	} {
		data, err := samples()[sample].MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		seeds[seed] = []any{data}
	}
	return seeds
}

// TestFuzzSeeds checks that testdata/fuzz/FuzzUnmarshal holds the seeds
// above, and writes them when asked:
//
//	KOBAKO_FUZZ_WRITE_SEEDS=1 go test -run '^TestFuzzSeeds$' ./runtime/seccomp/program/
func TestFuzzSeeds(t *testing.T) {
	fuzzseed.Check(t, "FuzzUnmarshal", fuzzSeeds(t))
}
