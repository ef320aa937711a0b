package netns

// /etc/hosts and /etc/hostname of a container. The article's namespaces
// see the host's /etc, so `ping ns0` means nothing there; docker writes
// both files for each container, in its own directory, and bind-mounts
// them over the image's — which the container layer does with these
// texts. Shell twin:
//
//	printf '127.0.0.1\tlocalhost\n192.168.77.2\t%s\n' "$HOSTNAME" > $CONTAINER/hosts
//	mount --bind $CONTAINER/hosts $ROOTFS/etc/hosts
//
// See hosts(5).

import (
	"fmt"
	"net/netip"
	"strings"
)

// HostEntry is one --add-host NAME:ADDR.
type HostEntry struct {
	Name string
	Addr netip.Addr
}

// ParseHostEntry reads NAME:ADDR (docker's --add-host; an IPv6 address
// keeps its colons: the name ends at the first one).
func ParseHostEntry(s string) (HostEntry, error) {
	name, addr, ok := strings.Cut(s, ":")
	if !ok || name == "" || strings.ContainsAny(name, " \t\n#") {
		return HostEntry{}, fmt.Errorf("--add-host %q: give NAME:ADDRESS, like db:10.0.0.5", s)
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return HostEntry{}, fmt.Errorf("--add-host %q: %q is not an IP address", s, addr)
	}
	return HostEntry{Name: name, Addr: a}, nil
}

func (h HostEntry) String() string { return h.Name + ":" + h.Addr.String() }

// localhostLines are docker's: IPv4 and IPv6 loopback and the IPv6
// multicast names glibc expects.
const localhostLines = "127.0.0.1\tlocalhost\n" +
	"::1\tlocalhost ip6-localhost ip6-loopback\n" +
	"fe00::0\tip6-localnet\n" +
	"ff00::0\tip6-mcastprefix\n" +
	"ff02::1\tip6-allnodes\n" +
	"ff02::2\tip6-allrouters\n"

// Hosts is a new /etc/hosts: localhost, the container's own names on its
// address (hostname first: `hostname -i` reads that line), then extra.
func Hosts(own netip.Addr, names []string, extra []HostEntry) string {
	var b strings.Builder
	b.WriteString(localhostLines)
	if own.IsValid() && len(names) > 0 {
		fmt.Fprintf(&b, "%s\t%s\n", own, strings.Join(unique(names), " "))
	}
	return b.String() + extraLines(extra)
}

// HostsFrom is the host's /etc/hosts with extra entries after it: what a
// container that shares the host's network sees (docker does the same).
func HostsFrom(hostFile string, extra []HostEntry) string {
	if hostFile != "" && !strings.HasSuffix(hostFile, "\n") {
		hostFile += "\n"
	}
	return hostFile + extraLines(extra)
}

func extraLines(extra []HostEntry) string {
	var b strings.Builder
	for _, h := range extra {
		fmt.Fprintf(&b, "%s\t%s\n", h.Addr, h.Name)
	}
	return b.String()
}

// unique drops empty and repeated names, keeping the order.
func unique(names []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
