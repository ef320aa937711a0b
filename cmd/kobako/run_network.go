package main

// The flags of `kobako run` that decide how the container is connected:
// --network, -p, --ip, --subnet, --dns, --add-host. The article's
// chapter ネットワーク, one flag per way of doing it:
//
//	--network none      unshare --net: an empty namespace, lo only (the default:
//	                    the article's, and nothing leaves by accident)
//	--network bridge    + ip link add … type veth, master br0, addr, route (netns/)
//	--network host      no unshare --net at all
//	--network container:web   ip netns exec web …: share another's namespace
//
// -p without --network means bridge, as a docker user expects (docker's
// default is bridge): a published port needs one. kobako says so on
// stderr, once, so that the default stays visible.
//
// They end up as annotations of the spec, which the container layer reads
// at every start (container/network.go).

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/netns"
)

func networkFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Value: container.NetworkNone,
			Usage: "connect the container: `MODE` none (the default, as in the article: own empty namespace, lo only, so nothing leaves by accident; -p alone implies bridge), bridge (veth on the kobako0 bridge, NAT), host (the host's namespace), container:NAME (another container's)"},
		&cli.StringSliceFlag{Name: "publish", Aliases: []string{"p"}, Usage: "publish the host's port on the container's, `HOST:CTR` in full [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp], like 8080:80 (bridge only; repeatable)"},
		&cli.StringFlag{Name: "ip", Usage: "the container's `ADDRESS` on the bridge (default: the lowest free one)"},
		&cli.StringFlag{Name: "subnet", Usage: "the bridge's `CIDR` when this run makes it (default: the article's 192.168.77.0/24, or the next subnet no route uses)"},
		&cli.StringSliceFlag{Name: "dns", Usage: "a nameserver `ADDRESS` for the container's resolv.conf, instead of the host's (repeatable)"},
		&cli.StringSliceFlag{Name: "add-host", Usage: "add `NAME:ADDRESS` to the container's /etc/hosts (repeatable)"},
	}
}

// applyNetworkFlags shapes the spec for the network mode and records the
// request in its annotations.
func applyNetworkFlags(cmd *cli.Command, spec *specs.Spec) error {
	req, err := networkRequest(cmd)
	if err != nil {
		return err
	}
	switch req.Mode {
	case container.NetworkHost:
		dropNetworkNamespace(spec)
		bindHostSys(spec)
		// docker's habit: on the host's network, the host's name.
		if spec.Hostname == "" {
			if spec.Hostname, err = os.Hostname(); err != nil {
				return err
			}
		}
	case container.NetworkContainer:
		// The container layer starts the init inside the other's namespace.
		dropNetworkNamespace(spec)
	}
	if spec.Annotations == nil {
		spec.Annotations = map[string]string{}
	}
	req.Annotate(spec.Annotations)
	return nil
}

// networkRequest reads and checks the flags.
func networkRequest(cmd *cli.Command) (container.NetworkRequest, error) {
	req := container.NetworkRequest{Mode: cmd.String("network")}
	if !cmd.IsSet("network") && len(cmd.StringSlice("publish")) > 0 {
		req.Mode = container.NetworkBridge
		fmt.Fprintln(os.Stderr, "kobako: -p publishes on the bridge: using --network bridge (the default is none)")
	}
	if other, ok := strings.CutPrefix(req.Mode, container.NetworkContainer+":"); ok && other != "" {
		req.Mode, req.Container = container.NetworkContainer, other
	}
	switch req.Mode {
	case container.NetworkNone, container.NetworkHost, container.NetworkBridge, container.NetworkContainer:
	default:
		return req, fmt.Errorf("--network %q: give none, bridge, host or container:NAME", req.Mode)
	}
	if req.Mode == container.NetworkBridge && os.Geteuid() != 0 {
		return req, fmt.Errorf("--network bridge needs root: the bridge, the veth pairs and the nft rules are the host's (a user's containers have none or host)")
	}
	for _, p := range cmd.StringSlice("publish") {
		pm, err := netns.ParsePortMapping(p)
		if err != nil {
			return req, fmt.Errorf("-p: %w", err)
		}
		req.Ports = append(req.Ports, pm)
	}
	for _, d := range cmd.StringSlice("dns") {
		addr, err := netip.ParseAddr(d)
		if err != nil {
			return req, fmt.Errorf("--dns %q: not an IP address", d)
		}
		req.DNS = append(req.DNS, addr)
	}
	for _, h := range cmd.StringSlice("add-host") {
		entry, err := netns.ParseHostEntry(h)
		if err != nil {
			return req, err
		}
		req.AddHosts = append(req.AddHosts, entry)
	}
	if err := bridgeOnlyFlags(cmd, &req); err != nil {
		return req, err
	}
	return req, nil
}

// bridgeOnlyFlags reads -p, --ip and --subnet, which mean something on
// the bridge only.
func bridgeOnlyFlags(cmd *cli.Command, req *container.NetworkRequest) error {
	if req.Mode != container.NetworkBridge {
		for name, flag := range map[string]string{"publish": "-p", "ip": "--ip", "subnet": "--subnet"} {
			if cmd.IsSet(name) {
				return fmt.Errorf("%s needs --network bridge (the network is %s)", flag, req.Mode)
			}
		}
		return nil
	}
	var err error
	if ip := cmd.String("ip"); ip != "" {
		if req.IP, err = netip.ParseAddr(ip); err != nil || !req.IP.Is4() {
			return fmt.Errorf("--ip %q: not an IPv4 address", ip)
		}
	}
	if subnet := cmd.String("subnet"); subnet != "" {
		if req.Subnet, err = netip.ParsePrefix(subnet); err != nil || !req.Subnet.Addr().Is4() {
			return fmt.Errorf("--subnet %q: give an IPv4 CIDR, like 192.168.77.0/24", subnet)
		}
	}
	return nil
}

// dropNetworkNamespace takes `unshare -n` out of the spec.
func dropNetworkNamespace(spec *specs.Spec) {
	spec.Linux.Namespaces = slices.DeleteFunc(spec.Linux.Namespaces, func(ns specs.LinuxNamespace) bool {
		return ns.Type == specs.NetworkNamespace
	})
}

// bindHostSys replaces the fresh sysfs by a read-only bind of the host's
// /sys, as docker does on the host's network: sysfs shows the network
// devices of the namespace that mounts it, and a user namespace may mount
// it only over a network namespace it owns, which the host's is not.
// Without a user namespace the bind is not recursive, so none of the
// host's mounts under /sys (its cgroups, securityfs, debugfs …) comes
// along. In one, it must be: a plain bind of a mount with mounts locked
// under it would uncover what they hide, and the kernel refuses it
// (EINVAL); read-only then reaches every mount below (rootfs/mounts.go).
func bindHostSys(spec *specs.Spec) {
	bind := "bind"
	if slices.ContainsFunc(spec.Linux.Namespaces, func(ns specs.LinuxNamespace) bool { return ns.Type == specs.UserNamespace }) {
		bind = "rbind"
	}
	for i, m := range spec.Mounts {
		if m.Destination == "/sys" {
			spec.Mounts[i] = specs.Mount{Destination: "/sys", Type: "bind", Source: "/sys",
				Options: []string{bind, "nosuid", "noexec", "nodev", "ro"}}
		}
	}
}
