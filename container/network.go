package container

// The container's network, around the runtime's create and start (the
// article's chapter ネットワーク; the kernel steps are in package netns):
//
//	none       the init's own, empty namespace; it brings lo up itself
//	host       no network namespace of its own: the host's interfaces
//	bridge     its own namespace, then — once create has made the init,
//	           before start — `ip link add … netns $PID` and the rest
//	container  the init is started inside another container's namespace
//	           (`nsenter --net=/proc/$PID/ns/net kobako-init`)
//
// Every mode gets /etc/hosts, /etc/hostname and /etc/resolv.conf written
// in the container's directory and bind-mounted over the image's, as
// docker does: they never land in the container's layer, and they work
// on a read-only root.

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	goruntime "runtime"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/netns"
	"github.com/kobako/kobako/rootfs"
	"github.com/kobako/kobako/runtime"
)

// The network a container asks for travels in its config.json as
// annotations, as `run -u` and `--init` do: create writes it once, and
// every start reads it.
const (
	NetworkAnnotation = "org.kobako.network"          // none, host, bridge, container:NAME
	PortsAnnotation   = "org.kobako.network.ports"    // 8080:80/tcp,127.0.0.1:53:53/udp
	IPAnnotation      = "org.kobako.network.ip"       // --ip
	SubnetAnnotation  = "org.kobako.network.subnet"   // --subnet
	DNSAnnotation     = "org.kobako.network.dns"      // --dns, comma-separated
	AddHostAnnotation = "org.kobako.network.add-host" // --add-host NAME:ADDR, comma-separated
)

// Network modes.
const (
	NetworkNone      = "none"
	NetworkHost      = "host"
	NetworkBridge    = "bridge"
	NetworkContainer = "container"
)

// NetworkRequest is what `run` asked for.
type NetworkRequest struct {
	Mode      string
	Container string // container mode: the other container's name or id
	Ports     []netns.PortMapping
	IP        netip.Addr
	Subnet    netip.Prefix
	DNS       []netip.Addr
	AddHosts  []netns.HostEntry
}

// Annotate writes r into a spec's annotations.
func (r NetworkRequest) Annotate(annotations map[string]string) {
	mode := r.Mode
	if mode == NetworkContainer {
		mode += ":" + r.Container
	}
	annotations[NetworkAnnotation] = mode
	set := func(key string, values []string) {
		if len(values) > 0 {
			annotations[key] = strings.Join(values, ",")
		}
	}
	set(PortsAnnotation, strs(r.Ports))
	set(DNSAnnotation, strs(r.DNS))
	set(AddHostAnnotation, strs(r.AddHosts))
	if r.IP.IsValid() {
		annotations[IPAnnotation] = r.IP.String()
	}
	if r.Subnet.IsValid() {
		annotations[SubnetAnnotation] = r.Subnet.String()
	}
}

// NetworkRequestOf reads the request back; a spec without one (an older
// container) asks for none.
func NetworkRequestOf(annotations map[string]string) (NetworkRequest, error) {
	r := NetworkRequest{Mode: NetworkNone}
	if mode := annotations[NetworkAnnotation]; mode != "" {
		r.Mode = mode
	}
	if other, ok := strings.CutPrefix(r.Mode, NetworkContainer+":"); ok {
		r.Mode, r.Container = NetworkContainer, other
	}
	var errs []error
	list := func(key string) []string {
		if v := annotations[key]; v != "" {
			return strings.Split(v, ",")
		}
		return nil
	}
	for _, p := range list(PortsAnnotation) {
		pm, err := netns.ParsePortMapping(p)
		r.Ports, errs = append(r.Ports, pm), append(errs, err)
	}
	for _, d := range list(DNSAnnotation) {
		a, err := netip.ParseAddr(d)
		r.DNS, errs = append(r.DNS, a), append(errs, err)
	}
	for _, h := range list(AddHostAnnotation) {
		e, err := netns.ParseHostEntry(h)
		r.AddHosts, errs = append(r.AddHosts, e), append(errs, err)
	}
	var err error
	if v := annotations[IPAnnotation]; v != "" {
		r.IP, err = netip.ParseAddr(v)
		errs = append(errs, err)
	}
	if v := annotations[SubnetAnnotation]; v != "" {
		r.Subnet, err = netip.ParsePrefix(v)
		errs = append(errs, err)
	}
	switch r.Mode {
	case NetworkNone, NetworkHost, NetworkBridge, NetworkContainer:
	default:
		errs = append(errs, fmt.Errorf("unknown network mode %q", r.Mode))
	}
	if err := errors.Join(errs...); err != nil {
		return r, fmt.Errorf("the container's network settings: %w", err)
	}
	return r, nil
}

func strs[T fmt.Stringer](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = v.String()
	}
	return out
}

// NetworkState is what the container's record keeps of its network.
type NetworkState struct {
	Mode      string `json:"mode"`
	Container string `json:"container,omitempty"` // container mode: whose namespace it joined (id)
	// HostNamespace is where its bridge lives, net:[inode]: rm must run
	// there to remove the veth and the rules.
	HostNamespace string          `json:"hostNamespace,omitempty"`
	Endpoint      *netns.Endpoint `json:"endpoint,omitempty"` // bridge mode, while it runs
}

// NetworkStateDir is the host-wide bookkeeping of kobako's bridge, shared
// by every kobako of the host whatever its --root: the bridge is the
// host's (netns/state.go).
const NetworkStateDir = "/run/kobako-network"

// network is one start's network: the request, and in container mode the
// namespace to start the init in.
type network struct {
	NetworkRequest
	join    *os.File        // container mode: /proc/<pid>/ns/net of the other
	joined  *Container      // container mode: the other
	spec    *specs.Spec     // hostname, mounts: the files go in here
	overlay *rootfs.Overlay // the root to mount: with the mount point layer
	bridge  *netns.Bridge   // bridge mode
}

// prepareNetwork is everything before the init exists: the request read,
// published ports checked, the other container found, the files written
// and added to the spec's mounts.
func (s *Store) prepareNetwork(c *Container, spec *specs.Spec) (*network, error) {
	req, err := NetworkRequestOf(spec.Annotations)
	if err != nil {
		return nil, err
	}
	n := &network{NetworkRequest: req, spec: spec}
	c.Network = &NetworkState{Mode: req.Mode}
	switch req.Mode {
	case NetworkBridge:
		n.bridge = &netns.Bridge{Name: netns.DefaultBridge, StateDir: s.netStateDir, Subnet: req.Subnet, Tracer: s.tracer}
		// A host port or an address already taken is refused before
		// anything is made.
		if err := n.bridge.Check(netns.Request{ID: c.ID, Address: req.IP, Ports: req.Ports}); err != nil {
			return nil, err
		}
		ns, err := netns.CurrentNamespace()
		if err != nil {
			return nil, err
		}
		c.Network.HostNamespace = ns.String()
	case NetworkContainer:
		if err := s.findJoined(n); err != nil {
			return nil, err
		}
		c.Network.Container = n.joined.ID
	}
	if n.overlay, err = mountpointLayer(c); err != nil {
		n.close()
		return nil, err
	}
	// Recorded before anything is made, so that rm knows what to undo.
	network := c.Network
	if err := s.update(c, func(r *Record) { r.Network = network }); err != nil {
		n.close()
		return nil, err
	}
	if err := s.writeNetworkFiles(c, n, n.ownAddress()); err != nil {
		n.close()
		return nil, err
	}
	n.mountFiles(c)
	return n, nil
}

// findJoined opens the network namespace of the container to join.
func (s *Store) findJoined(n *network) error {
	other, err := s.Lookup(n.Container)
	if err != nil {
		return fmt.Errorf("--network container:%s: %w", n.Container, err)
	}
	st, err := s.Status(other)
	if err != nil {
		return err
	}
	if st.State != specs.StateRunning {
		return fmt.Errorf("--network container:%s: it is %s, not running", n.Container, st.State)
	}
	path := fmt.Sprintf("/proc/%d/ns/net", st.Pid)
	if n.join, err = os.Open(path); err != nil {
		return fmt.Errorf("--network container:%s: open %s: %w", n.Container, path, err)
	}
	n.joined = other
	return nil
}

func (n *network) close() {
	if n.join != nil {
		n.join.Close()
	}
}

// createIn asks the runtime to create the container — from inside the
// other container's network namespace in container mode. The spec then
// has no network namespace of its own, so the init, cloned from this very
// thread, stays in whatever namespace the thread is in: that is how `ip
// netns exec` and nsenter put a command into a namespace.
func (s *Store) createIn(n *network, opts runtime.CreateOptions) (*runtime.Process, error) {
	if n.join == nil {
		return s.rt.Create(opts)
	}
	defer n.close()
	type result struct {
		proc *runtime.Process
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// setns changes the calling thread only. This one is never
		// unlocked: it ends with the goroutine, so no other goroutine
		// ever runs in the other namespace.
		goruntime.LockOSThread()
		// nsenter --net=/proc/$PID/ns/net
		err := unix.Setns(int(n.join.Fd()), unix.CLONE_NEWNET)
		s.tracer.Step("join the other container's network namespace", "nsenter --net="+n.join.Name(), "unix.Setns(fd, unix.CLONE_NEWNET)", err)
		if err != nil {
			done <- result{err: fmt.Errorf("setns %s: %w", n.join.Name(), err)}
			return
		}
		proc, err := s.rt.Create(opts)
		done <- result{proc, err}
	}()
	r := <-done
	return r.proc, r.err
}

// connect plugs a bridged container in, once its init exists, and puts
// its address into its /etc/hosts.
func (s *Store) connect(c *Container, n *network, pid int) error {
	if n.Mode != NetworkBridge {
		return nil
	}
	ep, err := n.bridge.Attach(netns.Request{ID: c.ID, Pid: pid, Address: n.IP, Ports: n.Ports})
	if err != nil {
		return fmt.Errorf("connect to bridge %s: %w", netns.DefaultBridge, err)
	}
	c.Network.Endpoint = ep
	network := c.Network
	if err := s.update(c, func(r *Record) { r.Network = network }); err != nil {
		return err
	}
	// Written in place: the bind mount holds this very inode, and nobody
	// reads it before start.
	return s.writeNetworkFiles(c, n, ep.Address.Addr())
}

// disconnect undoes connect: on stop, rm and every failure.
func (s *Store) disconnect(c *Container) error {
	if c.Network == nil || c.Network.Mode != NetworkBridge {
		return nil
	}
	gone, err := s.bridgeGone(c)
	if err != nil {
		return err
	}
	if gone {
		// Only its bookkeeping is left.
		c.Network.Endpoint = nil
		there, _ := netns.ParseNamespace(c.Network.HostNamespace)
		return netns.ForgetNamespace(s.netStateDir, netns.DefaultBridge, there)
	}
	b := &netns.Bridge{Name: netns.DefaultBridge, StateDir: s.netStateDir, Tracer: s.tracer}
	if err := b.Detach(c.ID); err != nil {
		return fmt.Errorf("disconnect from bridge %s: %w", netns.DefaultBridge, err)
	}
	c.Network.Endpoint = nil
	return nil
}

// bridgeGone says whether the network namespace of a container's bridge
// — the one kobako ran in when it started it — is gone, with the bridge,
// the veth and the rules in it. If it still exists but is not the one
// kobako runs in now (`ip netns exec` …), they can only be removed from
// there: that is an error, and saying so beats leaving them behind.
func (s *Store) bridgeGone(c *Container) (bool, error) {
	if c.Network == nil || c.Network.Mode != NetworkBridge || c.Network.HostNamespace == "" {
		return false, nil
	}
	here, err := netns.CurrentNamespace()
	if err != nil || here.String() == c.Network.HostNamespace {
		return false, err
	}
	there, err := netns.ParseNamespace(c.Network.HostNamespace)
	if err != nil {
		return false, err
	}
	if path, alive := there.Find(); alive {
		return false, fmt.Errorf("container %s is on the bridge of network namespace %s, and kobako runs in %s: run this there, like nsenter --net=%s kobako …",
			c.Name, there, here, path)
	}
	return true, nil
}
