package seccomp

// Checking a profile without keeping its program: what an engine's
// profile would be refused for (the tests of `kobako features` ask it).
// kobako itself compiles each profile once, at create (runtime/seccomp.go),
// and the container's init installs that program (program.Install).

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Check compiles s and throws the program away: what Compile refuses,
// refused at create time (a seccomp agent, SCMP_ACT_NOTIFY, an unknown
// flag or comparison, too many instructions). No profile (nil) is no
// filter, which is fine.
func Check(s *specs.LinuxSeccomp) error {
	_, err := Compile(s)
	return err
}
