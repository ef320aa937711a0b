package initproc

import (
	"slices"
	"strings"
	"testing"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The spec's names become the kernel's numbers; a capability newer than
// the running kernel is skipped, one no kernel has is an error, and no
// capabilities section at all means none.
func TestParseCapabilities(t *testing.T) {
	spec := &specs.LinuxCapabilities{
		Bounding:  []string{"CAP_CHOWN", "CAP_SYS_CHROOT", "CAP_CHECKPOINT_RESTORE"},
		Effective: []string{"CAP_CHOWN"},
		Ambient:   []string{"CAP_BPF"},
	}
	// A kernel whose last capability is CAP_PERFMON (38): BPF (39) and
	// CHECKPOINT_RESTORE (40) are unknown to it.
	sets, err := parseCapabilities(spec, capability.CAP_PERFMON, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []capability.Cap{capability.CAP_CHOWN, capability.CAP_SYS_CHROOT}; !slices.Equal(sets.bounding, want) {
		t.Errorf("bounding %v, want %v", sets.bounding, want)
	}
	if len(sets.effective) != 1 || len(sets.permitted)+len(sets.inheritable)+len(sets.ambient) != 0 {
		t.Errorf("effective %v permitted %v inheritable %v ambient %v", sets.effective, sets.permitted, sets.inheritable, sets.ambient)
	}

	for _, bad := range []string{"CAP_NOPE", "chown", "CAP_chown"} {
		_, err := parseCapabilities(&specs.LinuxCapabilities{Permitted: []string{bad}}, capability.CAP_CHECKPOINT_RESTORE, nil)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "permitted") {
			t.Errorf("%s: error %v, want one naming it and its set", bad, err)
		}
	}

	none, err := parseCapabilities(nil, capability.CAP_CHECKPOINT_RESTORE, nil)
	if err != nil || len(none.bounding)+len(none.effective)+len(none.permitted) != 0 {
		t.Errorf("no capabilities section: %+v, %v; want empty sets", none, err)
	}
}

// capText writes what capsh --caps takes (cap_from_text(3)).
func TestCapText(t *testing.T) {
	last := capability.CAP_CHECKPOINT_RESTORE
	chown, kill, netRaw := capability.CAP_CHOWN, capability.CAP_KILL, capability.CAP_NET_RAW
	for _, tc := range []struct {
		sets capabilitySets
		want string
	}{
		{capabilitySets{lastCap: last}, "="},
		{capabilitySets{lastCap: last, effective: []capability.Cap{chown, kill}, permitted: []capability.Cap{chown, kill}}, "cap_chown,cap_kill+ep"},
		{capabilitySets{lastCap: last, effective: []capability.Cap{chown}, permitted: []capability.Cap{chown, netRaw},
			inheritable: []capability.Cap{netRaw}}, "cap_chown+ep cap_net_raw+ip"},
	} {
		if got := capText(tc.sets); got != tc.want {
			t.Errorf("capText(%+v) = %q, want %q", tc.sets, got, tc.want)
		}
	}
}

func TestKnownCapability(t *testing.T) {
	for name, want := range map[string]bool{"CAP_CHOWN": true, "CAP_CHECKPOINT_RESTORE": true, "CAP_AUDIT_WRITE": true, "CHOWN": false, "CAP_UNKNOWN": false} {
		if got := KnownCapability(name); got != want {
			t.Errorf("KnownCapability(%q) = %t", name, got)
		}
	}
}
