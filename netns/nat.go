package netns

// NAT: the article's last step for reaching out of the bridge,
//
//	sysctl -w net.ipv4.ip_forward=1
//	iptables -t nat -A POSTROUTING -s 192.168.77.0/24 ! -o br0 -j MASQUERADE
//
// done in nftables (nft(8)), in a table that belongs to kobako alone:
//
//	nft add table ip kobako
//	nft add chain ip kobako postrouting '{ type nat hook postrouting priority srcnat; }'
//	nft add rule ip kobako postrouting ip saddr 192.168.77.0/24 oifname != "kobako0" masquerade
//
// Nothing of the host's own ruleset is touched, and removing everything
// kobako added is one `nft delete table ip kobako`. The table also holds
// the chains the published ports go into (ports.go), and two rules that
// reaching a published port through 127.0.0.1 needs (see localhostRules).

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// TableName is kobako's nft table, in the ip family.
const TableName = "kobako"

// loopbackNet is 127.0.0.0/8.
var loopbackNet = netip.MustParsePrefix("127.0.0.0/8")

// natTable is kobako's table and its chains, as netlink objects.
type natTable struct {
	conn                                   *nftables.Conn
	table                                  *nftables.Table
	prerouting, output, postrouting, input *nftables.Chain
}

// openNATTable names the table and its chains; it makes nothing.
func openNATTable() (*natTable, error) {
	// A connection to NETLINK_NETFILTER in our own network namespace,
	// the socket nft itself talks through.
	conn, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("netlink netfilter socket: %w", err)
	}
	table := &nftables.Table{Name: TableName, Family: nftables.TableFamilyIPv4}
	chain := func(name string, typ nftables.ChainType, hook *nftables.ChainHook, prio *nftables.ChainPriority) *nftables.Chain {
		return &nftables.Chain{Name: name, Table: table, Type: typ, Hooknum: hook, Priority: prio}
	}
	return &natTable{
		conn:        conn,
		table:       table,
		prerouting:  chain("prerouting", nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest),
		output:      chain("output", nftables.ChainTypeNAT, nftables.ChainHookOutput, nftables.ChainPriorityNATDest),
		postrouting: chain("postrouting", nftables.ChainTypeNAT, nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource),
		input:       chain("input", nftables.ChainTypeFilter, nftables.ChainHookInput, nftables.ChainPriorityFilter),
	}, nil
}

// apply queues one change, sends it, and narrates it.
func (t *natTable) apply(queue func(*nftables.Conn), step, shell, call string, tr *trace.Tracer) error {
	queue(t.conn)
	err := t.conn.Flush()
	tr.Step(step, shell, call, err)
	if err != nil {
		return fmt.Errorf("%s: %w", shell, err)
	}
	return nil
}

// create makes the table, its four chains and the bridge's NAT rules.
func (t *natTable) create(bridge string, subnet netip.Prefix, tr *trace.Tracer) error {
	name := t.table.Name
	if err := t.apply(func(c *nftables.Conn) { c.AddTable(t.table) }, "add kobako's nft table",
		"nft add table ip "+name, "nftables.Conn.AddTable(kobako)", tr); err != nil {
		return err
	}
	for _, ch := range []*nftables.Chain{t.prerouting, t.output, t.postrouting, t.input} {
		shell := fmt.Sprintf("nft add chain ip %s %s '{ type %s hook %s priority %d; }'", name, ch.Name, ch.Type, ch.Name, *ch.Priority)
		if err := t.apply(func(c *nftables.Conn) { c.AddChain(ch) }, "add chain "+ch.Name, shell, "nftables.Conn.AddChain("+ch.Name+")", tr); err != nil {
			return err
		}
	}
	// The article's MASQUERADE: what leaves the subnet for anywhere but
	// the bridge goes out with the host's address.
	rules := []struct {
		exprs []expr.Any
		shell string
	}{{
		concat(ipSaddrIn(subnet), ifnameIs(expr.MetaKeyOIFNAME, expr.CmpOpNeq, bridge), masquerade()),
		fmt.Sprintf(`ip saddr %s oifname != "%s" masquerade`, subnet, bridge),
	}, {
		// Hairpin: a container that reaches a published port of the host
		// comes back onto the bridge; without a new source, the answer
		// would go straight to it from the other container, which it
		// would not recognise.
		concat(ipSaddrIn(subnet), ifnameIs(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge), ctStatusDNAT(), masquerade()),
		fmt.Sprintf(`ip saddr %s oifname "%s" ct status dnat masquerade`, subnet, bridge),
	}}
	for _, r := range rules {
		rule := &nftables.Rule{Table: t.table, Chain: t.postrouting, Exprs: r.exprs}
		if err := t.apply(func(c *nftables.Conn) { c.AddRule(rule) }, "add a NAT rule",
			"nft add rule ip "+name+" postrouting "+r.shell, "nftables.Conn.AddRule(masquerade)", tr); err != nil {
			return err
		}
	}
	return t.localhostRules(bridge, tr)
}

// localhostRules let the host reach a published port at 127.0.0.1. After
// the output chain's dnat such a packet leaves by the bridge with source
// 127.0.0.1, which the kernel calls a martian and drops — unless the
// bridge has route_localnet (bridge.go sets it). Two rules go with that:
//
//   - the source is masqueraded to the bridge's address, so that the
//     container's answer is an ordinary packet to the gateway;
//   - route_localnet would also let a container send packets for the
//     host's 127.0.0.1 to the bridge, and so reach services the host keeps
//     to itself (CVE-2020-8558, the kube-proxy fix): from the bridge to
//     127.0.0.0/8, only answers to connections the host began may come in.
func (t *natTable) localhostRules(bridge string, tr *trace.Tracer) error {
	name := t.table.Name
	masq := &nftables.Rule{Table: t.table, Chain: t.postrouting,
		Exprs: concat(ipSaddrIn(loopbackNet), ifnameIs(expr.MetaKeyOIFNAME, expr.CmpOpEq, bridge), masquerade())}
	if err := t.apply(func(c *nftables.Conn) { c.AddRule(masq) }, "masquerade 127.0.0.1 onto the bridge",
		fmt.Sprintf(`nft add rule ip %s postrouting ip saddr 127.0.0.0/8 oifname "%s" masquerade`, name, bridge),
		"nftables.Conn.AddRule(masquerade)", tr); err != nil {
		return err
	}
	guard := &nftables.Rule{Table: t.table, Chain: t.input,
		Exprs: concat(ifnameIs(expr.MetaKeyIIFNAME, expr.CmpOpEq, bridge), ipDaddrIn(loopbackNet), ctStateNotEstablished(), drop())}
	return t.apply(func(c *nftables.Conn) { c.AddRule(guard) }, "keep containers off the host's 127.0.0.1",
		fmt.Sprintf(`nft add rule ip %s input iifname "%s" ip daddr 127.0.0.0/8 ct state != established,related drop`, name, bridge),
		"nftables.Conn.AddRule(drop)", tr)
}

// delete removes the table and all it holds; a missing table is fine.
func (t *natTable) delete(tr *trace.Tracer) error {
	// nft list table ip kobako
	if _, err := t.conn.ListTableOfFamily(t.table.Name, t.table.Family); errors.Is(err, unix.ENOENT) {
		return nil
	}
	return t.apply(func(c *nftables.Conn) { c.DelTable(t.table) }, "delete kobako's nft table",
		"nft delete table ip "+t.table.Name, "nftables.Conn.DelTable(kobako)", tr)
}
