package netns

import (
	"net/netip"
	"strings"
	"testing"
)

func TestHosts(t *testing.T) {
	extra := []HostEntry{{Name: "db", Addr: netip.MustParseAddr("10.0.0.5")}}
	got := Hosts(netip.MustParseAddr("192.168.77.2"), []string{"web", "web", "", "0123456789ab"}, extra)
	for _, want := range []string{"127.0.0.1\tlocalhost\n", "192.168.77.2\tweb 0123456789ab\n", "10.0.0.5\tdb\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("Hosts lacks %q:\n%s", want, got)
		}
	}
	if got := Hosts(netip.Addr{}, []string{"web"}, nil); strings.Contains(got, "web") {
		t.Errorf("Hosts without an address names the container:\n%s", got)
	}
	if got := HostsFrom("127.0.0.1 localhost", extra); got != "127.0.0.1 localhost\n10.0.0.5\tdb\n" {
		t.Errorf("HostsFrom = %q", got)
	}
}

func TestParseHostEntry(t *testing.T) {
	if h, err := ParseHostEntry("db:10.0.0.5"); err != nil || h.Name != "db" || h.Addr != netip.MustParseAddr("10.0.0.5") {
		t.Errorf("ParseHostEntry(db:10.0.0.5) = %+v, %v", h, err)
	}
	if h, err := ParseHostEntry("v6:fd00::1"); err != nil || h.Addr != netip.MustParseAddr("fd00::1") {
		t.Errorf("ParseHostEntry(v6:fd00::1) = %+v, %v", h, err)
	}
	for _, bad := range []string{"db", ":10.0.0.5", "db:nowhere", "a b:10.0.0.1"} {
		if _, err := ParseHostEntry(bad); err == nil {
			t.Errorf("ParseHostEntry(%q) accepted it", bad)
		}
	}
}

func TestResolvConf(t *testing.T) {
	host := "# from the host\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\nsearch example.org\noptions edns0\n"
	for _, tc := range []struct {
		name         string
		host         string
		servers      []netip.Addr
		keepLoopback bool
		want         string
	}{
		{"loopback resolvers go", host, nil, false, "nameserver 10.0.0.2\nsearch example.org\noptions edns0\n"},
		{"the host's network keeps them", host, nil, true, "nameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\nsearch example.org\noptions edns0\n"},
		{"--dns replaces them", host, []netip.Addr{netip.MustParseAddr("1.1.1.1")}, false, "nameserver 1.1.1.1\nsearch example.org\noptions edns0\n"},
		{"nothing left: docker's default", "nameserver 127.0.0.53\n", nil, false, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"},
		{"no file at all", "", nil, false, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"},
	} {
		if got := ResolvConf(tc.host, tc.servers, tc.keepLoopback); got != tc.want {
			t.Errorf("%s: ResolvConf =\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
	if !OnlyLoopbackResolvers("nameserver 127.0.0.53\noptions edns0\n") || OnlyLoopbackResolvers(host) || OnlyLoopbackResolvers("") {
		t.Error("OnlyLoopbackResolvers: wrong answer")
	}
}
