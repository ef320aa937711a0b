package netns

// The virtual cable: a veth pair, one end plugged into the bridge on the
// host, the other inside the container as its eth0. The article's
//
//	ip link add veth0 type veth peer name veth0_peer
//	ip link set dev veth0 master br0
//	ip link set dev veth0 up
//	ip link set dev veth0_peer netns ns0
//	ip netns exec ns0 ip link set dev veth0_peer name eth0
//	ip netns exec ns0 ip addr add 192.168.77.2/24 dev eth0
//	ip netns exec ns0 ip link set dev eth0 up
//	ip netns exec ns0 ip route add default via 192.168.77.1
//
// with one shortcut: the peer is born in the container's namespace with
// its final name (`ip link add … peer name eth0 netns $PID`), so no half-
// made end ever shows on the host. The container's namespace is reached
// by its init's pid, as the article's §8.4 moves a veth "by PID"; the
// steps inside it go through a netlink socket opened there (`nsenter -t
// $PID -n ip …`), so kobako's own threads never change namespace.

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// ContainerInterface is the name of the container's end of the cable.
const ContainerInterface = "eth0"

// hostVethName is the host end's name: "veth" and the start of the id,
// at most IFNAMSIZ-1 = 15 bytes, and found again from the id alone.
func hostVethName(id string) string { return "veth" + id[:11] }

// macFor derives the container's MAC from its address, as docker does
// (02:42 and the four bytes): an address handed out again comes with the
// same MAC, so no neighbour's ARP cache points at a departed container.
func macFor(addr netip.Addr) net.HardwareAddr {
	a := addr.As4()
	return net.HardwareAddr{0x02, 0x42, a[0], a[1], a[2], a[3]}
}

// addVeth makes the pair, its peer eth0 inside the namespace of pid, and
// plugs the host end into the bridge.
func addVeth(hostName string, pid int, mac net.HardwareAddr, bridge string, tr *trace.Tracer) error {
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: hostName},
		PeerName:         ContainerInterface,
		PeerHardwareAddr: mac,
		PeerNamespace:    netlink.NsPid(pid),
	}
	shell := fmt.Sprintf("ip link add %s type veth peer name %s address %s netns %d", hostName, ContainerInterface, mac, pid)
	// ip link add vethXXX type veth peer name eth0 address 02:42:… netns $PID
	err := netlink.LinkAdd(veth)
	tr.Step("add the veth pair", shell, "netlink.LinkAdd(&netlink.Veth{PeerNamespace: netlink.NsPid(pid)})", err)
	if err != nil {
		return fmt.Errorf("%s: %w", shell, err)
	}
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		return fmt.Errorf("ip link show %s: %w", bridge, err)
	}
	// ip link set dev vethXXX master kobako0
	err = netlink.LinkSetMaster(veth, br)
	tr.Step("plug the host end into the bridge", fmt.Sprintf("ip link set dev %s master %s", hostName, bridge), "netlink.LinkSetMaster(veth, bridge)", err)
	if err != nil {
		return fmt.Errorf("ip link set dev %s master %s: %w", hostName, bridge, err)
	}
	// ip link set dev vethXXX up
	err = netlink.LinkSetUp(veth)
	tr.Step("bring the host end up", "ip link set dev "+hostName+" up", "netlink.LinkSetUp(veth)", err)
	if err != nil {
		return fmt.Errorf("ip link set dev %s up: %w", hostName, err)
	}
	return nil
}

// configureInside gives eth0 in the namespace of pid its address, brings
// it up and routes everything through the gateway.
func configureInside(pid int, addr netip.Prefix, gateway netip.Addr, tr *trace.Tracer) error {
	ns, err := vnetns.GetFromPid(pid)
	if err != nil {
		return fmt.Errorf("open /proc/%d/ns/net: %w", pid, err)
	}
	defer ns.Close()
	// A netlink socket inside the container's namespace: every request
	// on it acts there, like `nsenter -t $PID -n ip …`. Only the route
	// family (links, addresses, routes): without the list the library opens
	// xfrm and netfilter sockets too, and a kernel without xfrm_user loaded
	// refuses the first with EPROTONOSUPPORT.
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink socket in /proc/%d/ns/net: %w", pid, err)
	}
	defer h.Close()
	inside := fmt.Sprintf("nsenter -t %d -n ", pid)
	eth0, err := h.LinkByName(ContainerInterface)
	if err != nil {
		return fmt.Errorf("%sip link show %s: %w", inside, ContainerInterface, err)
	}
	// nsenter -t $PID -n ip addr add 192.168.77.2/24 dev eth0
	shell := fmt.Sprintf("%sip addr add %s dev %s", inside, addr, ContainerInterface)
	err = h.AddrAdd(eth0, &netlink.Addr{IPNet: ipNet(addr)})
	tr.Step("give eth0 its address", shell, "netlink.Handle.AddrAdd(eth0, addr)", err)
	if err != nil {
		return fmt.Errorf("%s: %w", shell, err)
	}
	// nsenter -t $PID -n ip link set dev eth0 up
	shell = inside + "ip link set dev " + ContainerInterface + " up"
	err = h.LinkSetUp(eth0)
	tr.Step("bring eth0 up", shell, "netlink.Handle.LinkSetUp(eth0)", err)
	if err != nil {
		return fmt.Errorf("%s: %w", shell, err)
	}
	// nsenter -t $PID -n ip route add default via 192.168.77.1
	shell = fmt.Sprintf("%sip route add default via %s", inside, gateway)
	err = h.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: gateway.AsSlice()})
	tr.Step("route through the gateway", shell, "netlink.Handle.RouteAdd(&netlink.Route{Gw: gateway})", err)
	if err != nil {
		return fmt.Errorf("%s: %w", shell, err)
	}
	return nil
}

// deleteVeth removes the pair by its host end: deleting one end of a
// veth deletes the other (`ip link del vethXXX`, veth(4)).
func deleteVeth(hostName string, tr *trace.Tracer) error {
	return deleteLink(hostName, "delete the veth pair", tr)
}
