package netns

// Published ports: `-p 8080:80` makes the host's port 8080 lead to port 80
// of the container. Docker's iptables twin, for each published port:
//
//	iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -p tcp --dport 8080 -j DNAT --to 192.168.77.2:80
//	iptables -t nat -A OUTPUT     -m addrtype --dst-type LOCAL -p tcp --dport 8080 -j DNAT --to 192.168.77.2:80
//
// which kobako writes in nftables, in its own table:
//
//	nft add rule ip kobako prerouting fib daddr type local tcp dport 8080 dnat to 192.168.77.2:80 comment "$ID"
//	nft add rule ip kobako output     fib daddr type local tcp dport 8080 dnat to 192.168.77.2:80 comment "$ID"
//
// prerouting catches what arrives from other hosts and from containers,
// output what the host itself sends (curl 127.0.0.1:8080); a port
// published on 127.0.0.1 gets the output rule only. Each rule
// carries the container's id as its comment: that is how its rules are
// found again and deleted. See nft(8), "NAT STATEMENTS".

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// PortMapping is one -p [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp].
type PortMapping struct {
	HostIP        netip.Addr `json:"hostIP,omitzero"` // zero: every address of the host
	HostPort      uint16     `json:"hostPort"`
	ContainerPort uint16     `json:"containerPort"`
	Protocol      string     `json:"protocol"` // "tcp" or "udp"
}

// ParsePortMapping reads docker's -p syntax. Only the explicit form is
// accepted: a host port and a container port, the host address optional.
func ParsePortMapping(s string) (PortMapping, error) {
	p := PortMapping{Protocol: "tcp"}
	spec, proto, hasProto := strings.Cut(s, "/")
	if hasProto {
		if proto != "tcp" && proto != "udp" {
			return p, fmt.Errorf("port mapping %q: protocol must be tcp or udp", s)
		}
		p.Protocol = proto
	}
	parts := strings.Split(spec, ":")
	if len(parts) == 3 {
		addr, err := netip.ParseAddr(parts[0])
		if err != nil || !addr.Is4() {
			return p, fmt.Errorf("port mapping %q: %q is not an IPv4 address", s, parts[0])
		}
		p.HostIP, parts = addr, parts[1:]
	}
	if len(parts) != 2 {
		return p, fmt.Errorf("port mapping %q: give [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp], like 8080:80", s)
	}
	var err error
	if p.HostPort, err = parsePort(parts[0]); err != nil {
		return p, fmt.Errorf("port mapping %q: host port: %w", s, err)
	}
	if p.ContainerPort, err = parsePort(parts[1]); err != nil {
		return p, fmt.Errorf("port mapping %q: container port: %w", s, err)
	}
	return p, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return uint16(n), nil
}

// String writes the mapping back in -p syntax.
func (p PortMapping) String() string {
	s := fmt.Sprintf("%d:%d/%s", p.HostPort, p.ContainerPort, p.Protocol)
	if p.HostIP.IsValid() {
		s = p.HostIP.String() + ":" + s
	}
	return s
}

// overlaps says whether two mappings would claim the same host port.
func (p PortMapping) overlaps(q PortMapping) bool {
	sameAddr := !p.HostIP.IsValid() || !q.HostIP.IsValid() || p.HostIP == q.HostIP
	return p.Protocol == q.Protocol && p.HostPort == q.HostPort && sameAddr
}

// checkPortsFree refuses host ports that a program on the host listens
// on, or that another container already publishes — before anything is
// made for this one. `ss -ltn 'sport = :8080'` asks the first question;
// kobako asks the kernel directly by binding the port for a moment.
func checkPortsFree(ports []PortMapping, leases map[netip.Addr]lease) error {
	for i, p := range ports {
		for _, q := range ports[:i] {
			if p.overlaps(q) {
				return fmt.Errorf("host port %d/%s is published twice", p.HostPort, p.Protocol)
			}
		}
		for _, l := range leases {
			for _, q := range l.Ports {
				if p.overlaps(q) {
					return fmt.Errorf("host port %d/%s is already published by container %.12s", p.HostPort, p.Protocol, l.ID)
				}
			}
		}
		if err := bindOnce(p); err != nil {
			return fmt.Errorf("host port %d/%s is not free: %w", p.HostPort, p.Protocol, err)
		}
	}
	return nil
}

// bindOnce binds the host side of p and lets go at once.
func bindOnce(p PortMapping) error {
	host := "0.0.0.0"
	if p.HostIP.IsValid() {
		host = p.HostIP.String()
	}
	addr := net.JoinHostPort(host, strconv.Itoa(int(p.HostPort)))
	if p.Protocol == "udp" {
		c, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

// publishPorts adds the two DNAT rules of each port, tagged with id.
func (t *natTable) publishPorts(id string, addr netip.Addr, ports []PortMapping, tr *trace.Tracer) error {
	for _, p := range ports {
		for _, chain := range t.dnatChains(p) {
			rule := &nftables.Rule{Table: t.table, Chain: chain, Exprs: dnatExprs(p, addr), UserData: comment(id)}
			shell := fmt.Sprintf(`nft add rule ip %s %s %s comment "%s"`, t.table.Name, chain.Name, dnatShell(p, addr), id)
			if err := t.apply(func(c *nftables.Conn) { c.AddRule(rule) }, "publish port "+p.String(), shell, "nftables.Conn.AddRule(dnat)", tr); err != nil {
				return err
			}
		}
	}
	return nil
}

// dnatChains are where p's rules go. A port published on 127.0.0.1 is
// the host's alone: only its own packets (output) may use it, never one a
// container sends to the bridge for 127.0.0.1 (prerouting).
func (t *natTable) dnatChains(p PortMapping) []*nftables.Chain {
	if p.HostIP.IsLoopback() {
		return []*nftables.Chain{t.output}
	}
	return []*nftables.Chain{t.prerouting, t.output}
}

// dnatExprs is `fib daddr type local [ip daddr HOSTIP] tcp dport P dnat to ADDR:CP`.
func dnatExprs(p PortMapping, addr netip.Addr) []expr.Any {
	exprs := fibDaddrLocal()
	if p.HostIP.IsValid() {
		exprs = append(exprs, ipDaddrIs(p.HostIP)...)
	}
	proto := byte(unix.IPPROTO_TCP)
	if p.Protocol == "udp" {
		proto = unix.IPPROTO_UDP
	}
	exprs = append(exprs, l4ProtoIs(proto)...)
	exprs = append(exprs, dportIs(p.HostPort)...)
	return append(exprs, dnatTo(addr, p.ContainerPort)...)
}

func dnatShell(p PortMapping, addr netip.Addr) string {
	s := "fib daddr type local "
	if p.HostIP.IsValid() {
		s += "ip daddr " + p.HostIP.String() + " "
	}
	return s + fmt.Sprintf("%s dport %d dnat to %s:%d", p.Protocol, p.HostPort, addr, p.ContainerPort)
}

// unpublishPorts deletes every rule tagged with id, in every chain: what
// `nft -a list table ip kobako` shows with comment "$ID", deleted by handle.
func (t *natTable) unpublishPorts(id string, tr *trace.Tracer) error {
	var errs []error
	for _, chain := range []*nftables.Chain{t.prerouting, t.output} {
		rules, err := t.conn.GetRules(t.table, chain)
		if errors.Is(err, unix.ENOENT) {
			continue // no table: nothing of ours is left
		}
		if err != nil {
			return fmt.Errorf("nft list chain ip %s %s: %w", t.table.Name, chain.Name, err)
		}
		for _, r := range rules {
			if commentOf(r) != id {
				continue
			}
			// nft delete rule ip kobako prerouting handle N
			err := t.conn.DelRule(r)
			if err == nil {
				err = t.conn.Flush()
			}
			tr.Step("unpublish a port", fmt.Sprintf("nft delete rule ip %s %s handle %d", t.table.Name, chain.Name, r.Handle), "nftables.Conn.DelRule(rule)", err)
			if err != nil {
				errs = append(errs, fmt.Errorf("nft delete rule ip %s %s handle %d: %w", t.table.Name, chain.Name, r.Handle, err))
			}
		}
	}
	return errors.Join(errs...)
}
