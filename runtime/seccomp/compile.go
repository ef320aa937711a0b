package seccomp

// From an OCI linux.seccomp to BPF policies, with
// github.com/elastic/go-seccomp-bpf: what libseccomp's seccomp_rule_add
// does for runc (assemble.go is its seccomp_export_bpf).
//
// go-seccomp-bpf turns a policy — groups of names, each with an action,
// and a default — into one pass of compare-and-jump instructions: load the
// system call number, compare it with each group's names in turn. Names
// that the machine does not have are skipped, as runc skips them: a
// profile names the calls of every architecture.
//
// Why more than one program. When a group checks a call's arguments, it
// loads them into the same register that held the system call number, and
// if they do not match, the next group compares the *argument* with its
// numbers: personality(1<<32 | ADDR_NO_RANDOMIZE) would pass as write,
// whose number is 1. So the main program checks names only. Each call
// whose rules look at its arguments gets small programs of its own, whose
// only group is that call, so that nothing is compared after the
// arguments: one gives the rules' action when they match, one gives the
// default when they do not, and each allows every other call. The kernel
// runs all the programs on the thread and keeps the most restrictive
// answer, so the main program allows that call and leaves it to them.

import (
	"errors"
	"fmt"
	"runtime"
	"slices"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// compiled is a profile as go-seccomp-bpf policies, in the order to
// install them, and the flags for seccomp(2); assemble.go turns it into
// the instructions the kernel takes.
type compiled struct {
	policies []seccomp.Policy
	flags    seccomp.FilterFlag
}

// rules is a profile's syscalls, each name decided either by the name
// alone (plain) or by its arguments (byArgs); names keeps the profile's
// order, so that the same profile gives the same programs.
type rules struct {
	plain  map[string]seccomp.Action
	byArgs map[string]*argRule
	names  []string
}

// argRule is what a profile says about one call whose rules compare its
// arguments: the action when any of the condition sets holds.
type argRule struct {
	action seccomp.Action
	when   anyOf
}

// compile checks s and turns it into the policies to install. It refuses,
// with an error that says why, whatever it cannot express (what is too
// long for the kernel, assemble refuses).
func compile(s *specs.LinuxSeccomp) (compiled, error) {
	table, err := nativeTable()
	if err != nil {
		return compiled{}, err
	}
	flags, err := filterFlags(s)
	if err != nil {
		return compiled{}, err
	}
	defaultAction, err := actionOf(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return compiled{}, fmt.Errorf("defaultAction: %w", err)
	}
	r := rules{plain: map[string]seccomp.Action{}, byArgs: map[string]*argRule{}}
	for i, rule := range s.Syscalls {
		if err := r.add(rule, defaultAction, table); err != nil {
			return compiled{}, fmt.Errorf("syscalls[%d] (%v): %w", i, rule.Names, err)
		}
	}
	var policies []seccomp.Policy
	for _, name := range r.names {
		if rule, ok := r.byArgs[name]; ok {
			own, err := argPolicies(name, rule, defaultAction)
			if err != nil {
				return compiled{}, fmt.Errorf("%s: %w", name, err)
			}
			policies = append(policies, own...)
		}
	}
	// The main program last: it may deny seccomp(2) itself.
	policies = append(policies, mainPolicy(defaultAction, r, table))
	return compiled{policies: policies, flags: flags}, nil
}

// nativeTable is the machine's system call table. kobako filters x86_64
// and aarch64; go-seccomp-bpf always compiles for the machine it runs on.
func nativeTable() (*arch.Info, error) {
	if _, ok := scmpArch[runtime.GOARCH]; !ok {
		return nil, fmt.Errorf("kobako filters system calls on amd64 and arm64 only, not on %s", runtime.GOARCH)
	}
	return arch.GetInfo(runtime.GOARCH)
}

// filterFlags checks what s asks of seccomp(2) besides the rules.
func filterFlags(s *specs.LinuxSeccomp) (seccomp.FilterFlag, error) {
	if s.ListenerPath != "" || s.ListenerMetadata != "" {
		return 0, fmt.Errorf("listenerPath %q: kobako has no seccomp agent to hand calls to", s.ListenerPath)
	}
	// Other ABIs' calls cannot be filtered here, but they are denied (see
	// mainPolicy), which is never more than asked.
	if native := scmpArch[runtime.GOARCH]; len(s.Architectures) > 0 && !slices.Contains(s.Architectures, native) {
		return 0, fmt.Errorf("architectures %v: this machine is %s", s.Architectures, native)
	}
	var flags seccomp.FilterFlag
	for _, f := range s.Flags {
		switch f {
		case specs.LinuxSeccompFlagLog:
			flags |= unix.SECCOMP_FILTER_FLAG_LOG
		case specs.LinuxSeccompFlagSpecAllow:
			flags |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		default:
			return 0, fmt.Errorf("flags: %s is not supported: use SECCOMP_FILTER_FLAG_LOG or SECCOMP_FILTER_FLAG_SPEC_ALLOW", f)
		}
	}
	return flags, nil
}

// actionOf is an OCI action as the value a filter returns: the action in
// the high 16 bits, its data (the errno) in the low ones.
func actionOf(a specs.LinuxSeccompAction, errnoRet *uint) (seccomp.Action, error) {
	switch a {
	case specs.ActErrno:
		return withData(seccomp.ActionErrno, errnoRet, 1, 4095) // 0 would fake success; MAX_ERRNO is 4095
	case specs.ActTrace:
		return withData(seccomp.ActionTrace, errnoRet, 0, 0xffff) // data for the tracer
	}
	if errnoRet != nil {
		return 0, fmt.Errorf("errnoRet goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", a)
	}
	switch a {
	case specs.ActAllow:
		return seccomp.ActionAllow, nil
	case specs.ActLog:
		return seccomp.ActionLog, nil
	case specs.ActTrap:
		return seccomp.ActionTrap, nil
	case specs.ActKill, specs.ActKillThread:
		return seccomp.ActionKillThread, nil
	case specs.ActKillProcess:
		return seccomp.ActionKillProcess, nil
	case specs.ActNotify:
		return 0, fmt.Errorf("%s hands calls to a seccomp agent, which kobako does not have", a)
	}
	return 0, fmt.Errorf("unknown action %q: use SCMP_ACT_ALLOW, _ERRNO, _KILL_PROCESS, _KILL_THREAD, _TRAP, _TRACE or _LOG", a)
}

// withData puts errnoRet (EPERM when absent, as runc does) in action's
// data bits.
func withData(action seccomp.Action, errnoRet *uint, lowest, highest uint) (seccomp.Action, error) {
	data := uint(unix.EPERM)
	if errnoRet != nil {
		data = *errnoRet
	}
	if data < lowest || data > highest {
		return 0, fmt.Errorf("errnoRet %d: must be %d to %d", data, lowest, highest)
	}
	return action | seccomp.Action(data), nil
}

// add sorts one OCI rule in. A system call named by more than one rule
// is decided as runc 1.1 decides it, with libseccomp 2.5 underneath
// (runc's libcontainer/seccomp matchCall, libseccomp's db_rule_add), so
// that a profile an engine wrote for runc means the same here:
//
//   - a rule whose action is the default action is skipped (runc does so
//     since 1.0.1: libseccomp refuses such a rule, and podman writes them);
//   - of the rules without args, the first one wins: libseccomp keeps the
//     first and quietly drops the others (podman's profile allows setns in
//     its long list, and lists it again under "errno 1" for containers
//     without CAP_SYS_ADMIN: setns is allowed, under runc and here);
//   - a rule without args wins over rules with args, before or after it
//     (libseccomp clears a call's argument tree when a rule without args
//     comes, and drops the rules with args that come after one);
//   - rules with args and the same action are alternatives (either may
//     match). libseccomp can also merge rules with args and different
//     actions; kobako cannot, and says so.
func (r *rules) add(rule specs.LinuxSyscall, defaultAction seccomp.Action, table *arch.Info) error {
	if len(rule.Names) == 0 {
		return errors.New("no names")
	}
	action, err := actionOf(rule.Action, rule.ErrnoRet)
	if err != nil {
		return err
	}
	if action == defaultAction {
		return nil // redundant: what is not named gets it anyway
	}
	when, err := conditionsOf(rule.Args)
	if err != nil {
		return err
	}
	for _, name := range rule.Names {
		if _, ok := table.SyscallNames[name]; !ok {
			continue // not a call of this machine (chown32 on x86_64)
		}
		_, isPlain := r.plain[name]
		byArgs := r.byArgs[name]
		switch {
		case !r.has(name) && when == nil:
			r.plain[name] = action
			r.names = append(r.names, name)
		case !r.has(name):
			r.byArgs[name] = &argRule{action: action, when: slices.Clone(when)}
			r.names = append(r.names, name)
		case isPlain:
			// The first rule without args stays, whatever comes after.
		case when == nil:
			// A rule without args replaces the rules with args.
			delete(r.byArgs, name)
			r.plain[name] = action
		case byArgs.action == action:
			byArgs.when = append(byArgs.when, when...) // one more alternative
		default:
			return fmt.Errorf("%s: its rules with args have two actions, %s and %s: kobako needs one", name, describe(byArgs.action), describe(action))
		}
	}
	return nil
}

func (r *rules) has(name string) bool {
	_, plain := r.plain[name]
	_, byArgs := r.byArgs[name]
	return plain || byArgs
}

// describe names an action for an error: "errno 13", "allow".
func describe(a seccomp.Action) string {
	base := a &^ unix.SECCOMP_RET_DATA
	if data := a & unix.SECCOMP_RET_DATA; data != 0 {
		return fmt.Sprintf("%v %d", base, data)
	}
	return base.String()
}

// argPolicies are the programs that decide one call by its arguments:
// "the rules' action when they match", unless that is allow, and "the
// default when they do not", unless that is allow.
func argPolicies(name string, rule *argRule, defaultAction seccomp.Action) ([]seccomp.Policy, error) {
	var policies []seccomp.Policy
	if rule.action != seccomp.ActionAllow {
		policies = append(policies, onlyWhen(name, rule.when, rule.action))
	}
	if defaultAction != seccomp.ActionAllow {
		otherwise, err := negate(rule.when)
		if err != nil {
			return nil, err
		}
		policies = append(policies, onlyWhen(name, otherwise, defaultAction))
	}
	return policies, nil
}

// onlyWhen is a program that gives name's calls action when any of sets
// holds, and allows everything else.
func onlyWhen(name string, sets anyOf, action seccomp.Action) seccomp.Policy {
	alternatives := make([]seccomp.NameWithConditions, len(sets))
	for i, set := range sets {
		alternatives[i] = seccomp.NameWithConditions{Name: name, Conditions: set}
	}
	return seccomp.Policy{
		DefaultAction: seccomp.ActionAllow,
		Syscalls:      []seccomp.SyscallGroup{{NamesWithCondtions: alternatives, Action: action}},
	}
}

// mainPolicy decides every call by its name: one group per action, in the
// profile's order; the calls decided by their arguments are allowed here,
// their own programs decide.
//
// What is left — calls the profile does not name, calls of other ABIs
// (i386's int 0x80 on x86_64), numbers newer than go-seccomp-bpf's table —
// gets the program's default action, which go-seccomp-bpf takes only bare:
// an errno other than EPERM cannot be said there. And a default that lets
// calls through (a deny-list) would let the other ABIs through unfiltered.
// In both cases, each native call the profile does not name gets the
// default by name, and what is left fails with EPERM.
func mainPolicy(defaultAction seccomp.Action, r rules, table *arch.Info) seccomp.Policy {
	p := seccomp.Policy{DefaultAction: defaultAction}
	groupOf := map[seccomp.Action]int{}
	decide := func(name string, action seccomp.Action) {
		i, ok := groupOf[action]
		if !ok {
			i = len(p.Syscalls)
			groupOf[action] = i
			p.Syscalls = append(p.Syscalls, seccomp.SyscallGroup{Action: action})
		}
		p.Syscalls[i].Names = append(p.Syscalls[i].Names, name)
	}
	for _, name := range r.names {
		action, ok := r.plain[name]
		if !ok {
			action = seccomp.ActionAllow
		}
		decide(name, action)
	}
	switch base := defaultAction &^ unix.SECCOMP_RET_DATA; {
	case defaultAction == seccomp.ActionErrno|seccomp.Action(unix.EPERM):
		p.DefaultAction = seccomp.ActionErrno // go-seccomp-bpf adds the EPERM
	case defaultAction != base || letsThrough(base):
		for _, name := range sortedNames(table) {
			if !r.has(name) {
				decide(name, defaultAction)
			}
		}
		p.DefaultAction = seccomp.ActionErrno
	}
	if len(p.Syscalls) == 0 {
		// go-seccomp-bpf wants a group; an empty one compiles to nothing.
		p.Syscalls = []seccomp.SyscallGroup{{Action: defaultAction}}
	}
	return p
}

// letsThrough says whether a bare action may let a call run: allow, log, and
// trace (the tracer may let it run).
func letsThrough(action seccomp.Action) bool {
	return action == seccomp.ActionAllow || action == seccomp.ActionLog || action == seccomp.ActionTrace
}

func sortedNames(table *arch.Info) []string {
	names := make([]string, 0, len(table.SyscallNames))
	for name := range table.SyscallNames {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
