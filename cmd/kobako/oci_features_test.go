package main

import (
	"encoding/json"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/kobako/kobako/rootfs"
	"github.com/kobako/kobako/runtime"
	"github.com/kobako/kobako/runtime/seccomp"

	"github.com/kobako/kobako/internal/testenv"
)

// Every mount option features lists is one kobako's mounts accept: on a
// bind mount, or on a tmpfs (tmpcopyup), or on a bind with a user
// namespace to map (idmap, ridmap).
func TestFeaturesMountOptionsAreAccepted(t *testing.T) {
	for _, o := range mountOptions {
		candidates := []specs.Mount{
			{Destination: "/v", Type: "bind", Source: "/tmp", Options: []string{"rbind", o}},
			{Destination: "/t", Type: "tmpfs", Source: "tmpfs", Options: []string{o}},
			{Destination: "/v", Type: "bind", Source: "/tmp", Options: []string{"bind", o},
				UIDMappings: []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}, GIDMappings: []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}},
		}
		var errs []error
		for _, m := range candidates {
			err := rootfs.CheckMounts([]specs.Mount{m})
			if err == nil {
				errs = nil
				break
			}
			errs = append(errs, err)
		}
		if errs != nil {
			t.Errorf("features lists mount option %q, which kobako refuses: %v", o, errs)
		}
	}
}

// Every seccomp action, operator and supported flag features lists is one
// the filter compiler takes.
func TestFeaturesSeccompWordsAreAccepted(t *testing.T) {
	f := kobakoFeatures()
	if f.Linux.Seccomp == nil || f.Linux.Seccomp.Enabled == nil || !*f.Linux.Seccomp.Enabled {
		testenv.Missing(t, "seccomp filters for this architecture")
	}
	s := f.Linux.Seccomp
	base := func() *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: []specs.Arch{specs.Arch(s.Archs[0])}}
	}
	for _, a := range s.Actions {
		p := base()
		p.Syscalls = []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.LinuxSeccompAction(a)}}
		if err := seccomp.Check(p); err != nil {
			t.Errorf("action %s: %v", a, err)
		}
	}
	for _, op := range s.Operators {
		p := base()
		p.Syscalls = []specs.LinuxSyscall{{Names: []string{"personality"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 8, ValueTwo: 8, Op: specs.LinuxSeccompOperator(op)}}}}
		if err := seccomp.Check(p); err != nil {
			t.Errorf("operator %s: %v", op, err)
		}
	}
	for _, flag := range s.SupportedFlags {
		p := base()
		p.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlag(flag)}
		if err := seccomp.Check(p); err != nil {
			t.Errorf("flag %s: %v", flag, err)
		}
	}
	p := base()
	p.Syscalls = []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActNotify}}
	if seccomp.Check(p) == nil {
		t.Error("SCMP_ACT_NOTIFY is accepted: list it in features")
	}
}

// The document parses as the spec's type and names what kobako ignores.
func TestFeaturesDocument(t *testing.T) {
	data, err := json.Marshal(kobakoFeatures())
	if err != nil {
		t.Fatal(err)
	}
	var f features.Features
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if f.OCIVersionMax != specs.Version || len(f.Hooks) != 6 || !slices.Contains(f.Linux.Capabilities, "CAP_SYS_ADMIN") {
		t.Errorf("features: %s", data)
	}
	if len(runtime.IgnoredFields) > 0 && f.Annotations[featureIgnoredFields] == "" {
		t.Errorf("the ignored fields are not in the annotations: %v", f.Annotations)
	}
}
