package netns

// The bridge's bookkeeping: which addresses are leased to which container,
// which host ports they publish, and what kobako changed on the host to
// make the bridge (ip_forward). No daemon keeps it: a file does, changed
// only under a lock, like `flock /run/kobako-network/lock …`.
//
// The bridge, its nft table and ip_forward belong to a network namespace,
// not to a kobako --root: two kobako with different roots share them. So
// the file lives in one host-wide directory, one file per network
// namespace (named by its inode, as `ls -iL /proc/self/ns/net` shows it),
// and a test that runs kobako in a namespace of its own never sees the
// real host's leases.

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
)

// state is one bridge's bookkeeping file.
type state struct {
	Subnet  netip.Prefix `json:"subnet"`
	Gateway netip.Addr   `json:"gateway"`
	// ForwardingWas is what /proc/sys/net/ipv4/ip_forward held before
	// kobako set it to 1; it is written back when the bridge goes.
	ForwardingWas string `json:"forwardingWas"`
	// Leases are by address: 192.168.77.2 → its container.
	Leases map[netip.Addr]lease `json:"leases"`
}

// lease is one container's address on the bridge.
type lease struct {
	ID       string        `json:"id"`
	HostVeth string        `json:"hostVeth"`
	Ports    []PortMapping `json:"ports,omitempty"`
}

// leaseOf finds the address leased to a container.
func (st *state) leaseOf(id string) (netip.Addr, bool) {
	for addr, l := range st.Leases {
		if l.ID == id {
			return addr, true
		}
	}
	return netip.Addr{}, false
}

// stateFile is where this namespace's bookkeeping of bridge name lives.
func stateFile(dir, bridge string) (string, error) {
	ns, err := CurrentNamespace()
	if err != nil {
		return "", err
	}
	return ns.stateFile(dir, bridge), nil
}

func (ns Namespace) stateFile(dir, bridge string) string {
	return filepath.Join(dir, fmt.Sprintf("net-%d-%s.json", ns.Inode, bridge))
}

// lockStateDir takes the host-wide lock every change of a bridge's state
// is made under: a flock of the directory itself (flock /run/kobako-network),
// which is never removed.
func lockStateDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make %s: %w", dir, err)
	}
	return fileutil.LockDir(dir)
}

// loadState reads the file; a missing one is a bridge with no leases.
func loadState(path string) (*state, error) {
	st := &state{Leases: map[netip.Addr]lease{}}
	err := fileutil.ReadJSON(path, st)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if st.Leases == nil {
		st.Leases = map[netip.Addr]lease{}
	}
	return st, err
}

// saveState writes the file atomically; with no lease left it removes
// it, so that a host without bridged containers holds no file at all.
func saveState(path string, st *state) error {
	if len(st.Leases) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", path, err)
		}
		return nil
	}
	return fileutil.WriteJSON(path, st)
}

// Namespace identifies a network namespace: its inode, as the link
// /proc/<pid>/ns/net names it ("net:[4026531840]").
type Namespace struct {
	Inode uint64
}

func (ns Namespace) String() string { return fmt.Sprintf("net:[%d]", ns.Inode) }

// ParseNamespace reads what String writes.
func ParseNamespace(s string) (Namespace, error) {
	var ns Namespace
	if _, err := fmt.Sscanf(s, "net:[%d]", &ns.Inode); err != nil {
		return ns, fmt.Errorf("network namespace %q: %w", s, err)
	}
	return ns, nil
}

// Find looks for a way into the namespace: a process in it, or a name
// `ip netns add` gave it. ok is false when none is left, and with it the
// namespace, its links and its rules are gone.
func (ns Namespace) Find() (path string, ok bool) {
	candidates, _ := filepath.Glob("/run/netns/*")
	procs, _ := filepath.Glob("/proc/[0-9]*/ns/net")
	for _, p := range append(candidates, procs...) {
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil && st.Ino == ns.Inode {
			return p, true
		}
	}
	return "", false
}

// ForgetNamespace removes the bookkeeping of a namespace that is gone.
func ForgetNamespace(dir, bridge string, ns Namespace) error {
	path := ns.stateFile(dir, bridge)
	unlock, err := lockStateDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

// CurrentNamespace is the network namespace kobako runs in: the "host"
// whose bridge it uses.
func CurrentNamespace() (Namespace, error) {
	var st unix.Stat_t
	// readlink /proc/self/ns/net
	if err := unix.Stat("/proc/self/ns/net", &st); err != nil {
		return Namespace{}, fmt.Errorf("stat /proc/self/ns/net: %w", err)
	}
	return Namespace{Inode: st.Ino}, nil
}
