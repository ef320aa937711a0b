package runtime

// The container's system call filter, compiled here, in the parent, and
// handed to the init as a program (BPF) it only has to install: the init
// links no compiler (cmd/kobako-init), and docker's default profile for a
// given set of capabilities is the same at every run, so its program is
// compiled once and kept in the data root (runtime/seccomp/cache.go).

import (
	"fmt"
	"runtime/debug"

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

// buildVersion names this kobako's build for the filter cache: the commit
// it was built from. A build from a modified tree, or one without version
// control information, has no name, and compiles every time.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision == "" || modified != "false" {
		return ""
	}
	return revision
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
