package netns

import (
	"net"
	"net/netip"
	"testing"
)

func TestPickSubnet(t *testing.T) {
	pfx := netip.MustParsePrefix
	candidates := subnetCandidates()
	for _, tc := range []struct {
		name   string
		routed []netip.Prefix
		want   netip.Prefix
	}{
		{"an empty host gets the article's subnet", nil, pfx("192.168.77.0/24")},
		{"a host route inside it", []netip.Prefix{pfx("192.168.77.5/32")}, pfx("10.77.0.0/24")},
		{"a home network around it", []netip.Prefix{pfx("192.168.0.0/16"), pfx("10.77.0.0/24")}, pfx("10.77.1.0/24")},
		{"10/8 routed", []netip.Prefix{pfx("192.168.77.0/24"), pfx("10.0.0.0/8")}, netip.Prefix{}},
	} {
		got, err := pickSubnet(candidates, tc.routed)
		if got != tc.want || (err == nil) != tc.want.IsValid() {
			t.Errorf("%s: pickSubnet = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestAddresses(t *testing.T) {
	subnet := netip.MustParsePrefix("192.168.77.0/24")
	addr := netip.MustParseAddr
	if got := gatewayOf(subnet); got != addr("192.168.77.1") {
		t.Errorf("gateway = %v", got)
	}
	if got := broadcastOf(subnet); got != addr("192.168.77.255") {
		t.Errorf("broadcast = %v", got)
	}
	leased := map[netip.Addr]lease{addr("192.168.77.2"): {ID: "one"}, addr("192.168.77.4"): {ID: "two"}}
	if got, err := freeAddress(subnet, leased); err != nil || got != addr("192.168.77.3") {
		t.Errorf("freeAddress = %v, %v; want the lowest free, 192.168.77.3", got, err)
	}
	small := netip.MustParsePrefix("10.0.0.0/30") // .1 gateway, .2 the only one, .3 broadcast
	if got, err := freeAddress(small, map[netip.Addr]lease{addr("10.0.0.2"): {}}); err == nil {
		t.Errorf("a full /30 gave %v", got)
	}
	for _, bad := range []string{"192.168.77.0", "192.168.77.1", "192.168.77.255", "192.168.77.2", "10.0.0.9"} {
		if err := checkAddress(addr(bad), subnet, leased); err == nil {
			t.Errorf("checkAddress(%s) accepted it", bad)
		}
	}
	if err := checkAddress(addr("192.168.77.50"), subnet, leased); err != nil {
		t.Errorf("checkAddress(192.168.77.50): %v", err)
	}
}

func TestMAC(t *testing.T) {
	if got := macFor(netip.MustParseAddr("192.168.77.2")).String(); got != "02:42:c0:a8:4d:02" {
		t.Errorf("macFor = %s", got)
	}
	if got := hostVethName("0123456789abcdef"); len(got) > 15 || got != "veth0123456789a" {
		t.Errorf("hostVethName = %q: at most 15 bytes, from the id", got)
	}
}

func TestPrefixOf(t *testing.T) {
	_, n, _ := net.ParseCIDR("10.1.2.0/24")
	if p, ok := prefixOf(n); !ok || p != netip.MustParsePrefix("10.1.2.0/24") {
		t.Errorf("prefixOf(%v) = %v, %v", n, p, ok)
	}
	_, v6, _ := net.ParseCIDR("fd00::/64")
	if _, ok := prefixOf(v6); ok {
		t.Error("an IPv6 route was taken for IPv4")
	}
}
