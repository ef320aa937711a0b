package seccomp

// Installing the filter: seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)
// once per program — what bwrap --seccomp FD does with a program compiled
// beforehand. See seccomp(2).
//
// A filter belongs to a thread, and is inherited by the threads and
// children it makes and kept across execve; it can never be removed, only
// added to. Installing one needs no_new_privs (prctl(PR_SET_NO_NEW_PRIVS)),
// or else CAP_SYS_ADMIN: otherwise a filter could trick a setuid program
// into misbehaving (failing a setuid call it expects to succeed).

import (
	"errors"
	"fmt"

	seccomp "github.com/elastic/go-seccomp-bpf"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Check compiles s and throws the programs away: what Load would refuse,
// refused at create time, before the engine is told "created" (a seccomp
// agent, SCMP_ACT_NOTIFY, an unknown flag or comparison). No profile (nil)
// is no filter, which is fine.
func Check(s *specs.LinuxSeccomp) error {
	if s == nil {
		return nil
	}
	if _, err := compile(s); err != nil {
		return fmt.Errorf("seccomp: %w", err)
	}
	return nil
}

// Load compiles s and installs it on the calling thread, and on nothing
// else: the caller must be on a locked OS thread (runtime.LockOSThread)
// and execve from it, as the container's init does, right after setting
// no_new_privs. Whatever s asks that kobako cannot do — a seccomp agent,
// an unknown flag or comparison — is an error, never a weaker filter.
func Load(s *specs.LinuxSeccomp) error {
	c, err := compile(s)
	if err != nil {
		return fmt.Errorf("seccomp: %w", err)
	}
	for i, policy := range c.policies {
		// bwrap --seccomp FD: seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)
		err := seccomp.LoadFilter(seccomp.Filter{Flag: c.flags, Policy: policy})
		if errors.Is(err, unix.EACCES) {
			return fmt.Errorf("seccomp: install filter: %w: set no_new_privs first, or hold CAP_SYS_ADMIN", err)
		}
		if err != nil {
			return fmt.Errorf("seccomp: install filter %d of %d: %w", i+1, len(c.policies), err)
		}
	}
	return nil
}
