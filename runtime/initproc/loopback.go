package initproc

// ip link set lo up. A new network namespace starts with its loopback
// device down (the article's `unshare -n` shows it DOWN); docker brings it
// up so that 127.0.0.1 works in the container, and kobako does the same.
//
// `ip` would send a netlink message; the older way, what `ifconfig lo up`
// does, is two ioctls on any socket of the namespace: read the device's
// flags (SIOCGIFFLAGS), add IFF_UP, write them back (SIOCSIFFLAGS). The init
// takes the older way: it needs no netlink library for one flag.

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// loopbackUp brings up lo in the caller's network namespace.
func loopbackUp(tr *trace.Tracer) error {
	err := setInterfaceUp("lo")
	tr.Step("loopback up", "ip link set lo up", "ioctl(SIOCSIFFLAGS, lo, IFF_UP)", err)
	if err != nil {
		return fmt.Errorf("ip link set lo up: %w", err)
	}
	return nil
}

// setInterfaceUp: ifconfig NAME up.
func setInterfaceUp(name string) error {
	sock, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(sock)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(sock, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(sock, unix.SIOCSIFFLAGS, ifr)
}
