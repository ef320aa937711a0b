package seccomp

// From policies to the program the container's init installs: each policy
// assembled to classic BPF, instruction by instruction the struct
// sock_filter {code, jt, jf, k} that seccomp(2) reads — what libseccomp's
// seccomp_export_bpf writes for bwrap --seccomp FD. go-seccomp-bpf's
// LoadFilter does the same two steps (Policy.Assemble, then
// golang.org/x/net/bpf's Assemble) right before its seccomp(2); doing them
// here, in the parent, lets the init install the result without linking
// the compiler (package program), and lets Cached keep it.

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/runtime/seccomp/program"
)

// Compile checks s and turns it into the program the container's init
// installs (program.Program.Install). Whatever s asks that kobako cannot
// do — a seccomp agent, an unknown flag or comparison, more instructions
// than the kernel takes — is an error, never a weaker filter. No profile
// (nil) is no program (nil).
func Compile(s *specs.LinuxSeccomp) (*program.Program, error) {
	if s == nil {
		return nil, nil
	}
	p, err := assemble(s)
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	return p, nil
}

// assemble is Compile without the "seccomp: " its callers add.
func assemble(s *specs.LinuxSeccomp) (*program.Program, error) {
	c, err := compile(s)
	if err != nil {
		return nil, err
	}
	p := &program.Program{Flags: uint(c.flags)}
	for i := range c.policies {
		insts, err := c.policies[i].Assemble()
		if err != nil {
			return nil, fmt.Errorf("assemble BPF: %w", err)
		}
		// seccomp(2) refuses a program of more than BPF_MAXINSNS
		// instructions (EINVAL), and more than MAX_INSNS_PER_PATH on one
		// thread (ENOMEM): count now, so that the init does not find out
		// after the engine was told "created".
		if len(insts) > program.BPFMaxInsns {
			return nil, fmt.Errorf("the rules compile to a program of %d instructions, and the kernel takes at most %d: write fewer rules with args",
				len(insts), program.BPFMaxInsns)
		}
		raw, err := bpf.Assemble(insts)
		if err != nil {
			return nil, fmt.Errorf("assemble BPF: %w", err)
		}
		p.Filters = append(p.Filters, sockFilter(raw))
	}
	if total := p.Insns(); total > program.MaxInsnsPerPath {
		return nil, fmt.Errorf("the rules compile to %d programs of %d instructions in all, and the kernel takes at most %d: write fewer rules with args",
			len(p.Filters), total, program.MaxInsnsPerPath)
	}
	return p, nil
}

// sockFilter is x/net/bpf's raw instructions as the kernel's struct
// sock_filter: the same four fields, one for one.
func sockFilter(raw []bpf.RawInstruction) []unix.SockFilter {
	filter := make([]unix.SockFilter, len(raw))
	for i, ins := range raw {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return filter
}
