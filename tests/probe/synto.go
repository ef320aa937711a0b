package main

// /probe syn-to IFACE DSTMAC DST PORT: send one TCP SYN for DST:PORT, from
// IFACE's address, out of IFACE to the link-layer address DSTMAC, past the container's own
// routing — what a container with CAP_NET_RAW can do with a packet socket
// (packet(7)) — and report whether anything answered within three seconds.
//
// It asks the question of CVE-2020-8558: with route_localnet on the
// bridge, does the host take a packet for 127.0.0.1 that arrives from a
// container, and so expose what it serves on its loopback only?

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("syn-to", 4, func(a []string) (any, error) { return synTo(a[0], a[1], a[2], a[3]) })
}

// synReply is what came back: "SA" for SYN-ACK, "R" for a reset, "" for
// nothing.
type synReply struct {
	Answered bool   `json:"answered"`
	Flags    string `json:"flags,omitempty"`
}

func synTo(iface, dstMAC, dst, port string) (synReply, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return synReply{}, err
	}
	from, err1 := ipv4Of(ifi)
	mac, err2 := net.ParseMAC(dstMAC)
	to, err3 := netip.ParseAddr(dst)
	dport, err4 := strconv.ParseUint(port, 10, 16)
	if err := firstError(err1, err2, err3, err4); err != nil {
		return synReply{}, err
	}
	// socket(AF_PACKET, SOCK_DGRAM, ETH_P_IP): IP packets in and out, the
	// kernel adds the Ethernet header for the address given.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, int(htons(unix.ETH_P_IP)))
	if err != nil {
		return synReply{}, fmt.Errorf("socket(AF_PACKET): %w", err)
	}
	defer unix.Close(fd)
	const sport = 40404
	packet := synPacket(from, to, sport, uint16(dport))
	ll := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index, Halen: 6}
	copy(ll.Addr[:], mac)
	tv := unix.NsecToTimeval(int64(100 * time.Millisecond))
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	buf := make([]byte, 1500)
	// Sent again every 300 ms, as TCP itself retries: the first may go
	// before the container's new cable has settled.
	var next time.Time
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		if time.Now().After(next) {
			if err := unix.Sendto(fd, packet, 0, ll); err != nil {
				return synReply{}, fmt.Errorf("sendto: %w", err)
			}
			next = time.Now().Add(300 * time.Millisecond)
		}
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			continue
		}
		if flags, ok := replyTo(buf[:n], to, uint16(dport), sport); ok {
			return synReply{Answered: true, Flags: flags}, nil
		}
	}
	return synReply{}, nil
}

// synPacket is an IPv4 header and a TCP header with SYN set.
func synPacket(src, dst netip.Addr, sport, dport uint16) []byte {
	p := make([]byte, 40)
	p[0], p[8], p[9] = 0x45, 64, unix.IPPROTO_TCP // version 4, 20 bytes; TTL; TCP
	binary.BigEndian.PutUint16(p[2:], 40)
	s, d := src.As4(), dst.As4()
	copy(p[12:16], s[:])
	copy(p[16:20], d[:])
	binary.BigEndian.PutUint16(p[10:], checksum(p[:20]))
	tcp := p[20:]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], 1)
	tcp[12], tcp[13] = 5<<4, 0x02 // 20 bytes, SYN
	binary.BigEndian.PutUint16(tcp[14:], 64240)
	pseudo := append(append(append([]byte{}, s[:]...), d[:]...), 0, unix.IPPROTO_TCP, 0, 20)
	binary.BigEndian.PutUint16(tcp[16:], checksum(append(pseudo, tcp...)))
	return p
}

// replyTo reads a received IP packet: TCP from dst:dport to sport?
func replyTo(p []byte, dst netip.Addr, dport, sport uint16) (string, bool) {
	if len(p) < 40 || p[0]>>4 != 4 || p[9] != unix.IPPROTO_TCP {
		return "", false
	}
	hl := int(p[0]&0x0f) * 4
	from, _ := netip.AddrFromSlice(p[12:16])
	if len(p) < hl+20 || from != dst {
		return "", false
	}
	tcp := p[hl:]
	if binary.BigEndian.Uint16(tcp[0:]) != dport || binary.BigEndian.Uint16(tcp[2:]) != sport {
		return "", false
	}
	switch flags := tcp[13]; {
	case flags&0x12 == 0x12:
		return "SA", true
	case flags&0x04 != 0:
		return "R", true
	}
	return "", false
}

func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// ipv4Of is the interface's IPv4 address.
func ipv4Of(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			addr, _ := netip.AddrFromSlice(n.IP.To4())
			return addr, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("%s has no IPv4 address", ifi.Name)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
