package cgroups

import (
	"strings"
	"testing"
)

func TestSystemdPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"system.slice:docker:abc", "/system.slice/docker-abc.scope"},
		{":docker:abc", "/system.slice/docker-abc.scope"},
		{"machine.slice:libpod:abc", "/machine.slice/libpod-abc.scope"},
		{"machine-foo.slice:libpod:abc", "/machine.slice/machine-foo.slice/libpod-abc.scope"},
		{"kubepods-besteffort-pod12.slice:cri-containerd:abc",
			"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/cri-containerd-abc.scope"},
		{"-.slice:runc:abc", "/runc-abc.scope"},
		{"system.slice::sub.slice", "/system.slice/sub.slice"},
	} {
		got, err := SystemdPath(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("SystemdPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if err == nil && checkPath(got) != nil {
			t.Errorf("SystemdPath(%q) = %q, which New would refuse", tc.in, got)
		}
	}
}

func TestSystemdPathMalformed(t *testing.T) {
	for _, in := range []string{
		"", "/docker/abc", "system.slice:docker", "a:b:c:d",
		"system:docker:abc", ".slice:docker:abc", "a/b.slice:docker:abc",
		"-a.slice:docker:abc", "a--b.slice:docker:abc", "a-.slice:docker:abc",
		"system.slice:docker:", "system.slice:docker:a/../../etc", "system.slice::abc", "system.slice:a/b:abc",
	} {
		_, err := SystemdPath(in)
		if err == nil {
			t.Errorf("SystemdPath(%q): no error", in)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "cgroupsPath") {
			t.Errorf("SystemdPath(%q): %q, want one line naming cgroupsPath", in, msg)
		}
	}
}
