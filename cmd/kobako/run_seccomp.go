package main

// `kobako run --security-opt seccomp=…`: which system call filter the
// container gets instead of the default one (runtime/seccomp.Default).
// Shell twin: docker run --security-opt seccomp=profile.json, or
// seccomp=unconfined for none; the profile is docker's JSON format.

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/runtime/seccomp"
)

// seccompFromOption reads the VALUE of seccomp=VALUE: "unconfined" for no
// filter at all (nil), or the path of a docker seccomp profile, resolved
// for a container whose root holds capabilities.
func seccompFromOption(value string, capabilities []string) (*specs.LinuxSeccomp, error) {
	switch value {
	case "unconfined":
		return nil, nil
	case "":
		return nil, errors.New("seccomp takes unconfined or the path of a profile, like seccomp=profile.json")
	}
	// The caller's error names the flag, and so the path.
	data, err := os.ReadFile(value)
	if err != nil {
		return nil, err
	}
	s, err := seccomp.FromDockerProfile(data, capabilities)
	if err != nil {
		return nil, fmt.Errorf("docker seccomp profile: %w", err)
	}
	return s, nil
}
