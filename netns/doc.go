// Package netns is the article's network chapter: network namespaces,
// veth pairs and a bridge, done with netlink instead of the ip command,
// one file per step:
//
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
// What every new namespace needs first, `ip link set lo up`, the
// container's init does from the inside (runtime/initproc/loopback.go),
// without netlink: the init links as little as it can.
//
// Whatever the package calls "the host" is the network namespace kobako
// runs in.
package netns
