package seccomp

// A rule's args, as go-seccomp-bpf conditions. seccomp(2) lets the filter
// read the six argument registers (seccomp_data.args), never the memory
// they point to: so clone's flags can be checked, clone3's cannot.
//
// A rule's conditions are kept as "any of these sets, each set wholly
// true" — the shape go-seccomp-bpf compiles (several NameWithConditions for
// one name are alternatives, the conditions inside one are all required).

import (
	"fmt"
	"math/bits"
	"slices"

	seccomp "github.com/elastic/go-seccomp-bpf"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// anyOf is a disjunction of conjunctions: the rule matches when every
// condition of at least one set holds.
type anyOf []seccomp.ArgumentConditions

// maxAlternatives bounds the sets that negate may produce, which multiply.
const maxAlternatives = 64

// conditionsOf turns a rule's args into the sets that make it match. Like
// runc (and so docker), two args that compare the same argument are
// alternatives, each enough on its own; otherwise all args must hold.
func conditionsOf(args []specs.LinuxSeccompArg) (anyOf, error) {
	if len(args) == 0 {
		return nil, nil // decided by the name alone
	}
	sets := make(anyOf, len(args))
	indexSeen := map[uint]bool{}
	repeated := false
	for i, arg := range args {
		c, err := conditionOf(arg)
		if err != nil {
			return nil, fmt.Errorf("args[%d]: %w", i, err)
		}
		sets[i] = c
		repeated = repeated || indexSeen[arg.Index]
		indexSeen[arg.Index] = true
	}
	if repeated {
		return sets, nil
	}
	return anyOf{slices.Concat(sets...)}, nil
}

// conditionOf is one OCI comparison as the go-seccomp-bpf conditions that
// all hold exactly when it holds.
func conditionOf(arg specs.LinuxSeccompArg) (seccomp.ArgumentConditions, error) {
	if arg.Index > 5 {
		return nil, fmt.Errorf("index %d: a system call has arguments 0 to 5", arg.Index)
	}
	index := uint32(arg.Index)
	simple := map[specs.LinuxSeccompOperator]seccomp.Operation{
		specs.OpEqualTo: seccomp.Equal, specs.OpNotEqual: seccomp.NotEqual,
		specs.OpLessThan: seccomp.LessThan, specs.OpLessEqual: seccomp.LessOrEqual,
		specs.OpGreaterThan: seccomp.GreaterThan, specs.OpGreaterEqual: seccomp.GreaterOrEqual,
	}
	if op, ok := simple[arg.Op]; ok {
		return seccomp.ArgumentConditions{{Argument: index, Operation: op, Value: arg.Value}}, nil
	}
	if arg.Op != specs.OpMaskedEqual {
		return nil, fmt.Errorf("unknown op %q: use one of SCMP_CMP_EQ, _NE, _LT, _LE, _GT, _GE, _MASKED_EQ", arg.Op)
	}
	return maskedEqual(index, arg.Value, arg.ValueTwo)
}

// maskedEqual is SCMP_CMP_MASKED_EQ, (arg & mask) == want, which
// go-seccomp-bpf has no operation for. It is the bits of mask outside want
// all clear (BitsNotSet), and each bit of want set (BitsSet holds if any
// bit of its value is set, so one condition per bit).
func maskedEqual(index uint32, mask, want uint64) (seccomp.ArgumentConditions, error) {
	if want&^mask != 0 {
		return nil, fmt.Errorf("SCMP_CMP_MASKED_EQ: valueTwo %#x has bits outside the mask (value) %#x, so it never matches", want, mask)
	}
	if mask == 0 {
		return nil, fmt.Errorf("SCMP_CMP_MASKED_EQ: a mask (value) of 0 matches every call: leave the arg out")
	}
	var all seccomp.ArgumentConditions
	if clear := mask &^ want; clear != 0 {
		all = append(all, seccomp.Condition{Argument: index, Operation: seccomp.BitsNotSet, Value: clear})
	}
	for rest := want; rest != 0; rest &= rest - 1 {
		bit := uint64(1) << bits.TrailingZeros64(rest)
		all = append(all, seccomp.Condition{Argument: index, Operation: seccomp.BitsSet, Value: bit})
	}
	return all, nil
}

// negate returns the sets that match exactly when none of sets do: not
// (A or B) is (not A) and (not B), and not (a and b) is (not a) or (not b);
// multiplied out, one set per way of picking a failing condition from each
// of the given sets.
func negate(sets anyOf) (anyOf, error) {
	result := anyOf{{}}
	for _, set := range sets {
		var next anyOf
		for _, partial := range result {
			for _, c := range set {
				next = append(next, append(slices.Clone(partial), opposite(c)))
			}
		}
		if len(next) > maxAlternatives {
			return nil, fmt.Errorf("the args' negation has over %d alternatives: write fewer rules with more than one arg", maxAlternatives)
		}
		result = next
	}
	return result, nil
}

// opposite is the condition that holds exactly when c does not.
func opposite(c seccomp.Condition) seccomp.Condition {
	flip := map[seccomp.Operation]seccomp.Operation{
		seccomp.Equal: seccomp.NotEqual, seccomp.NotEqual: seccomp.Equal,
		seccomp.LessThan: seccomp.GreaterOrEqual, seccomp.GreaterOrEqual: seccomp.LessThan,
		seccomp.LessOrEqual: seccomp.GreaterThan, seccomp.GreaterThan: seccomp.LessOrEqual,
		seccomp.BitsSet: seccomp.BitsNotSet, seccomp.BitsNotSet: seccomp.BitsSet,
	}
	c.Operation = flip[c.Operation]
	return c
}
