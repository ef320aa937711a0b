// Package netns is the article's network chapter: network namespaces,
// veth pairs and a bridge, done with netlink instead of the ip command,
// one file per step:
//
//	loopback.go    ip link set lo up: what every new namespace needs
//	bridge.go      ip link add name kobako0 type bridge; ip addr add …
//	veth.go        ip link add … type veth peer name eth0 netns $PID; addr, route
//	ipam.go        which subnet, which address (no daemon)
//	state.go       the leases, in a host-wide file under a lock
//	nat.go         nft add table ip kobako; masquerade (iptables … MASQUERADE)
//	ports.go       -p: dnat rules (iptables … DNAT)
//	nftables.go    the nft expressions the rules are made of
//	network.go     Attach and Detach: the steps in order, and their undoing
//	hosts.go, resolvconf.go   a container's /etc/hosts and /etc/resolv.conf
//
// Whatever the package calls "the host" is the network namespace kobako
// runs in.
package netns

import (
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/kobako/kobako/internal/trace"
)

// LoopbackUp brings up lo in the caller's network namespace. A new network
// namespace starts with lo down (the article's `unshare -n` shows it DOWN);
// docker brings it up so that 127.0.0.1 works, and kobako does the same.
func LoopbackUp(tr *trace.Tracer) error {
	// In a new network namespace lo is always the first device, index 1:
	// no need to ask for it by name.
	lo := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "lo", Index: 1}}
	// ip link set lo up
	err := netlink.LinkSetUp(lo)
	tr.Step("loopback up", "ip link set lo up", "netlink.LinkSetUp(lo)", err)
	if err != nil {
		return fmt.Errorf("ip link set lo up: %w", err)
	}
	return nil
}
