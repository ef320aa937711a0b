// Fuzzing compile (issue 15, item 5): the OCI linux.seccomp of a
// config.json, through Check, to the BPF programs Install would install. A
// profile that parses compiles or is refused in words; when it compiles:
//
//   - compiling is deterministic: the same profile, the same programs;
//   - the kernel would load them: each ends in a return with every jump
//     inside it (x/net/bpf's VM checks that), has at most BPF_MAXINSNS
//     instructions, all of them fit MAX_INSNS_PER_PATH together, and the
//     kernel's own classic-BPF checker (bpf_check_classic, which seccomp(2)
//     runs too) takes each one when it is attached to a socket;
//   - they decide each call as the profile says. The programs run in
//     x/net/bpf's VM on calls made up from the profile's own names and
//     numbers, the most restrictive answer wins as in the kernel, and that
//     answer must be the one profileVerdict reads straight from the
//     profile, by the rules compile's comments give (runc's). This is
//     where a wrong jump, a 64-bit comparison done on one half, or a
//     negation that misses a case would show.
//
// Shell twin: runc spec, then linux.seccomp in config.json; kobako create.
package seccomp

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/runtime/seccomp/program"
)

// Limits of seccomp(2) on the programs of one thread: linux/filter.h
// and kernel/seccomp.c.
const (
	kernelMaxInsns        = 4096        // BPF_MAXINSNS, per program
	kernelMaxInsnsPerPath = 1 << 18 / 8 // MAX_INSNS_PER_PATH, all programs, each but the newest counted 4 more
)

// FuzzCheck reads any bytes as the linux.seccomp of a config.json.
func FuzzCheck(f *testing.F) {
	f.Fuzz(func(t *testing.T, profile []byte) {
		requireNativeFilter(t)
		var s specs.LinuxSeccomp
		if json.Unmarshal(profile, &s) != nil {
			return // not a linux.seccomp: the config reader refuses it (runtime's FuzzValidate)
		}
		if err := Check(&s); err != nil {
			if err.Error() == "" {
				t.Errorf("Check failed with an empty error")
			}
			return
		}
		checkLoadable(t, &s)
	})
}

// checkLoadable compiles s twice, checks the programs as seccomp(2)
// would, and then what they decide.
func checkLoadable(t *testing.T, s *specs.LinuxSeccomp) {
	t.Helper()
	p, err := Compile(s)
	if err != nil {
		t.Fatalf("Check accepted the profile, compiling it again: %v", err)
	}
	again, err := Compile(s)
	if err != nil || !reflect.DeepEqual(p, again) {
		t.Fatalf("compiling the profile twice gave different programs (%v)", err)
	}
	total := 0
	for i, filter := range p.Filters {
		if len(filter) > kernelMaxInsns {
			t.Fatalf("program %d of %d has %d instructions: seccomp(2) takes at most %d (BPF_MAXINSNS), so Install would fail with EINVAL",
				i+1, len(p.Filters), len(filter), kernelMaxInsns)
		}
		// A socket's filter is charged to net.core.optmem_max, a seccomp
		// program is not: ENOMEM is the socket's limit, not seccomp's (a
		// program of 3873 instructions loads, and no socket takes it).
		if err := kernelChecks(filter); err != nil && !errors.Is(err, unix.ENOMEM) {
			t.Fatalf("program %d of %d: the kernel's BPF checker refuses it: %v", i+1, len(p.Filters), err)
		}
		total += len(filter) + 4
	}
	if total -= 4; total > kernelMaxInsnsPerPath {
		t.Fatalf("the %d programs have %d instructions together: seccomp(2) takes at most %d on one thread (MAX_INSNS_PER_PATH), so Install would fail with ENOMEM",
			len(p.Filters), total, kernelMaxInsnsPerPath)
	}
	checkVerdicts(t, s, p)
}

// kernelChecks hands filter to the kernel's classic-BPF checker by
// attaching it to a socket of its own: setsockopt(SO_ATTACH_FILTER).
func kernelChecks(filter []unix.SockFilter) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog)
}

// checkVerdicts runs the programs on calls made up from the profile and
// compares each answer with profileVerdict's.
func checkVerdicts(t *testing.T, s *specs.LinuxSeccomp, p *program.Program) {
	t.Helper()
	table, err := nativeTable()
	if err != nil {
		t.Fatal(err)
	}
	vms := make([]*bpf.VM, len(p.Filters))
	for i, filter := range p.Filters {
		if vms[i], err = bpf.NewVM(instructions(filter)); err != nil {
			t.Fatalf("program %d of %d: %v", i+1, len(p.Filters), err)
		}
	}
	for _, name := range namesToTry(s, table) {
		for _, args := range argsToTry(s, name) {
			got, err := kernelVerdict(vms, table, uint32(table.SyscallNames[name]), args)
			if err != nil {
				t.Fatalf("%s%#x: %v", name, args, err)
			}
			if want := profileVerdict(s, name, args); got != want {
				t.Fatalf("%s with args %#x: the programs answer %#x (%s), the profile says %#x (%s)",
					name, args, got, describe(seccomp.Action(got)), want, describe(seccomp.Action(want)))
			}
		}
	}
}

// kernelVerdict is what seccomp(2) answers for one call: every program
// runs, from the last installed to the first, and an answer replaces the
// one so far only if its action comes first in the order of precedence
// (the action bits compared as a signed number: kernel/seccomp.c,
// seccomp_run_filters).
func kernelVerdict(vms []*bpf.VM, table *arch.Info, nr uint32, args [6]uint64) (uint32, error) {
	// struct seccomp_data: nr, arch, instruction_pointer, args[6], in the
	// machine's byte order; the VM loads each 32-bit word big-endian, so
	// each word is written so, at the offset where the kernel has it.
	data := make([]byte, 64)
	binary.BigEndian.PutUint32(data[0:], nr)
	binary.BigEndian.PutUint32(data[4:], uint32(table.ID))
	for i, a := range args {
		lo, hi := 16+8*i, 16+8*i+4 // little-endian: the low half first
		binary.BigEndian.PutUint32(data[lo:], uint32(a))
		binary.BigEndian.PutUint32(data[hi:], uint32(a>>32))
	}
	verdict := uint32(unix.SECCOMP_RET_ALLOW)
	for i := len(vms) - 1; i >= 0; i-- {
		ret, err := vms[i].Run(data)
		if err != nil {
			return 0, fmt.Errorf("program %d: %w", i+1, err)
		}
		if actionOnly(uint32(ret)) < actionOnly(verdict) {
			verdict = uint32(ret)
		}
	}
	return verdict, nil
}

// actionOnly is the kernel's ACTION_ONLY: the action bits, signed, so
// that SECCOMP_RET_KILL_PROCESS (0x80000000) comes first.
func actionOnly(ret uint32) int32 { return int32(ret & unix.SECCOMP_RET_ACTION_FULL) }

// profileVerdict reads the answer for one call straight from the profile,
// by the rules compile's rules.add follows (runc's): a rule with the
// default's action is no rule; of the rules without args the first wins;
// a rule without args wins over rules with args; rules with args are
// alternatives, and the default answers when none holds.
func profileVerdict(s *specs.LinuxSeccomp, name string, args [6]uint64) uint32 {
	def, _ := actionOf(s.DefaultAction, s.DefaultErrnoRet) // Check accepted both
	var plain, byArgs *seccomp.Action
	var when [][]specs.LinuxSeccompArg
	for _, rule := range s.Syscalls {
		if !slices.Contains(rule.Names, name) {
			continue
		}
		action, _ := actionOf(rule.Action, rule.ErrnoRet)
		if action == def {
			continue
		}
		sets := alternatives(rule.Args)
		switch {
		case plain != nil:
		case sets == nil:
			plain, byArgs, when = &action, nil, nil
		default:
			byArgs, when = &action, append(when, sets...) // one action only: Check refuses two
		}
	}
	switch {
	case plain != nil:
		return uint32(*plain)
	case byArgs != nil && slices.ContainsFunc(when, func(set []specs.LinuxSeccompArg) bool { return allHold(set, args) }):
		return uint32(*byArgs)
	}
	return uint32(def)
}

// alternatives are a rule's args as sets, any of which makes it match:
// args on the same argument are alternatives, else all must hold (runc).
func alternatives(args []specs.LinuxSeccompArg) [][]specs.LinuxSeccompArg {
	if len(args) == 0 {
		return nil
	}
	seen := map[uint]bool{}
	for _, a := range args {
		if seen[a.Index] {
			sets := make([][]specs.LinuxSeccompArg, len(args))
			for i, a := range args {
				sets[i] = []specs.LinuxSeccompArg{a}
			}
			return sets
		}
		seen[a.Index] = true
	}
	return [][]specs.LinuxSeccompArg{args}
}

// allHold says whether every comparison of set holds for the call's
// arguments, as 64-bit unsigned numbers (seccomp_rule_add(3)).
func allHold(set []specs.LinuxSeccompArg, args [6]uint64) bool {
	for _, a := range set {
		v := args[a.Index]
		ok := map[specs.LinuxSeccompOperator]bool{
			specs.OpEqualTo: v == a.Value, specs.OpNotEqual: v != a.Value,
			specs.OpLessThan: v < a.Value, specs.OpLessEqual: v <= a.Value,
			specs.OpGreaterThan: v > a.Value, specs.OpGreaterEqual: v >= a.Value,
			specs.OpMaskedEqual: v&a.Value == a.ValueTwo,
		}[a.Op]
		if !ok {
			return false
		}
	}
	return true
}

// namesToTry are the machine's calls the profile names, and a few it
// does not.
func namesToTry(s *specs.LinuxSeccomp, table *arch.Info) []string {
	var names []string
	for _, rule := range s.Syscalls {
		for _, name := range rule.Names {
			if _, ok := table.SyscallNames[name]; ok && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	unnamed := 0
	for _, name := range sortedNames(table) {
		if unnamed < 3 && !slices.Contains(names, name) {
			names = append(names, name)
			unnamed++
		}
	}
	return names
}

// argsToTry are argument vectors for name: none set; each comparison of
// its rules just held and just failed, alone, then with all the others
// held; and each value with its upper 32 bits changed, where a comparison
// of one half would go wrong. At most maxVectors, the most telling first.
func argsToTry(s *specs.LinuxSeccomp, name string) [][6]uint64 {
	var cmps []specs.LinuxSeccompArg
	for _, rule := range s.Syscalls {
		if slices.Contains(rule.Names, name) {
			cmps = append(cmps, rule.Args...)
		}
	}
	var allHeld [6]uint64
	for _, a := range cmps {
		allHeld[a.Index] = held(a)
	}
	vectors := [][6]uint64{{}, allHeld}
	for _, pass := range []func(a specs.LinuxSeccompArg) (base [6]uint64, values []uint64){
		func(a specs.LinuxSeccompArg) ([6]uint64, []uint64) { return [6]uint64{}, []uint64{held(a), failed(a)} },
		func(a specs.LinuxSeccompArg) ([6]uint64, []uint64) { return allHeld, []uint64{held(a), failed(a)} },
		func(a specs.LinuxSeccompArg) ([6]uint64, []uint64) {
			return [6]uint64{}, []uint64{a.Value ^ 1<<32, a.Value + 1<<32, a.ValueTwo, ^uint64(0)}
		},
	} {
		for _, a := range cmps {
			base, values := pass(a)
			for _, v := range values {
				if len(vectors) < maxVectors {
					base[a.Index] = v
					vectors = append(vectors, base)
				}
			}
		}
	}
	return vectors
}

// maxVectors bounds the calls tried for one name: the default profile
// has 40-odd rules for socket alone.
const maxVectors = 256

// held and failed are values for which one comparison holds, and not.
func held(a specs.LinuxSeccompArg) uint64 {
	switch a.Op {
	case specs.OpNotEqual, specs.OpGreaterThan:
		return a.Value + 1
	case specs.OpLessThan:
		return a.Value - 1
	case specs.OpMaskedEqual:
		return a.ValueTwo
	}
	return a.Value
}

func failed(a specs.LinuxSeccompArg) uint64 {
	switch a.Op {
	case specs.OpEqualTo, specs.OpLessEqual:
		return a.Value + 1
	case specs.OpGreaterEqual:
		return a.Value - 1
	case specs.OpMaskedEqual:
		return a.ValueTwo ^ (a.Value & -a.Value) // flip the lowest bit of the mask
	}
	return a.Value
}
