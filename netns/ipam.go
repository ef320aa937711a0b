package netns

// IP address management, without a daemon: the bridge's subnet is chosen
// once, when the bridge is made, and each container leases one address of
// it in the state file (state.go), under its lock. In the article a person
// picks 192.168.77.1 for br0 and .2, .3 for ns0, ns1; kobako does the same
// choosing, and starts from the article's own subnet when the host has no
// route into it.

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fault"
)

// subnetCandidates are tried in order for a new bridge: the article's
// 192.168.77.0/24, then 10.77.0.0/24 … 10.77.255.0/24.
func subnetCandidates() []netip.Prefix {
	list := []netip.Prefix{netip.MustParsePrefix("192.168.77.0/24")}
	for third := range 256 {
		list = append(list, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 77, byte(third), 0}), 24))
	}
	return list
}

// pickSubnet returns the first candidate that overlaps none of the
// prefixes already routed: a bridge subnet that shadows a route would cut
// the host off from that network.
func pickSubnet(candidates, routed []netip.Prefix) (netip.Prefix, error) {
	for _, c := range candidates {
		free := true
		for _, r := range routed {
			if c.Overlaps(r) {
				free = false
				break
			}
		}
		if free {
			return c, nil
		}
	}
	return netip.Prefix{}, errors.New("every candidate subnet for the bridge overlaps a route of this host: give one with --subnet")
}

// routedPrefixes lists the IPv4 destinations of every routing table but
// the default route (`ip route show table all`).
func routedPrefixes() ([]netip.Prefix, error) {
	filter := &netlink.Route{Table: unix.RT_TABLE_UNSPEC}
	// ip -4 route show table all
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, filter, netlink.RT_FILTER_TABLE)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("ip -4 route show table all: %w", err)
	}
	var prefixes []netip.Prefix
	for _, r := range routes {
		if r.Dst == nil {
			continue // default
		}
		if p, ok := prefixOf(r.Dst); ok && p.Bits() > 0 {
			prefixes = append(prefixes, p)
		}
	}
	return prefixes, nil
}

// gatewayOf is the bridge's own address: the subnet's first.
func gatewayOf(subnet netip.Prefix) netip.Addr {
	return subnet.Masked().Addr().Next()
}

// freeAddress is the lowest address of the subnet that is not the
// network, the gateway, the broadcast address, nor leased.
func freeAddress(subnet netip.Prefix, leased map[netip.Addr]lease) (netip.Addr, error) {
	// fault point ipam-exhausted (internal/fault): a test build fails
	// here, as if every address were leased
	if err := fault.Check("ipam-exhausted"); err != nil {
		return netip.Addr{}, fmt.Errorf("no free address left in %s: %w", subnet, err)
	}
	for a := gatewayOf(subnet).Next(); subnet.Contains(a); a = a.Next() {
		if _, taken := leased[a]; !taken && a != broadcastOf(subnet) {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("no free address left in %s", subnet)
}

// checkAddress refuses an address asked for with --ip that the subnet
// does not hold, that is reserved, or that another container has.
func checkAddress(a netip.Addr, subnet netip.Prefix, leased map[netip.Addr]lease) error {
	switch {
	case !subnet.Contains(a):
		return fmt.Errorf("address %s is not in the bridge's subnet %s", a, subnet)
	case a == subnet.Masked().Addr() || a == broadcastOf(subnet):
		return fmt.Errorf("address %s is the network or broadcast address of %s", a, subnet)
	case a == gatewayOf(subnet):
		return fmt.Errorf("address %s is the bridge's own (the gateway)", a)
	}
	if l, taken := leased[a]; taken {
		return fmt.Errorf("address %s is already in use by container %.12s", a, l.ID)
	}
	return nil
}

// broadcastOf is the subnet's last address.
func broadcastOf(subnet netip.Prefix) netip.Addr {
	a := subnet.Masked().Addr().As4()
	host := uint32(1)<<(32-subnet.Bits()) - 1
	for i := range 4 {
		a[3-i] |= byte(host >> (8 * i))
	}
	return netip.AddrFrom4(a)
}

// ipNet turns 192.168.77.2/24 into the net.IPNet netlink takes.
func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32)}
}

// prefixOf turns a net.IPNet into a prefix, for IPv4 only.
func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	addr, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, bits := n.Mask.Size()
	if !addr.Unmap().Is4() || bits == 0 {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(addr.Unmap(), ones-(bits-32)), true
}
