package runtime

// The container's system call filter, compiled here, in the parent, and
// handed to the init as a program (BPF) it only has to install: the init
// links no compiler (cmd/kobako-init), and docker's default profile for a
// given set of capabilities is the same at every run, so its program is
// compiled once and kept in the data root (runtime/seccomp/cache.go).

import (
	"debug/elf"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/runtime/seccomp"
)

// seccompFor compiles linux.seccomp for the init, marshalled as the init
// reads it (seccomp/program); nil when the config has no filter. An
// unsupported profile is refused here, before the engine is told
// "created".
func (r *Runtime) seccompFor(linux *specs.Linux) ([]byte, error) {
	if linux == nil || linux.Seccomp == nil {
		return nil, nil
	}
	cache, version := r.SeccompCache, buildVersion()
	if version == "" {
		cache = "" // a build nobody can name could hold another compiler
	}
	p, err := seccomp.Cached(cache, version, linux.Seccomp)
	where := "compiled"
	if cache != "" {
		where = "from " + cache
	}
	r.Tracer.Step("compile the seccomp filter", "(no shell twin: BPF from the profile's rules, "+where+")",
		fmt.Sprintf("seccomp.Cached(%q, %q, %d rules)", cache, version, len(linux.Seccomp.Syscalls)), err)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, nil
	}
	return p.MarshalBinary()
}

// buildVersion names this kobako's build for the filter cache: the Go
// build ID the linker writes into every binary (`go tool buildid kobako`),
// a hash of everything the binary was built from, so a kobako built from
// other code — a new commit, or a change not committed yet — compiles
// anew. "" (no cache) when it cannot be read.
func buildVersion() string {
	exe, err := elf.Open("/proc/self/exe")
	if err != nil {
		return ""
	}
	defer exe.Close()
	note := exe.Section(".note.go.buildid")
	if note == nil {
		return ""
	}
	data, err := note.Data()
	if err != nil || len(data) <= 16 {
		return ""
	}
	// an ELF note: name size, description size, type, "Go\0\0", the ID
	return strings.TrimRight(string(data[16:]), "\x00")
}

// withoutSeccompRules is spec as the init gets it: its filter travels
// compiled (initproc.Config.Seccomp), not as rules. spec is not changed.
func withoutSeccompRules(spec *specs.Spec) *specs.Spec {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return spec
	}
	s, linux := *spec, *spec.Linux
	linux.Seccomp = nil
	s.Linux = &linux
	return &s
}
