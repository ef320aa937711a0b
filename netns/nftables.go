package netns

// The words of nft(8) that kobako's rules are made of, as the netlink
// expressions nft itself compiles them to (`nft --debug=netlink` prints
// the same list): a load into a register, then a comparison or an action.
// `ip saddr 192.168.77.0/24`, for instance, is three of them:
//
//	[ payload load 4b @ network header + 12 => reg 1 ]
//	[ bitwise reg 1 = ( reg 1 & 0x00ffffff ) ^ 0x00000000 ]
//	[ cmp eq reg 1 0x004da8c0 ]

import (
	"encoding/binary"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// Offsets in the IPv4 header (RFC 791) and the TCP/UDP header.
const (
	ipv4SaddrOffset = 12
	ipv4DaddrOffset = 16
	dportOffset     = 2
)

// ipsDstNAT is IPS_DST_NAT of linux/netfilter/nf_conntrack_common.h: the
// bit of `ct status` that says the destination was rewritten.
const ipsDstNAT = 1 << 5

// ipSaddrIn is `ip saddr PREFIX`.
func ipSaddrIn(p netip.Prefix) []expr.Any { return ipAddrIn(ipv4SaddrOffset, p) }

// ipDaddrIn is `ip daddr PREFIX`.
func ipDaddrIn(p netip.Prefix) []expr.Any { return ipAddrIn(ipv4DaddrOffset, p) }

// ipDaddrIs is `ip daddr ADDR`.
func ipDaddrIs(a netip.Addr) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: ipv4DaddrOffset, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a.AsSlice()},
	}
}

func ipAddrIn(offset uint32, p netip.Prefix) []expr.Any {
	mask := make([]byte, 4)
	binary.BigEndian.PutUint32(mask, ^uint32(0)<<(32-p.Bits()))
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p.Masked().Addr().AsSlice()},
	}
}

// ifnameIs is `oifname "kobako0"` (or iifname, or != with CmpOpNeq).
func ifnameIs(key expr.MetaKey, op expr.CmpOp, name string) []expr.Any {
	padded := make([]byte, unix.IFNAMSIZ)
	copy(padded, name)
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Cmp{Op: op, Register: 1, Data: padded},
	}
}

// ctStatusDNAT is `ct status dnat`: the connection's destination was
// rewritten, that is, it came through a published port.
func ctStatusDNAT() []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: hostUint32(ipsDstNAT), Xor: hostUint32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: hostUint32(0)},
	}
}

// ctStateNotEstablished is `ct state != established,related`: a packet
// that begins something, rather than answering what we began.
func ctStateNotEstablished() []expr.Any {
	bits := expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: hostUint32(bits), Xor: hostUint32(0)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: hostUint32(0)},
	}
}

// fibDaddrLocal is `fib daddr type local`: the packet is for one of this
// host's own addresses (iptables' `-m addrtype --dst-type LOCAL`).
func fibDaddrLocal() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: hostUint32(unix.RTN_LOCAL)},
	}
}

// l4ProtoIs is `meta l4proto tcp`.
func l4ProtoIs(proto byte) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
	}
}

// dportIs is `th dport PORT` (tcp dport or udp dport after l4ProtoIs).
func dportIs(port uint16) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: dportOffset, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, port)},
	}
}

// dnatTo is `dnat to ADDR:PORT`.
func dnatTo(addr netip.Addr, port uint16) []expr.Any {
	return []expr.Any{
		&expr.Immediate{Register: 1, Data: addr.AsSlice()},
		&expr.Immediate{Register: 2, Data: binary.BigEndian.AppendUint16(nil, port)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	}
}

// masquerade is `masquerade`: the source becomes the address of the
// interface the packet leaves by.
func masquerade() []expr.Any { return []expr.Any{&expr.Masq{}} }

// drop is `drop`.
func drop() []expr.Any { return []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}} }

// comment is a rule's `comment "TEXT"`, stored as nft stores it.
func comment(text string) []byte {
	return userdata.AppendString(nil, userdata.TypeComment, text)
}

func commentOf(r *nftables.Rule) string {
	text, _ := userdata.GetString(r.UserData, userdata.TypeComment)
	return text
}

// hostUint32 is a 32-bit value in the host's byte order, as conntrack
// and fib results are.
func hostUint32(v uint32) []byte {
	return binary.NativeEndian.AppendUint32(nil, v)
}

// concat joins expression lists into one rule.
func concat(parts ...[]expr.Any) []expr.Any {
	var all []expr.Any
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}
