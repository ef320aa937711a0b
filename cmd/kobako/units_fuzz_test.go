// Fuzzing the flag parsers of kobako run (issue 15, item 5): sizes here,
// --memory/--memory-swap/--cpus in run_resources_fuzz_test.go, -v, --tmpfs
// and --mount in run_volumes_fuzz_test.go. A flag's value is whatever a
// user, or a script that builds a command line, typed; each parser either
// refuses it in words or returns something the rest of kobako can use.
//
// FuzzParseSize's properties, for a size parseSize accepts:
//
//   - it is not negative;
//   - written back as bytes ("123b"), it reads as the same number;
//   - written the way kobako shows sizes (formatSize: "10.0 MiB"), it
//     reads back within that format's rounding — so a size a user copies
//     from kobako's output into a flag means what it said. Up to 1 PiB:
//     formatSize goes on to PiB and EiB, units parseSize does not take
//     (no memory is that large).
//
// make fuzz runs the targets for a while; make test runs their checked-in
// corpora (testdata/fuzz/, written from the seeds by TestFuzzSeeds).
package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kobako/kobako/internal/fuzzseed"
)

// FuzzParseSize reads any string as --memory would.
func FuzzParseSize(f *testing.F) {
	f.Fuzz(func(t *testing.T, value string) {
		n, err := parseSize(value)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("parseSize(%q) = %d, a negative size", value, n)
		}
		if again, err := parseSize(strconv.FormatInt(n, 10) + "b"); err != nil || again != n {
			t.Errorf("parseSize(%q) = %d, but %db reads as %d, %v", value, n, n, again, err)
		}
		if n >= 1<<50 {
			return
		}
		shown := formatSize(uint64(n))
		back, err := parseSize(shown)
		if err != nil {
			t.Fatalf("parseSize(%q) = %d, which kobako shows as %q, which parseSize refuses: %v", value, n, shown, err)
		}
		// "%.1f" of a number of at least 1 in its unit is off by at most 0.05 of that unit: 5 %
		if diff := float64(back) - float64(n); diff > 0.05*float64(n)+1 || -diff > 0.05*float64(n)+1 {
			t.Errorf("parseSize(%q) = %d, shown as %q, which reads back as %d", value, n, shown, back)
		}
	})
}

// sizeSeeds are TestParseSize's sizes, good and bad, and the largest.
var sizeSeeds = []string{"10m", "10M", "10000000b", "10000000", "512k", "1.5g", "6MiB", "1 GB", "", "m", "10x", "ten", "-1m",
	"10mm", "0", "1e3k", "0x10m", "8191t", "2048t", "9223372036854775807", "1.0 PiB", "NaN", "Inf"}

// TestFuzzSeeds checks that the checked-in corpora under testdata/fuzz/
// are the seeds of this package's fuzz targets, and writes them when asked:
//
//	KOBAKO_FUZZ_WRITE_SEEDS=1 go test -run '^TestFuzzSeeds$' ./cmd/kobako/
func TestFuzzSeeds(t *testing.T) {
	named := func(values []string) map[string][]any {
		seeds := map[string][]any{}
		for i, v := range values {
			seeds[seedName(i, v)] = []any{v}
		}
		return seeds
	}
	fuzzseed.Check(t, "FuzzParseSize", named(sizeSeeds))
	fuzzseed.Check(t, "FuzzParseVolume", named(volumeSeeds))
	fuzzseed.Check(t, "FuzzParseTmpfs", named(tmpfsSeeds))
	fuzzseed.Check(t, "FuzzParseMount", named(mountSeeds))
	resources := map[string][]any{}
	for i, s := range resourceSeeds {
		resources[seedName(i, s.memory+"_"+s.swap+"_"+s.cpus)] = []any{s.memory, s.swap, s.cpus}
	}
	fuzzseed.Check(t, "FuzzResourceFlags", resources)
}

// seedName names the i-th seed file after its value, so that a failing
// seed says what it is: "17-8191t".
func seedName(i int, value string) string {
	name := []byte(strconv.Itoa(i) + "-")
	for _, c := range []byte(value) {
		if len(name) == 40 {
			break
		}
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".=-", c) >= 0) {
			c = '_'
		}
		name = append(name, c)
	}
	return string(name)
}
