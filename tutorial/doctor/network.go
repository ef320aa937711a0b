package doctor

// The network chapter's needs. Shell twin:
//
//	nft list tables                  # nf_tables answers over netlink
//	sysctl net.ipv4.ip_forward       # the article's 8.4 sets it for NAT

import (
	"errors"

	"golang.org/x/sys/unix"
)

// checkNFTables: kobako's bridge network keeps its NAT and published
// ports in one nftables table (netns/nftables.go); without nf_tables the
// network chapter's containers cannot reach each other's published ports.
func checkNFTables(h Host) Finding {
	if h.ProbeNFTables == nil {
		return found("nftables", GroupNetwork, Warn, "unknown", nil)
	}
	err := h.ProbeNFTables()
	switch {
	case err == nil:
		return found("nftables", GroupNetwork, OK, "ok", nil)
	case errors.Is(err, unix.EPERM):
		// only root (CAP_NET_ADMIN) may list tables: the root finding says so
		return found("nftables", GroupNetwork, Warn, "noperm", nil)
	}
	return fail("nftables", GroupNetwork, "missing", []string{ChapterNetwork}, map[string]string{"err": err.Error()})
}

// checkIPForward: sysctl net.ipv4.ip_forward. kobako turns it on while a
// bridge network exists and puts the old value back when the last one
// goes (netns/network.go), so 0 is fine: it is worth knowing only because
// the article's 8.4 sets it by hand, for good.
func checkIPForward(h Host) Finding {
	v, ok, _ := h.sysctl("net.ipv4.ip_forward")
	args := map[string]string{"value": v}
	switch {
	case !ok:
		return found("ip-forward", GroupNetwork, Warn, "missing", args)
	case v == "0":
		return found("ip-forward", GroupNetwork, Note, "off", args)
	}
	return found("ip-forward", GroupNetwork, OK, "on", args)
}
