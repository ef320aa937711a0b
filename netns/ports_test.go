package netns

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParsePortMapping(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want PortMapping
	}{
		{"8080:80", PortMapping{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}},
		{"53:5353/udp", PortMapping{HostPort: 53, ContainerPort: 5353, Protocol: "udp"}},
		{"127.0.0.1:8080:80/tcp", PortMapping{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}},
	} {
		got, err := ParsePortMapping(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParsePortMapping(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		// String writes what ParsePortMapping reads.
		if again, err := ParsePortMapping(got.String()); err != nil || again != got {
			t.Errorf("round trip of %q through %q = %+v, %v", tc.in, got.String(), again, err)
		}
	}
	for _, bad := range []string{"80", "0:80", "8080:70000", "x:80", "8080:80/sctp", "::1:8080:80", "1.2.3:8080:80", "a:b:c:d", ""} {
		if p, err := ParsePortMapping(bad); err == nil {
			t.Errorf("ParsePortMapping(%q) = %+v, want an error", bad, p)
		}
	}
}

func TestPortsOverlap(t *testing.T) {
	p := func(s string) PortMapping {
		pm, err := ParsePortMapping(s)
		if err != nil {
			t.Fatal(err)
		}
		return pm
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"8080:80", "8080:81", true},
		{"8080:80", "127.0.0.1:8080:80", true}, // every address includes 127.0.0.1
		{"127.0.0.1:8080:80", "127.0.0.2:8080:80", false},
		{"8080:80/tcp", "8080:80/udp", false},
		{"8080:80", "8081:80", false},
	} {
		if got := p(tc.a).overlaps(p(tc.b)); got != tc.want {
			t.Errorf("%s overlaps %s = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	leases := map[netip.Addr]lease{netip.MustParseAddr("192.168.77.2"): {ID: strings.Repeat("a", 64), Ports: []PortMapping{p("9999:80")}}}
	if err := checkPortsFree([]PortMapping{p("9999:81")}, leases); err == nil || !strings.Contains(err.Error(), "aaaaaaaaaaaa") {
		t.Errorf("a port another container publishes: %v, want an error naming it", err)
	}
	if err := checkPortsFree([]PortMapping{p("9998:80"), p("9998:81")}, nil); err == nil {
		t.Error("the same host port twice in one run: no error")
	}
}
