package seccomp

import (
	"slices"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
)

// Every name in the default tables is a system call of x86_64 or of
// aarch64, as go-seccomp-bpf spells it: Compile skips names a machine does
// not have, so a misspelt one would be a call silently denied.
func TestDefaultNamesExist(t *testing.T) {
	names := slices.Concat(everyday...)
	for _, u := range unlockedBy {
		names = append(names, u.syscalls...)
	}
	names = append(names, "clone", "clone3", "personality", "socket")
	for _, name := range names {
		_, x86 := arch.X86_64.SyscallNames[name]
		_, arm := arch.AARCH64.SyscallNames[name]
		if !x86 && !arm {
			t.Errorf("%s is a system call of neither x86_64 nor aarch64", name)
		}
	}
}

// The calls every program makes resolve on both machines; aarch64 has
// only the *at forms, and go-seccomp-bpf's aarch64 table spells
// newfstatat "fstatat".
func TestDefaultCoversBothMachines(t *testing.T) {
	allowed := Default(nil).Syscalls[0].Names
	for _, table := range []*arch.Info{arch.X86_64, arch.AARCH64} {
		for _, name := range []string{"read", "write", "openat", "close", "mmap", "execve", "exit_group",
			"rt_sigreturn", "futex", "getdents64", "mkdirat", "unlinkat", "wait4"} {
			if _, ok := table.SyscallNames[name]; !ok || !slices.Contains(allowed, name) {
				t.Errorf("%s: %s is not allowed by name", table.Name, name)
			}
		}
	}
	if _, ok := arch.AARCH64.SyscallNames["fstatat"]; !ok || !slices.Contains(allowed, "fstatat") {
		t.Errorf("aarch64's newfstatat (go-seccomp-bpf: fstatat) is not allowed")
	}
}

// Capabilities are resolved when the profile is made: the profile for a
// container without CAP_SYS_ADMIN has no rule that names mount.
func TestDefaultResolvesCapabilities(t *testing.T) {
	names := func(caps ...string) []string {
		var all []string
		for _, rule := range Default(caps).Syscalls {
			all = append(all, rule.Names...)
		}
		return all
	}
	without, with := names(), names("CAP_SYS_ADMIN")
	for _, name := range []string{"mount", "unshare", "setns", "bpf", "perf_event_open"} {
		if slices.Contains(without, name) {
			t.Errorf("without CAP_SYS_ADMIN the profile names %s", name)
		}
		if !slices.Contains(with, name) {
			t.Errorf("with CAP_SYS_ADMIN the profile does not name %s", name)
		}
	}
	for _, name := range []string{"keyctl", "add_key", "request_key", "kexec_load", "pivot_root", "userfaultfd", "io_uring_setup"} {
		if slices.Contains(with, name) {
			t.Errorf("the profile names %s, which no capability unlocks", name)
		}
	}
}
