package main

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// docker's rules for --cap-add and --cap-drop, over a small default list
// and a kobako that holds everything but CAP_SYS_RESOURCE.
func TestTweakCapabilities(t *testing.T) {
	defaults := []string{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_CHROOT"}
	held := []string{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_CHROOT", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"}
	for _, tc := range []struct {
		add, drop, want []string
	}{
		{nil, nil, defaults},
		{[]string{"net_admin"}, nil, []string{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_CHROOT", "CAP_NET_ADMIN"}},
		{[]string{"CAP_KILL"}, nil, defaults}, // already there: not twice
		{nil, []string{"sys_chroot"}, []string{"CAP_CHOWN", "CAP_KILL"}},
		{nil, []string{"all"}, nil},
		{[]string{"Chown"}, []string{"ALL"}, []string{"CAP_CHOWN"}},
		{[]string{"ALL"}, []string{"SYS_ADMIN"}, []string{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_CHROOT", "CAP_NET_ADMIN"}},
	} {
		got, err := tweakCapabilities(defaults, tc.add, tc.drop, held)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("add %v drop %v: %v, %v; want %v", tc.add, tc.drop, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		add, drop []string
		want      string
	}{
		{[]string{"NOPE"}, nil, "--cap-add NOPE: no such capability"},
		{nil, []string{"CAP_"}, "--cap-drop CAP_: no such capability"},
		{[]string{"SYS_RESOURCE"}, nil, "--cap-add SYS_RESOURCE: kobako does not hold it"},
	} {
		if _, err := tweakCapabilities(defaults, tc.add, tc.drop, held); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("add %v drop %v: error %v, want %q", tc.add, tc.drop, err, tc.want)
		}
	}
}

func TestApplySecurityOpt(t *testing.T) {
	for opt, want := range map[string]bool{
		"no-new-privileges": true, "no-new-privileges=true": true, "no-new-privileges:true": true,
		"no-new-privileges=false": false, "no-new-privileges:false": false, "no-new-privileges=0": false,
	} {
		spec := &specs.Spec{Process: &specs.Process{NoNewPrivileges: !want}}
		if err := applySecurityOpt(opt, spec); err != nil || spec.Process.NoNewPrivileges != want {
			t.Errorf("--security-opt %s: no_new_privs %t, %v; want %t", opt, spec.Process.NoNewPrivileges, err, want)
		}
	}
	for _, opt := range []string{"no-new-privileges=maybe", "seccomp=", "seccomp=/no/such/profile.json", "apparmor:x", "", "no_new_privileges"} {
		if err := applySecurityOpt(opt, &specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{}}); err == nil {
			t.Errorf("--security-opt %q: no error", opt)
		}
	}
	spec := &specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{Seccomp: &specs.LinuxSeccomp{}}}
	if err := applySecurityOpt("seccomp:unconfined", spec); err != nil || spec.Linux.Seccomp != nil {
		t.Errorf("--security-opt seccomp:unconfined: filter %v, %v; want none", spec.Linux.Seccomp, err)
	}
}
