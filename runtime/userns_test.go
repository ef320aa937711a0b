package runtime

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestFormatIDMap(t *testing.T) {
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}}
	if got, want := formatIDMap(m), "0 1000 1\n1 100000 65536\n"; got != want {
		t.Errorf("formatIDMap = %q, want %q", got, want)
	}
}

func TestMayWriteMapDirectly(t *testing.T) {
	one := func(host, size uint32) []specs.LinuxIDMapping {
		return []specs.LinuxIDMapping{{ContainerID: 0, HostID: host, Size: size}}
	}
	for _, tc := range []struct {
		name  string
		m     []specs.LinuxIDMapping
		ownID int
		want  bool
	}{
		{"root, any range", one(100000, 65536), 0, true},
		{"a user, its own id", one(1000, 1), 1000, true},
		{"a user, another id", one(1001, 1), 1000, false},
		{"a user, a range", one(1000, 2), 1000, false},
		{"a user, two lines", append(one(1000, 1), specs.LinuxIDMapping{ContainerID: 1, HostID: 100000, Size: 65536}), 1000, false},
	} {
		if got := mayWriteMapDirectly(tc.m, tc.ownID); got != tc.want {
			t.Errorf("%s: mayWriteMapDirectly = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNamespaceRoot(t *testing.T) {
	rootless := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}}
	linux := &specs.Linux{
		Namespaces:  []specs.LinuxNamespace{{Type: specs.UserNamespace}},
		UIDMappings: rootless,
		GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 2000, Size: 1}},
	}
	if uid, gid, ok := NamespaceRoot(linux); !ok || uid != 1000 || gid != 2000 {
		t.Errorf("NamespaceRoot = %d, %d, %v; want 1000, 2000, true", uid, gid, ok)
	}
	if _, _, ok := NamespaceRoot(&specs.Linux{UIDMappings: rootless, GIDMappings: rootless}); ok {
		t.Error("NamespaceRoot of a spec without a user namespace: ok")
	}
	for _, tc := range []struct {
		id   uint32
		want int
		ok   bool
	}{{0, 1000, true}, {1, 100000, true}, {65536, 165535, true}, {65537, 0, false}} {
		if got, ok := HostID(rootless, tc.id); got != tc.want || ok != tc.ok {
			t.Errorf("HostID(%d) = %d, %v; want %d, %v", tc.id, got, ok, tc.want, tc.ok)
		}
	}
}
