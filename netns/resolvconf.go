package netns

// /etc/resolv.conf of a container: the host's, less what cannot work
// from another network namespace. A nameserver on 127.0.0.0/8 or ::1 —
// systemd-resolved's 127.0.0.53, a local dnsmasq — listens on the host's
// loopback, which a container's own lo is not. Docker filters them out
// the same way, and falls back to public resolvers when nothing is left.
// Shell twin:
//
//	grep -v '^nameserver \(127\.\|::1\)' /etc/resolv.conf > $CONTAINER/resolv.conf
//
// See resolv.conf(5).

import (
	"net/netip"
	"strings"
)

// DefaultNameservers are docker's fallback when the host has no resolver
// a container can reach (Google Public DNS).
var DefaultNameservers = []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("8.8.4.4")}

// ResolvConf derives the container's resolv.conf from the host's text.
// servers, when given (--dns), replace the host's nameservers; with
// keepLoopback (a container on the host's network) nothing is filtered.
func ResolvConf(host string, servers []netip.Addr, keepLoopback bool) string {
	var kept []string
	hostServers := 0
	for _, line := range strings.Split(host, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "nameserver" {
			if len(fields) > 0 && !strings.HasPrefix(fields[0], "#") && !strings.HasPrefix(fields[0], ";") {
				kept = append(kept, strings.Join(fields, " "))
			}
			continue
		}
		if len(servers) > 0 || len(fields) < 2 {
			continue
		}
		addr, err := netip.ParseAddr(strings.Split(fields[1], "%")[0])
		if err != nil || (addr.IsLoopback() && !keepLoopback) {
			continue
		}
		kept = append(kept, "nameserver "+fields[1])
		hostServers++
	}
	if len(servers) == 0 && hostServers == 0 {
		servers = DefaultNameservers
	}
	var lines []string
	for _, s := range servers {
		lines = append(lines, "nameserver "+s.String())
	}
	return strings.Join(append(lines, kept...), "\n") + "\n"
}

// OnlyLoopbackResolvers says whether every nameserver of a resolv.conf is
// on loopback: systemd-resolved's stub file. Its real upstream servers
// are then in /run/systemd/resolve/resolv.conf, which docker reads instead.
func OnlyLoopbackResolvers(text string) bool {
	found := false
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		found = true
		if addr, err := netip.ParseAddr(strings.Split(fields[1], "%")[0]); err != nil || !addr.IsLoopback() {
			return false
		}
	}
	return found
}
