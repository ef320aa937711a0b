package runtime

import (
	"strings"
	"testing"

	"github.com/kobako/kobako/runtime/initproc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidate(t *testing.T) {
	withNS := func(ns ...specs.LinuxNamespace) func(*specs.Spec) {
		return func(s *specs.Spec) { s.Linux.Namespaces = ns }
	}
	sysctl := func(key string, ns ...specs.LinuxNamespace) func(*specs.Spec) {
		return func(s *specs.Spec) {
			s.Linux.Sysctl = map[string]string{key: "1"}
			if ns != nil {
				s.Linux.Namespaces = ns
			}
		}
	}
	mount := specs.LinuxNamespace{Type: specs.MountNamespace}
	ipc := specs.LinuxNamespace{Type: specs.IPCNamespace}
	net := specs.LinuxNamespace{Type: specs.NetworkNamespace}
	seconds := func(n int) *int { return &n }
	tests := []struct {
		name   string
		change func(*specs.Spec)
		err    string // a part of the error; "" for none
	}{
		{"default spec", func(*specs.Spec) {}, ""},

		// process
		{"no process", func(s *specs.Spec) { s.Process = nil }, "no process"},
		{"no args", func(s *specs.Spec) { s.Process.Args = nil }, "process.args is empty"},
		{"relative cwd", func(s *specs.Spec) { s.Process.Cwd = "work" }, "absolute"},
		{"unknown rlimit", func(s *specs.Spec) { s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_BOGUS"}} }, "RLIMIT_BOGUS"},
		{"rlimit twice", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE"}, {Type: "RLIMIT_NOFILE"}}
		}, "twice"},
		{"oomScoreAdj out of range", func(s *specs.Spec) { s.Process.OOMScoreAdj = seconds(2000) }, "-1000 to 1000"},
		{"unknown capability", func(s *specs.Spec) { s.Process.Capabilities.Bounding = []string{"CAP_BOGUS"} }, "CAP_BOGUS"},
		{"scheduler", func(s *specs.Spec) { s.Process.Scheduler = &specs.Scheduler{Policy: "SCHED_OTHER"} }, "scheduler"},
		// refused where the host has AppArmor off (this project's machines)
		{"apparmor", func(s *specs.Spec) { s.Process.ApparmorProfile = "docker-default" }, map[bool]string{false: "AppArmor"}[initproc.AppArmorEnabled()]},
		{"selinux", func(s *specs.Spec) { s.Process.SelinuxLabel = "system_u:system_r:container_t:s0" }, "SELinux"},

		// namespaces
		{"join a network namespace", withNS(mount, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: "/run/netns/blue"}), ""},
		{"join a user namespace", withNS(mount, specs.LinuxNamespace{Type: specs.UserNamespace, Path: "/proc/1/ns/user"}), "single-threaded"},
		{"unknown namespace", withNS(mount, specs.LinuxNamespace{Type: "time"}), `"time"`},
		{"namespace twice", withNS(mount, mount), "twice"},
		{"relative namespace path", withNS(mount, specs.LinuxNamespace{Type: specs.IPCNamespace, Path: "ns/ipc"}), "absolute"},
		{"user namespace without maps", withNS(mount, specs.LinuxNamespace{Type: specs.UserNamespace}), "uidMappings"},
		{"maps without user namespace", func(s *specs.Spec) {
			withMaps(s.Linux)
		}, "need a user namespace"},
		{"hostname without uts", func(s *specs.Spec) {
			s.Hostname = "box"
			s.Linux.Namespaces = []specs.LinuxNamespace{mount}
		}, "UTS namespace"},
		{"domainname without uts", func(s *specs.Spec) {
			s.Domainname = "example"
			s.Linux.Namespaces = []specs.LinuxNamespace{mount}
		}, "UTS namespace"},
		{"no mount namespace", withNS(ipc), "mount namespace"},
		{"no linux section", func(s *specs.Spec) { s.Linux = nil }, "linux section"},
		{"join a mount namespace", withNS(specs.LinuxNamespace{Type: specs.MountNamespace, Path: "/proc/1/ns/mnt"}), ""},

		// sysctl: namespaced keys only, runc's rule
		{"ipc sysctl with ipc", sysctl("kernel.shmmax", mount, ipc), ""},
		{"mqueue sysctl with ipc", sysctl("fs.mqueue.msg_max", mount, ipc), ""},
		{"ipc sysctl without ipc", sysctl("kernel.shmmax", mount), "IPC namespace"},
		{"net sysctl with net", sysctl("net.ipv4.ip_forward", mount, net), ""},
		{"net sysctl without net", sysctl("net.ipv4.ip_forward", mount), "network namespace"},
		{"net sysctl in the host's net", sysctl("net.ipv4.ip_forward", mount,
			specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"}), "host's"},
		{"kernel.hostname", sysctl("kernel.hostname"), "hostname field"},
		{"kernel.domainname", sysctl("kernel.domainname"), "domainname field"},
		{"not namespaced", sysctl("vm.swappiness"), "not in a namespace"},

		// security, the rest of linux.*
		{"seccomp agent", func(s *specs.Spec) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock"}
		}, "listenerPath"},
		{"rootfsPropagation", func(s *specs.Spec) { s.Linux.RootfsPropagation = "rsharedd" }, "rootfsPropagation"},
		{"personality", func(s *specs.Spec) { s.Linux.Personality = &specs.LinuxPersonality{Domain: "LINUX16"} }, "LINUX32"},
		{"personality LINUX32", func(s *specs.Spec) { s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32} }, ""},
		{"intelRdt", func(s *specs.Spec) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{} }, "intelRdt"},
		{"timeOffsets", func(s *specs.Spec) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
		}, "timeOffsets"},

		// hooks and mounts
		{"hook with a relative path", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "hook.sh"}}}
		}, "hooks.prestart[0]"},
		{"hook with no time", func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/true", Timeout: seconds(0)}}}
		}, "hooks.poststop[0]"},
		{"mount with an unknown word", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: "/srv", Options: []string{"rbind", "rro-typo"}})
		}, "/data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := DefaultSpec("/rootfs", []string{"sh"})
			tt.change(spec)
			err := Validate(spec)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("Validate = %v, want an error with %q", err, tt.err)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Errorf("Validate = %q: one line, please", err)
			}
		})
	}
}
