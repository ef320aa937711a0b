package doctor

// The nftables probe. Shell twin: nft list tables — see nft(8).
//
// kobako's network chapter keeps its NAT and published-port rules in one
// nftables table, written over netlink (github.com/google/nftables), so
// asking the kernel for its tables is the lightest test that the
// nf_tables module is there (built in, or loaded on demand) and answers.

import "github.com/google/nftables"

// probeNFTables lists the tables of the host's network namespace.
func probeNFTables() error {
	// nft list tables
	c, err := nftables.New()
	if err != nil {
		return err
	}
	_, err = c.ListTables()
	return err
}
