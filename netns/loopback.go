// Package netns is the article's network chapter: network namespaces,
// veth pairs and a bridge, done with netlink instead of the ip command.
//
// For now it holds the one step every container needs: the loopback device
// of its new, empty network namespace.
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
