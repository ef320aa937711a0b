// Package program is a seccomp filter the way the kernel takes it: classic
// BPF, struct sock_filter by struct sock_filter, ready for seccomp(2). It
// is what the container's init links to put the filter up, and all it
// links: the standard library's basics and golang.org/x/sys/unix. Turning
// a profile (OCI linux.seccomp, docker's JSON) into programs is the
// parent's work, done once per profile (package seccomp: Compile, Cached);
// the init only receives the result and installs it, so it starts without
// a BPF compiler, a system call table or a JSON reader in its binary.
//
// Shell twin: bwrap --seccomp FD, which reads a program compiled
// beforehand from a file descriptor and installs it. See seccomp(2) and
// Documentation/userspace-api/seccomp_filter.rst in the kernel.
//
// The package reads in three steps:
//
//   - program.go: what a program is, and the kernel's limits on it;
//   - marshal.go: its bytes, for the parent-to-init pipe and the cache;
//   - install.go: Install, seccomp(SECCOMP_SET_MODE_FILTER) per filter.
package program

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Program is the filters one thread installs, in order, and the flags for
// seccomp(2). The kernel runs every filter on every system call, the last
// installed first, and keeps the most restrictive answer; so the order
// matters only where a filter denies seccomp(2) itself (it must come last).
//
// A nil *Program is "no profile": Install does nothing.
type Program struct {
	// Flags are SECCOMP_FILTER_FLAG_* bits; only those in Supported.
	Flags uint
	// Filters are the programs, each a list of struct sock_filter
	// {code, jt, jf, k}: the instructions of linux/filter.h.
	Filters [][]unix.SockFilter
}

// The kernel's limits on the filters of a thread: linux/filter.h
// BPF_MAXINSNS per filter (more is EINVAL), and kernel/seccomp.c
// MAX_INSNS_PER_PATH for all of them, each filter but the newest counted
// 4 instructions more (more is ENOMEM).
const (
	BPFMaxInsns     = 4096
	MaxInsnsPerPath = (1 << 18) / 8 // 256 KiB of 8-byte struct sock_filter
)

// Supported are the flags a Program may carry: the two an OCI profile can
// ask for. The others change what seccomp(2) does or returns
// (SECCOMP_FILTER_FLAG_NEW_LISTENER returns a file descriptor for a
// seccomp agent, _TSYNC a thread id on failure), which Install does not
// handle, so a program that carries one is refused, not half-installed.
const Supported = unix.SECCOMP_FILTER_FLAG_LOG | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW

// Insns counts p's instructions as MAX_INSNS_PER_PATH counts them (0
// for nil: no program).
func (p *Program) Insns() int {
	if p == nil {
		return 0
	}
	total := 0
	for _, f := range p.Filters {
		total += len(f) + 4
	}
	return max(total-4, 0)
}

// check says why the kernel would refuse p, before any filter goes in: a
// half-installed program is worse than none, since it cannot be taken
// back.
func (p *Program) check() error {
	if p.Flags&^Supported != 0 {
		return fmt.Errorf("flags %#x: only SECCOMP_FILTER_FLAG_LOG (%#x) and _SPEC_ALLOW (%#x) are supported",
			p.Flags, unix.SECCOMP_FILTER_FLAG_LOG, unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW)
	}
	for i, f := range p.Filters {
		if len(f) == 0 {
			return fmt.Errorf("filter %d of %d is empty: the kernel takes 1 to %d instructions", i+1, len(p.Filters), BPFMaxInsns)
		}
		if len(f) > BPFMaxInsns {
			return fmt.Errorf("filter %d of %d has %d instructions: the kernel takes at most %d (BPF_MAXINSNS)",
				i+1, len(p.Filters), len(f), BPFMaxInsns)
		}
	}
	if n := p.Insns(); n > MaxInsnsPerPath {
		return fmt.Errorf("%d filters of %d instructions in all: the kernel takes at most %d on one thread (MAX_INSNS_PER_PATH)",
			len(p.Filters), n, MaxInsnsPerPath)
	}
	return nil
}

// errNil is what marshalling a nil *Program says: "no profile" has no
// bytes; the caller sends none.
var errNil = errors.New("a nil program (no profile) has no bytes: send none")
