package initproc

// The execution domain: `setarch linux32 $CMD` (or `linux32 $CMD`), so
// that `uname -m` in the container says i686 on an x86_64 host — for
// 32-bit builds that ask the machine what it is. The config's
// linux.personality; see personality(2). Flags are ignored, as runc
// ignores them (validate.go's IgnoredFields): the spec defines none.

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// personalities maps the spec's domains to personality(2)'s values
// (PER_LINUX, PER_LINUX32 in <sys/personality.h>).
var personalities = map[specs.LinuxPersonalityDomain]struct {
	value uint
	shell string
}{
	specs.PerLinux:   {0x0000, "setarch $(uname -m)"},
	specs.PerLinux32: {0x0008, "setarch linux32"},
}

// setPersonality sets the init's execution domain, which the command
// inherits through execve.
func setPersonality(linux *specs.Linux, tr *trace.Tracer) error {
	if linux == nil || linux.Personality == nil {
		return nil
	}
	p, ok := personalities[linux.Personality.Domain]
	if !ok {
		return fmt.Errorf("linux.personality.domain %q: use LINUX or LINUX32", linux.Personality.Domain)
	}
	// setarch linux32
	_, _, errno := unix.Syscall(unix.SYS_PERSONALITY, uintptr(p.value), 0, 0)
	var err error
	if errno != 0 {
		err = errno
	}
	tr.Step("set personality "+string(linux.Personality.Domain), p.shell, fmt.Sprintf("personality(%#x)", p.value), err)
	if err != nil {
		return fmt.Errorf("personality %s: %w", linux.Personality.Domain, err)
	}
	return nil
}
