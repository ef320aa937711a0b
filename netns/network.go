package netns

// `--network bridge`, start to end: the article's §8.2 for one container,
// plus the NAT and the published ports of §8.4, each step in its file.
// Attach runs between the runtime's create and start, as a CNI plugin
// does: the container's init exists, blocked before exec, and its network
// namespace is /proc/<pid>/ns/net. Detach undoes it on stop, rm and every
// failure, and the last container to go takes the bridge, the nft table
// and ip_forward's old value with it: a host without bridged containers
// carries nothing of kobako's.

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/internal/undo"
)

// DefaultBridge is the bridge's name, like docker's docker0.
const DefaultBridge = "kobako0"

// Bridge is kobako's bridge network in the network namespace kobako runs
// in — the host's, or one a test made to stand in for it.
type Bridge struct {
	Name     string // DefaultBridge
	StateDir string // host-wide bookkeeping (state.go), like /run/kobako-network
	// Subnet is used when the bridge is made; the zero value picks the
	// first free candidate (ipam.go). Asking for another subnet than an
	// existing bridge's is an error.
	Subnet netip.Prefix
	Tracer *trace.Tracer
}

// Endpoint is one container's place on the bridge: what kobako records,
// what inspect shows.
type Endpoint struct {
	Bridge    string        `json:"bridge"`
	HostVeth  string        `json:"hostVeth"`  // on the host, plugged into the bridge
	Interface string        `json:"interface"` // in the container: eth0
	Address   netip.Prefix  `json:"address"`   // 192.168.77.2/24
	Gateway   netip.Addr    `json:"gateway"`
	MAC       string        `json:"mac"`
	Ports     []PortMapping `json:"ports,omitempty"`
}

// Request is what a container asks of the bridge.
type Request struct {
	ID      string        // the container's id: names its veth, tags its rules
	Pid     int           // its init, whose network namespace gets eth0
	Address netip.Addr    // --ip; zero: the lowest free one
	Ports   []PortMapping // -p
}

// Attach connects a container: lease an address, make the bridge if it
// is the first, then the cable, the address inside, and the ports. On
// failure nothing of it is left.
func (b *Bridge) Attach(req Request) (ep *Endpoint, err error) {
	unlock, path, st, err := b.lockState()
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Leases of containers that died without a Detach go first.
	if err := b.sweep(st); err != nil {
		return nil, err
	}
	// Taken ports are refused before anything is made.
	if err := checkPortsFree(req.Ports, st.Leases); err != nil {
		return nil, err
	}
	var u undo.Stack
	defer func() {
		if err != nil {
			err = errors.Join(err, u.RunIfNotReleased())
		}
	}()
	u.Push(func() error { return b.release(path, st, req.ID) })
	if len(st.Leases) == 0 {
		// The first container: a fresh bridge (bridge.go), NAT and
		// forwarding (nat.go).
		if err := b.create(st); err != nil {
			return nil, err
		}
	} else if b.Subnet.IsValid() && b.Subnet.Masked() != st.Subnet {
		return nil, fmt.Errorf("bridge %s already uses %s, not %s: remove its containers first, or leave --subnet out", b.Name, st.Subnet, b.Subnet)
	}
	addr, err := b.lease(st, req)
	if err != nil {
		return nil, err
	}
	// Written before anything is made for it: a kobako killed from here
	// on leaves a lease whose veth is missing, which the next sweep
	// recognises and cleans.
	if err := saveState(path, st); err != nil {
		return nil, err
	}
	ep = &Endpoint{
		Bridge: b.Name, HostVeth: hostVethName(req.ID), Interface: ContainerInterface,
		Address: netip.PrefixFrom(addr, st.Subnet.Bits()), Gateway: st.Gateway,
		MAC: macFor(addr).String(), Ports: req.Ports,
	}
	if err := b.connect(req, ep); err != nil {
		return nil, err
	}
	u.Release()
	return ep, nil
}

// connect is the cable, the address inside and the ports.
func (b *Bridge) connect(req Request, ep *Endpoint) error {
	mac, _ := net.ParseMAC(ep.MAC)
	if err := addVeth(ep.HostVeth, req.Pid, mac, b.Name, b.Tracer); err != nil {
		return err
	}
	if err := configureInside(req.Pid, ep.Address, ep.Gateway, b.Tracer); err != nil {
		return err
	}
	if len(req.Ports) == 0 {
		return nil
	}
	t, err := openNATTable()
	if err != nil {
		return err
	}
	return t.publishPorts(req.ID, ep.Address.Addr(), req.Ports, b.Tracer)
}

// lease picks the container's address and records it with its ports.
func (b *Bridge) lease(st *state, req Request) (netip.Addr, error) {
	addr := req.Address
	var err error
	if addr.IsValid() {
		err = checkAddress(addr, st.Subnet, st.Leases)
	} else {
		addr, err = freeAddress(st.Subnet, st.Leases)
	}
	if err != nil {
		return netip.Addr{}, err
	}
	st.Leases[addr] = lease{ID: req.ID, HostVeth: hostVethName(req.ID), Ports: req.Ports}
	return addr, nil
}

// create makes the bridge, kobako's nft table and turns forwarding on,
// recording what forwarding was.
func (b *Bridge) create(st *state) error {
	if err := b.removeStale(); err != nil {
		return err
	}
	subnet, err := b.subnet()
	if err != nil {
		return err
	}
	st.Subnet, st.Gateway = subnet, gatewayOf(subnet)
	if err := addBridge(b.Name, netip.PrefixFrom(st.Gateway, subnet.Bits()), b.Tracer); err != nil {
		return err
	}
	t, err := openNATTable()
	if err != nil {
		return err
	}
	if err := t.create(b.Name, subnet, b.Tracer); err != nil {
		return err
	}
	// Routing between the bridge and the other interfaces: the host
	// becomes a router for its containers (the article's sysctl).
	// A bridge remade after its containers died unseen keeps the first
	// record: ip_forward is 1 now because of us.
	if st.ForwardingWas == "" {
		if st.ForwardingWas, err = readSysctl(ipForward); err != nil {
			return err
		}
	}
	if st.ForwardingWas != "1" {
		return sysctl(ipForward, "1", b.Tracer)
	}
	return nil
}

// ipForward is net.ipv4.ip_forward.
const ipForward = "net/ipv4/ip_forward"

// subnet is the asked-for subnet, or the first free candidate.
func (b *Bridge) subnet() (netip.Prefix, error) {
	if b.Subnet.IsValid() {
		if !b.Subnet.Addr().Is4() || b.Subnet.Bits() > 30 {
			return netip.Prefix{}, fmt.Errorf("subnet %s: give an IPv4 subnet of at least 4 addresses, like 192.168.77.0/24", b.Subnet)
		}
		return b.Subnet.Masked(), nil
	}
	routed, err := routedPrefixes()
	if err != nil {
		return netip.Prefix{}, err
	}
	return pickSubnet(subnetCandidates(), routed)
}

// removeStale clears what a bridge with no lease left behind: a kobako
// killed while it removed the last container, or a state file lost with
// the bridge still there. kobako0 and the kobako table are kobako's own
// names, so this touches nothing of anyone else's.
func (b *Bridge) removeStale() error {
	t, err := openNATTable()
	if err != nil {
		return err
	}
	return errors.Join(t.delete(b.Tracer), deleteBridge(b.Name, b.Tracer))
}

// Detach disconnects a container: its veth, its ports, its lease — and,
// with the last lease, the bridge, the table and ip_forward. Detaching a
// container that holds no lease is harmless.
func (b *Bridge) Detach(id string) error {
	unlock, path, st, err := b.lockState()
	if err != nil {
		return err
	}
	defer unlock()
	if len(st.Leases) == 0 {
		return nil // no state file: no bridge of ours here
	}
	return errors.Join(b.sweep(st), b.release(path, st, id))
}

// release removes one container's veth, rules and lease, and the bridge
// with the last lease, and saves the state. It is also the undo of a
// failed Attach, at whatever step it failed.
func (b *Bridge) release(path string, st *state, id string) error {
	errs := []error{deleteVeth(hostVethName(id), b.Tracer)}
	t, err := openNATTable()
	if err == nil {
		err = t.unpublishPorts(id, b.Tracer)
	}
	errs = append(errs, err)
	if addr, ok := st.leaseOf(id); ok {
		delete(st.Leases, addr)
	}
	if len(st.Leases) == 0 {
		errs = append(errs, b.destroy(st))
	}
	return errors.Join(append(errs, saveState(path, st))...)
}

// destroy removes the bridge, the table, and puts ip_forward back.
func (b *Bridge) destroy(st *state) error {
	errs := []error{b.removeStale()}
	if st.ForwardingWas != "" && st.ForwardingWas != "1" {
		errs = append(errs, sysctl(ipForward, st.ForwardingWas, b.Tracer))
	}
	st.ForwardingWas = ""
	return errors.Join(errs...)
}

// sweep releases the leases whose veth is gone: their container ended
// with nobody left to call Detach (a SIGKILLed `kobako run`). A veth lives
// exactly as long as the container's network namespace does.
func (b *Bridge) sweep(st *state) error {
	var errs []error
	for addr, l := range st.Leases {
		exists, err := linkExists(l.HostVeth)
		if err != nil || exists {
			errs = append(errs, err)
			continue
		}
		b.Tracer.Note("release the address of a departed container", fmt.Sprintf("# %s was %.12s's", addr, l.ID))
		t, err := openNATTable()
		if err == nil {
			err = t.unpublishPorts(l.ID, b.Tracer)
		}
		errs = append(errs, err)
		delete(st.Leases, addr)
	}
	return errors.Join(errs...)
}

// lockState takes the host-wide lock and reads this namespace's state.
func (b *Bridge) lockState() (unlock func(), path string, st *state, err error) {
	path, err = stateFile(b.StateDir, b.Name)
	if err != nil {
		return nil, "", nil, err
	}
	unlock, err = lockStateDir(b.StateDir)
	if err != nil {
		return nil, "", nil, err
	}
	if st, err = loadState(path); err != nil {
		unlock()
		return nil, "", nil, err
	}
	return unlock, path, st, nil
}

// Check refuses, before a container is made, what Attach would refuse
// later: host ports that are taken (by a program of the host, or by
// another container) and an address another container has.
func (b *Bridge) Check(req Request) error {
	unlock, _, st, err := b.lockState()
	if err != nil {
		return err
	}
	defer unlock()
	// Leases of departed containers do not count; Attach will sweep them.
	for addr, l := range st.Leases {
		if exists, err := linkExists(l.HostVeth); err == nil && !exists {
			delete(st.Leases, addr)
		}
	}
	if err := checkPortsFree(req.Ports, st.Leases); err != nil {
		return err
	}
	if len(st.Leases) == 0 {
		return nil // a new bridge: Attach checks the rest
	}
	if b.Subnet.IsValid() && b.Subnet.Masked() != st.Subnet {
		return fmt.Errorf("bridge %s already uses %s, not %s: remove its containers first, or leave --subnet out", b.Name, st.Subnet, b.Subnet)
	}
	if req.Address.IsValid() {
		return checkAddress(req.Address, st.Subnet, st.Leases)
	}
	return nil
}
