package initproc

// Capabilities: what root in the container may still do. The article keeps
// all of root's powers but one, right before exec:
//
//	capsh --chroot=$ROOTFS --drop=cap_sys_chroot -- -c 'exec $CMD'
//
// kobako keeps only what process.capabilities lists (docker's 14 by
// default) and drops the rest, in the order runc does (see execCommand):
//
//	capsh --drop=…          the bounding set: the most any later exec can get
//	capsh --keep=1          keep the permitted set across the switch of user,
//	setpriv --reuid …       …which would otherwise empty it,
//	capsh --keep=0          …and across no later one
//	capsh --caps=…+ep       effective, permitted, inheritable: one capset(2)
//	capsh --noamb           ambient: empty unless the spec lists some
//
// Root keeps after exec what the bounding set holds — execve gives uid 0
// its bounding and inheritable sets, whatever it had before — so the
// bounding set is the one that counts for root. Any other user keeps only
// its ambient set across exec. See capabilities(7).

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// capabilitySets is process.capabilities, in the kernel's numbers, and the
// highest number the running kernel knows (/proc/sys/kernel/cap_last_cap).
type capabilitySets struct {
	lastCap                                              capability.Cap
	bounding, effective, permitted, inheritable, ambient []capability.Cap
}

// capabilityNumbers maps the spec's names ("CAP_CHOWN") to the kernel's
// numbers (0), for every capability some kernel has.
var CapabilityNumbers = func() map[string]capability.Cap {
	numbers := map[string]capability.Cap{}
	for _, c := range capability.ListKnown() {
		numbers[specName(c)] = c
	}
	return numbers
}()

// specName is a capability's name as the spec and capabilities(7) write
// it: CAP_NET_ADMIN.
func specName(c capability.Cap) string {
	return "CAP_" + strings.ToUpper(c.String())
}

// KnownCapability says whether name ("CAP_NET_ADMIN") is a capability of
// some kernel — not necessarily of the running one.
func KnownCapability(name string) bool {
	_, ok := CapabilityNumbers[name]
	return ok
}

// BoundingSet returns the capabilities kobako itself can still hand on: its
// own bounding set, CapBnd in /proc/self/status. No container can get more
// (--privileged gets exactly these); where root's bounding set lacks one, as
// some sandboxes take CAP_SYS_RESOURCE away, no container of kobako's has it.
func BoundingSet() ([]string, error) {
	// grep CapBnd /proc/self/status
	own, err := capability.NewPid2(0)
	if err == nil {
		err = own.Load()
	}
	if err != nil {
		return nil, fmt.Errorf("read kobako's own capabilities: %w", err)
	}
	supported, err := capability.ListSupported()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range supported {
		if own.Get(capability.BOUNDING, c) {
			names = append(names, specName(c))
		}
	}
	return names, nil
}

// capabilitiesOf reads which capabilities the running kernel knows, then
// turns the spec's names into numbers (parseCapabilities).
func CapabilitiesOf(c *specs.LinuxCapabilities, tr *trace.Tracer) (capabilitySets, error) {
	// cat /proc/sys/kernel/cap_last_cap (the library asks prctl(PR_CAPBSET_READ))
	lastCap, err := capability.LastCap()
	if err != nil {
		return capabilitySets{}, err
	}
	return parseCapabilities(c, lastCap, tr)
}

// parseCapabilities turns the spec's names into numbers. A name the running
// kernel does not know yet (above lastCap) is skipped with a note, as runc
// does, so that one config runs on older kernels too; a name no kernel
// knows is a mistake. No capabilities section at all means no capabilities.
func parseCapabilities(c *specs.LinuxCapabilities, lastCap capability.Cap, tr *trace.Tracer) (capabilitySets, error) {
	sets := capabilitySets{lastCap: lastCap}
	if c == nil {
		return sets, nil
	}
	for _, set := range []struct {
		name  string
		names []string
		into  *[]capability.Cap
	}{
		{"bounding", c.Bounding, &sets.bounding},
		{"effective", c.Effective, &sets.effective},
		{"permitted", c.Permitted, &sets.permitted},
		{"inheritable", c.Inheritable, &sets.inheritable},
		{"ambient", c.Ambient, &sets.ambient},
	} {
		for _, name := range set.names {
			number, known := CapabilityNumbers[name]
			switch {
			case !known:
				return sets, fmt.Errorf("unknown capability %q in process.capabilities.%s: use names of capabilities(7), like CAP_CHOWN", name, set.name)
			case number > lastCap:
				tr.Skip(fmt.Sprintf("skip %s of the %s set: this kernel does not know it (its last is %s)", name, set.name, specName(lastCap)),
					"cat /proc/sys/kernel/cap_last_cap")
			default:
				*set.into = append(*set.into, number)
			}
		}
	}
	return sets, nil
}

// dropBoundingSet removes from the bounding set every capability the spec
// does not list there. It comes first, while the init is still root:
// prctl(PR_CAPBSET_DROP) needs CAP_SETPCAP, which the command may not keep.
func dropBoundingSet(sets capabilitySets, tr *trace.Tracer) error {
	var dropped []capability.Cap
	for c := capability.Cap(0); c <= sets.lastCap; c++ {
		if slices.Contains(sets.bounding, c) {
			continue
		}
		// capsh --drop=cap_…
		if err := capability.DropBound(c); err != nil {
			tr.Step("drop from the bounding set", "capsh --drop="+capshName(c), "capability.DropBound — prctl(PR_CAPBSET_DROP)", err)
			return fmt.Errorf("prctl PR_CAPBSET_DROP %s: %w", capshName(c), err)
		}
		dropped = append(dropped, c)
	}
	tr.Step("drop from the bounding set", "capsh --drop="+capshNames(dropped), "capability.DropBound — prctl(PR_CAPBSET_DROP) each", nil)
	return nil
}

// setKeepCaps turns PR_SET_KEEPCAPS on or off. On, a setuid from root to
// another user keeps the permitted set (it empties the effective one
// anyway), so that setCapabilities has something left to choose from; off
// again, a setuid of the command's own empties it, as it should.
func setKeepCaps(keep bool, tr *trace.Tracer) error {
	flag := 0
	if keep {
		flag = 1
	}
	// capsh --keep=1 (or 0)
	err := unix.Prctl(unix.PR_SET_KEEPCAPS, uintptr(flag), 0, 0, 0)
	tr.Step(fmt.Sprintf("keep capabilities across setuid: %t", keep), fmt.Sprintf("capsh --keep=%d", flag),
		fmt.Sprintf("unix.Prctl(unix.PR_SET_KEEPCAPS, %d, 0, 0, 0)", flag), err)
	if err != nil {
		return fmt.Errorf("prctl PR_SET_KEEPCAPS %d: %w", flag, err)
	}
	return nil
}

// setCapabilities sets the effective, permitted and inheritable sets with
// one capset(2), then the ambient set. The inheritable set stays empty
// unless the spec lists some: with cap_x in it, any program with cap_x+ei
// file capabilities (setcap) would get cap_x on exec, even run by a user
// other than root (CVE-2022-29162).
func setCapabilities(sets capabilitySets, tr *trace.Tracer) error {
	// A new value starts empty: only what the spec lists is set.
	caps, err := capability.NewPid2(0)
	if err != nil {
		return fmt.Errorf("capabilities: %w", err)
	}
	caps.Set(capability.EFFECTIVE, sets.effective...)
	caps.Set(capability.PERMITTED, sets.permitted...)
	caps.Set(capability.INHERITABLE, sets.inheritable...)
	caps.Set(capability.AMBIENT, sets.ambient...)
	text := capText(sets)
	// capsh --caps="cap_chown,…+ep"
	err = caps.Apply(capability.CAPS)
	tr.Step("set capabilities", fmt.Sprintf("capsh --caps=%q", text), "capability.Apply(capability.CAPS) — capset(2)", err)
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("capset %s: %w: kobako's own permitted set lacks one of them (see CapPrm in /proc/self/status)", text, err)
	}
	if err != nil {
		return fmt.Errorf("capset %s: %w", text, err)
	}
	// capsh --noamb --addamb=cap_…
	err = caps.Apply(capability.AMBS)
	tr.Step("set ambient capabilities", ambientShell(sets.ambient), "capability.Apply(capability.AMBS) — prctl(PR_CAP_AMBIENT)", err)
	if err != nil {
		return fmt.Errorf("prctl PR_CAP_AMBIENT %s: %w", capshNames(sets.ambient), err)
	}
	return nil
}

// capText writes the effective, permitted and inheritable sets as
// cap_from_text(3) reads them, which is what capsh --caps takes:
// "cap_chown,cap_kill+ep cap_net_raw+eip", or "=" for none at all.
func capText(sets capabilitySets) string {
	var flagOrder []string
	byFlags := map[string][]capability.Cap{}
	for c := capability.Cap(0); c <= sets.lastCap; c++ {
		flags := ""
		for _, f := range []struct {
			letter string
			set    []capability.Cap
		}{{"e", sets.effective}, {"i", sets.inheritable}, {"p", sets.permitted}} {
			if slices.Contains(f.set, c) {
				flags += f.letter
			}
		}
		if flags == "" {
			continue
		}
		if _, seen := byFlags[flags]; !seen {
			flagOrder = append(flagOrder, flags)
		}
		byFlags[flags] = append(byFlags[flags], c)
	}
	if len(flagOrder) == 0 {
		return "="
	}
	clauses := make([]string, len(flagOrder))
	for i, flags := range flagOrder {
		clauses[i] = capshNames(byFlags[flags]) + "+" + flags
	}
	return strings.Join(clauses, " ")
}

// ambientShell is the capsh command that sets exactly these ambient ones.
func ambientShell(ambient []capability.Cap) string {
	if len(ambient) == 0 {
		return "capsh --noamb"
	}
	return "capsh --noamb --addamb=" + capshNames(ambient)
}

// capshName is a capability as capsh writes it: cap_sys_chroot, or its
// number for one newer than this program knows.
func capshName(c capability.Cap) string {
	if _, known := CapabilityNumbers[specName(c)]; !known {
		return strconv.Itoa(int(c))
	}
	return "cap_" + c.String()
}

func capshNames(caps []capability.Cap) string {
	names := make([]string, len(caps))
	for i, c := range caps {
		names[i] = capshName(c)
	}
	return strings.Join(names, ",")
}
