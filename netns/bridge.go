package netns

// The bridge: the virtual switch every bridged container's cable is
// plugged into, with the gateway address on it. The article's commands:
//
//	ip link add name br0 type bridge
//	ip addr add 192.168.77.1/24 dev br0
//	ip link set dev br0 up
//
// kobako's is called kobako0 and made on the first `run --network bridge`;
// it goes again with the last bridged container (network.go).

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// addBridge makes the bridge with the gateway address on it, up.
func addBridge(name string, gateway netip.Prefix, tr *trace.Tracer) error {
	mac, err := randomMAC()
	if err != nil {
		return err
	}
	// A MAC of its own, given at birth: a bridge without one takes the
	// lowest of its ports' and changes it as containers come and go, and
	// their ARP caches would point the gateway at a departed one (docker
	// gives docker0 a fixed MAC for the same reason).
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, HardwareAddr: mac}}
	shell := fmt.Sprintf("ip link add name %s address %s type bridge", name, mac)
	// ip link add name kobako0 address 02:… type bridge
	err = netlink.LinkAdd(br)
	tr.Step("add the bridge", shell, "netlink.LinkAdd(&netlink.Bridge{Name: \""+name+"\", HardwareAddr: mac})", err)
	if err != nil {
		return fmt.Errorf("%s: %w", shell, err)
	}
	// ip addr add 192.168.77.1/24 dev kobako0
	err = netlink.AddrAdd(br, &netlink.Addr{IPNet: ipNet(gateway)})
	tr.Step("give the bridge the gateway address", fmt.Sprintf("ip addr add %s dev %s", gateway, name), "netlink.AddrAdd(bridge, gateway)", err)
	if err != nil {
		return fmt.Errorf("ip addr add %s dev %s: %w", gateway, name, err)
	}
	// Let the host reach published ports at 127.0.0.1 (nat.go says why
	// this needs route_localnet, and how containers are kept from using it).
	if err := sysctl(fmt.Sprintf("net/ipv4/conf/%s/route_localnet", name), "1", tr); err != nil {
		return err
	}
	// ip link set dev kobako0 up
	err = netlink.LinkSetUp(br)
	tr.Step("bring the bridge up", "ip link set dev "+name+" up", "netlink.LinkSetUp(bridge)", err)
	if err != nil {
		return fmt.Errorf("ip link set dev %s up: %w", name, err)
	}
	return nil
}

// randomMAC is a random, locally administered unicast MAC.
func randomMAC() (net.HardwareAddr, error) {
	mac := make(net.HardwareAddr, 6)
	if _, err := rand.Read(mac); err != nil {
		return nil, fmt.Errorf("random MAC: %w", err)
	}
	mac[0] = mac[0]&^0x01 | 0x02 // unicast, locally administered
	return mac, nil
}

// deleteBridge removes the bridge; a missing one is fine. Any host end of
// a veth still plugged in would be unplugged, not deleted.
func deleteBridge(name string, tr *trace.Tracer) error {
	return deleteLink(name, "delete the bridge", tr)
}

// deleteLink is `ip link del NAME`, tolerant of a link already gone.
func deleteLink(name, step string, tr *trace.Tracer) error {
	link, err := netlink.LinkByName(name)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ip link show %s: %w", name, err)
	}
	// ip link del NAME
	err = netlink.LinkDel(link)
	if errors.Is(err, unix.ENODEV) {
		// A veth whose container just died: the kernel, taking its
		// namespace down, deleted the pair between our two calls.
		return nil
	}
	tr.Step(step, "ip link del "+name, "netlink.LinkDel(link)", err)
	if err != nil {
		return fmt.Errorf("ip link del %s: %w", name, err)
	}
	return nil
}

// linkExists says whether this namespace has a link of that name.
func linkExists(name string) (bool, error) {
	_, err := netlink.LinkByName(name)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return false, nil
	}
	return err == nil, err
}

// sysctl writes one /proc/sys/net setting of our network namespace.
func sysctl(key, value string, tr *trace.Tracer) error {
	path := "/proc/sys/" + key
	// sysctl -w net.ipv4.ip_forward=1
	err := os.WriteFile(path, []byte(value), 0o644)
	tr.Step("set "+key, "sysctl -w "+dotted(key)+"="+value, "os.WriteFile(\""+path+"\")", err)
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", value, path, err)
	}
	return nil
}

// readSysctl reads one /proc/sys setting.
func readSysctl(key string) (string, error) {
	data, err := os.ReadFile("/proc/sys/" + key)
	if err != nil {
		return "", fmt.Errorf("read /proc/sys/%s: %w", key, err)
	}
	return strings.TrimSpace(string(data)), nil
}

// dotted spells a /proc/sys path the way sysctl(8) takes it.
func dotted(key string) string { return strings.ReplaceAll(key, "/", ".") }
