package container

// The files every container gets from kobako, as docker does: /etc/hosts,
// /etc/hostname and /etc/resolv.conf, written in the container's directory
// and bind-mounted over the image's. Shell twin:
//
//	hostname > $CONTAINER/hostname
//	grep -v '^nameserver 127\.' /etc/resolv.conf > $CONTAINER/resolv.conf
//	mount --bind $CONTAINER/resolv.conf $ROOTFS/etc/resolv.conf
//
// The texts are made in netns/hosts.go and netns/resolvconf.go.

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/netns"
	"github.com/kobako/kobako/rootfs"
)

// Where kobako reads the host's names and resolvers.
const (
	hostHosts          = "/etc/hosts"
	hostResolvConf     = "/etc/resolv.conf"
	resolvedResolvConf = "/run/systemd/resolve/resolv.conf"
)

// ownAddress is the address /etc/hosts gives the container's names: the
// bridge's lease (known only after connect), the joined container's, or
// 127.0.1.1 without one, Debian's habit for a host without a network.
func (n *network) ownAddress() netip.Addr {
	if n.joined != nil && n.joined.Network != nil && n.joined.Network.Endpoint != nil {
		return n.joined.Network.Endpoint.Address.Addr()
	}
	if n.Mode == NetworkBridge {
		return netip.Addr{} // for now
	}
	return netip.MustParseAddr("127.0.1.1")
}

// The generated files, in the container's directory.
const (
	hostsFile      = "hosts"
	hostnameFile   = "hostname"
	resolvConfFile = "resolv.conf"
)

// writeNetworkFiles writes hosts, hostname and resolv.conf; own is the
// address of the container's names in hosts.
func (s *Store) writeNetworkFiles(c *Container, n *network, own netip.Addr) error {
	hosts, err := s.hostsText(c, n, own)
	if err != nil {
		return err
	}
	resolv, err := resolvConfText(n)
	if err != nil {
		return err
	}
	uid, gid := rootOnHost(n.spec.Linux)
	for name, text := range map[string]string{hostsFile: hosts, hostnameFile: n.spec.Hostname + "\n", resolvConfFile: resolv} {
		path := filepath.Join(c.Bundle, name)
		// cat > $CONTAINER/hosts (O_TRUNC, not a rename: see connect)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		// chown: the container's root may edit its files, as docker's may.
		if err := os.Chown(path, uid, gid); err != nil {
			return fmt.Errorf("chown %s: %w", path, err)
		}
	}
	s.tracer.Note("write the container's hosts, hostname and resolv.conf", "cat > "+filepath.Join(c.Bundle, "{hosts,hostname,resolv.conf}"))
	return nil
}

// rootOnHost is who the container's root is on the host: itself, or in a
// user namespace the host ids its uid and gid 0 are mapped to.
func rootOnHost(linux *specs.Linux) (uid, gid int) {
	if linux == nil {
		return 0, 0
	}
	for _, m := range linux.UIDMappings {
		if m.ContainerID == 0 {
			uid = int(m.HostID)
		}
	}
	for _, m := range linux.GIDMappings {
		if m.ContainerID == 0 {
			gid = int(m.HostID)
		}
	}
	return uid, gid
}

// hostsText is the host's file on the host's network, a new one otherwise.
func (s *Store) hostsText(c *Container, n *network, own netip.Addr) (string, error) {
	if n.Mode == NetworkHost {
		host, err := os.ReadFile(hostHosts)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		return netns.HostsFrom(string(host), n.AddHosts), nil
	}
	return netns.Hosts(own, []string{n.spec.Hostname, c.Name, c.ShortID()}, n.AddHosts), nil
}

// resolvConfText is the host's resolv.conf, or systemd-resolved's list of
// upstream servers when the host's names only its local stub.
func resolvConfText(n *network) (string, error) {
	host, err := os.ReadFile(hostResolvConf)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if n.Mode != NetworkHost && netns.OnlyLoopbackResolvers(string(host)) {
		if upstream, err := os.ReadFile(resolvedResolvConf); err == nil {
			host = upstream
		}
	}
	return netns.ResolvConf(string(host), n.DNS, n.Mode == NetworkHost), nil
}

// mountpointLayer puts empty /etc/hosts, /etc/hostname and
// /etc/resolv.conf in a read-only layer of their own, and returns the
// container's overlay with it between the image and the container's layer
// (docker's "init" layer). A mount needs an existing file to go on: made
// in the container's layer, it would show in diff and commit as a file
// the container added. The layer also hides whatever the image has there
// — a symlink out of the root, say (B9). The record keeps the overlay as
// create made it: the layer is a detail of how the container is started.
func mountpointLayer(c *Container) (*rootfs.Overlay, error) {
	if c.Overlay == nil {
		return nil, nil
	}
	layer := filepath.Join(c.Bundle, "mountpoints")
	// mkdir -p $CONTAINER/mountpoints/etc && touch …/etc/{hosts,hostname,resolv.conf}
	if err := os.MkdirAll(filepath.Join(layer, "etc"), 0o755); err != nil {
		return nil, fmt.Errorf("make mount point layer: %w", err)
	}
	for _, name := range []string{hostsFile, hostnameFile, resolvConfFile} {
		f, err := os.OpenFile(filepath.Join(layer, "etc", name), os.O_CREATE|os.O_RDONLY, 0o644)
		if err != nil {
			return nil, fmt.Errorf("make mount point layer: %w", err)
		}
		f.Close()
	}
	// lowerdir=$CONTAINER/mountpoints:$IMAGE — the top one first.
	overlay := *c.Overlay
	overlay.Lower = append([]string{layer}, c.Overlay.Lower...)
	return &overlay, nil
}

// mountFiles adds the bind mounts of the three files to the spec: made
// by the init like any other mount (rootfs/mounts.go), over whatever the
// image has there.
func (n *network) mountFiles(c *Container) {
	for _, name := range []string{hostsFile, hostnameFile, resolvConfFile} {
		n.spec.Mounts = append(n.spec.Mounts, specs.Mount{
			Destination: "/etc/" + name, Type: "bind", Source: filepath.Join(c.Bundle, name),
			Options: []string{"rbind", "rprivate"},
		})
	}
}
