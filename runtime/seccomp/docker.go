package seccomp

// docker's seccomp profile format, for --security-opt seccomp=FILE. Shell
// twin: docker run --security-opt seccomp=profile.json. It is the OCI
// linux.seccomp plus a little that is resolved once, for one container on
// one machine, before the runtime sees it: archMap (which architectures go
// with which machine), and per rule includes and excludes on the
// container's capabilities, the machine and the kernel's version. docker
// resolves it in github.com/moby/profiles/seccomp (seccomp_linux.go); the
// result here is the same OCI linux.seccomp.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// dockerProfile is the JSON of a docker profile. Unknown fields are
// refused: a field kobako does not know could be a restriction it would
// otherwise drop without a word.
type dockerProfile struct {
	DefaultAction    specs.LinuxSeccompAction `json:"defaultAction"`
	DefaultErrnoRet  *uint                    `json:"defaultErrnoRet"`
	Architectures    []specs.Arch             `json:"architectures"`
	ArchMap          []dockerArch             `json:"archMap"`
	Flags            []specs.LinuxSeccompFlag `json:"flags"`
	ListenerPath     string                   `json:"listenerPath"`
	ListenerMetadata string                   `json:"listenerMetadata"`
	Syscalls         []dockerRule             `json:"syscalls"`
}

// dockerArch: on a machine whose architecture is Arch, the profile covers
// SubArches too (x86_64 runs i386 and x32 programs).
type dockerArch struct {
	Arch      specs.Arch   `json:"architecture"`
	SubArches []specs.Arch `json:"subArchitectures"`
}

// dockerRule is an OCI rule that applies only if Includes all hold and no
// Excludes does. Name is the older spelling of a one-name Names.
type dockerRule struct {
	Name     string                   `json:"name"`
	Names    []string                 `json:"names"`
	Action   specs.LinuxSeccompAction `json:"action"`
	ErrnoRet *uint                    `json:"errnoRet"`
	Args     []specs.LinuxSeccompArg  `json:"args"`
	Comment  string                   `json:"comment"` // for people; ignored
	Includes *dockerFilter            `json:"includes"`
	Excludes *dockerFilter            `json:"excludes"`
}

// dockerFilter is includes' or excludes' test of the container and the
// machine: its capabilities, the machine's GOARCH name (amd64, arm64), the
// kernel's version ("4.8").
type dockerFilter struct {
	Caps      []string `json:"caps"`
	Arches    []string `json:"arches"`
	MinKernel string   `json:"minKernel"`
}

// target is what a profile is resolved for.
type target struct {
	capabilities []string // process.capabilities.bounding, like "CAP_SYS_ADMIN"
	goarch       string   // docker's arch names for amd64 and arm64 are GOARCH's
	kernel       kernelVersion
}

type kernelVersion struct{ major, minor int }

// FromDockerProfile reads a docker seccomp profile (JSON) and resolves it
// for a container whose root holds capabilities, on this machine and
// kernel, into an OCI linux.seccomp. It is compiled as Compile would
// compile it, so that what kobako cannot express is an error now, not in
// the init.
func FromDockerProfile(data []byte, capabilities []string) (*specs.LinuxSeccomp, error) {
	kernel, err := runningKernel()
	if err != nil {
		return nil, err
	}
	s, err := resolveDockerProfile(data, target{capabilities: capabilities, goarch: runtime.GOARCH, kernel: kernel})
	if err != nil {
		return nil, err
	}
	if _, err := assemble(s); err != nil {
		return nil, err
	}
	return s, nil
}

// resolveDockerProfile is FromDockerProfile for any target, without the
// check against this machine.
func resolveDockerProfile(data []byte, t target) (*specs.LinuxSeccomp, error) {
	var p dockerProfile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("read JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("read JSON: more after the profile's closing brace")
	}
	if p.DefaultAction == "" {
		return nil, errors.New("no defaultAction (to run without a filter, use seccomp=unconfined)")
	}
	if len(p.Architectures) > 0 && len(p.ArchMap) > 0 {
		return nil, errors.New("both architectures and archMap: use one")
	}
	s := &specs.LinuxSeccomp{
		DefaultAction: p.DefaultAction, DefaultErrnoRet: p.DefaultErrnoRet, Architectures: p.Architectures,
		Flags: p.Flags, ListenerPath: p.ListenerPath, ListenerMetadata: p.ListenerMetadata,
	}
	for _, a := range p.ArchMap {
		if a.Arch == scmpArch[t.goarch] {
			s.Architectures = append([]specs.Arch{a.Arch}, a.SubArches...)
		}
	}
	for i, rule := range p.Syscalls {
		names := rule.Names
		if rule.Name != "" {
			if len(names) > 0 {
				return nil, fmt.Errorf("syscalls[%d]: both name and names: use one", i)
			}
			names = []string{rule.Name}
		}
		applies, err := t.applies(rule)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d] (%v): %w", i, names, err)
		}
		if applies {
			s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: names, Action: rule.Action, ErrnoRet: rule.ErrnoRet, Args: rule.Args})
		}
	}
	return s, nil
}

// applies says whether a rule is for t: every test of includes passes
// (all its caps held, one of its arches, at least its kernel) and no test
// of excludes does (any of its caps held, one of its arches, at least its
// kernel).
func (t target) applies(rule dockerRule) (bool, error) {
	if in := rule.Includes; in != nil {
		newEnough, err := t.kernelAtLeast(in.MinKernel, true)
		if err != nil {
			return false, fmt.Errorf("includes: %w", err)
		}
		allCaps := !slices.ContainsFunc(in.Caps, func(c string) bool { return !slices.Contains(t.capabilities, c) })
		if !allCaps || !newEnough || (len(in.Arches) > 0 && !slices.Contains(in.Arches, t.goarch)) {
			return false, nil
		}
	}
	if ex := rule.Excludes; ex != nil {
		newEnough, err := t.kernelAtLeast(ex.MinKernel, false)
		if err != nil {
			return false, fmt.Errorf("excludes: %w", err)
		}
		anyCap := slices.ContainsFunc(ex.Caps, func(c string) bool { return slices.Contains(t.capabilities, c) })
		if anyCap || newEnough || slices.Contains(ex.Arches, t.goarch) {
			return false, nil
		}
	}
	return true, nil
}

// kernelAtLeast compares t's kernel with a minKernel ("4.8"); an absent
// one is answered with ifAbsent.
func (t target) kernelAtLeast(minKernel string, ifAbsent bool) (bool, error) {
	if minKernel == "" {
		return ifAbsent, nil
	}
	var want kernelVersion
	if _, err := fmt.Sscanf(minKernel, "%d.%d", &want.major, &want.minor); err != nil {
		return false, fmt.Errorf("minKernel %q: want MAJOR.MINOR, like 4.8", minKernel)
	}
	have := t.kernel
	return have.major > want.major || have.major == want.major && have.minor >= want.minor, nil
}

// runningKernel is the running kernel's version: uname -r.
func runningKernel() (kernelVersion, error) {
	var u unix.Utsname
	// uname -r
	if err := unix.Uname(&u); err != nil {
		return kernelVersion{}, fmt.Errorf("uname: %w", err)
	}
	release := unix.ByteSliceToString(u.Release[:])
	var v kernelVersion
	if _, err := fmt.Sscanf(release, "%d.%d", &v.major, &v.minor); err != nil {
		return kernelVersion{}, fmt.Errorf("kernel release %q: not MAJOR.MINOR…", release)
	}
	return v, nil
}
