// Fuzzing -p (issue 15, item 5): ParsePortMapping reads docker's
// [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]. A mapping it accepts becomes two
// nft rules (ports.go), so it must be one nft can say:
//
//   - both ports in 1..65535, the protocol tcp or udp, the host address
//     none or IPv4 (kobako's table is "ip", IPv4 only);
//   - String writes it back in -p syntax, which reads as the same mapping.
//
// make fuzz runs it for a while; make test runs its checked-in corpus
// (testdata/fuzz/FuzzParsePortMapping, written by TestFuzzSeeds).
package netns

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// FuzzParsePortMapping reads any string as -p would.
func FuzzParsePortMapping(f *testing.F) {
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := ParsePortMapping(spec)
		if err != nil {
			if err.Error() == "" {
				t.Errorf("ParsePortMapping(%q) failed with an empty error", spec)
			}
			return
		}
		if p.HostPort == 0 || p.ContainerPort == 0 { // uint16: at most 65535 by its type
			t.Errorf("ParsePortMapping(%q) = %+v: port 0", spec, p)
		}
		if p.Protocol != "tcp" && p.Protocol != "udp" {
			t.Errorf("ParsePortMapping(%q) = %+v: protocol %q", spec, p, p.Protocol)
		}
		if p.HostIP.IsValid() && !p.HostIP.Is4() {
			t.Errorf("ParsePortMapping(%q) = %+v: host address %v is not IPv4", spec, p, p.HostIP)
		}
		if again, err := ParsePortMapping(p.String()); err != nil || again != p {
			t.Errorf("ParsePortMapping(%q) = %+v, written %q, which reads as %+v, %v", spec, p, p.String(), again, err)
		}
	})
}

// portSeeds are TestParsePortMapping's specs, good and bad.
var portSeeds = []string{"8080:80", "53:5353/udp", "127.0.0.1:8080:80/tcp", "80", "0:80", "8080:70000", "x:80", "8080:80/sctp",
	"::1:8080:80", "1.2.3:8080:80", "a:b:c:d", "", "0.0.0.0:65535:1", "08080:080", "8080:80/"}

// TestFuzzSeeds checks that the checked-in corpus under testdata/fuzz/ is
// the seeds above, and writes it when asked:
//
//	KOBAKO_FUZZ_WRITE_SEEDS=1 go test -run '^TestFuzzSeeds$' ./netns/
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParsePortMapping")
	write := os.Getenv("KOBAKO_FUZZ_WRITE_SEEDS") != ""
	if write {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i, spec := range portSeeds {
		want := fmt.Appendf(nil, "go test fuzz v1\nstring(%q)\n", spec)
		path := filepath.Join(dir, "seed-"+strconv.Itoa(i))
		if write {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not this seed (%v): rewrite the corpus with KOBAKO_FUZZ_WRITE_SEEDS=1 go test -run '^TestFuzzSeeds$' .", path, err)
		}
	}
}
