package cgroups

// The resources the engines really send (runtime/testdata, captured on
// this machine) pass Check and Set, runc's default devices appended: docker's
// {"weight": 0} block I/O and cpu shares 0 mean "not set", as for runc.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// engineConfig reads linux of runtime/testdata/<engine>-config.json.
func engineConfig(t *testing.T, engine string) *specs.Linux {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "runtime", "testdata", engine+"-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	spec.Linux.Resources.Devices = append(spec.Linux.Resources.Devices, RuncDefaultDeviceRules()...)
	return spec.Linux
}

// What each engine's limits become in v1's files ("" = never written).
var engineV1Files = map[string]map[string]string{
	"podman":     {"memory.limit_in_bytes": "10485760", "memory.memsw.limit_in_bytes": "20971520", "pids.max": "2048"},
	"containerd": {"cpu.shares": "1024"},
	"docker":     {"cpu.shares": "", "memory.oom_control": ""},
}

func TestEngineResourcesV1(t *testing.T) {
	for engine, want := range engineV1Files {
		linux := engineConfig(t, engine)
		layout := &Layout{Mode: V1, V1: map[string]string{}}
		if err := Check(layout, linux.CgroupsPath, linux.Resources); err != nil {
			t.Errorf("%s: Check: %v", engine, err)
		}
		var files []string
		for _, f := range []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.oom_control",
			"cpu.shares", "pids.max", "devices.allow", "devices.deny"} {
			controller, _, _ := strings.Cut(f, ".")
			files = append(files, controller+linux.CgroupsPath+"/"+f)
		}
		root := fakeTree(t, files...)
		for _, c := range []string{"memory", "cpu", "pids", "devices"} {
			layout.V1[c] = filepath.Join(root, c)
		}
		m := &v1{layout: layout, path: linux.CgroupsPath}
		if err := m.Set(linux.Resources); err != nil {
			t.Errorf("%s: Set: %v", engine, err)
			continue
		}
		for file, value := range want {
			controller, _, _ := strings.Cut(file, ".")
			expectFiles(t, root, map[string]string{controller + linux.CgroupsPath + "/" + file: value})
		}
	}
}

func TestEngineResourcesV2(t *testing.T) {
	want := map[string]map[string]string{
		"podman":     {"memory.max": "10485760", "memory.swap.max": "10485760", "pids.max": "2048"},
		"containerd": {"cpu.weight": "100"},
		"docker":     {"cpu.weight": "", "io.weight": ""},
	}
	for engine, files := range want {
		linux := engineConfig(t, engine)
		if err := Check(&Layout{Mode: V2}, linux.CgroupsPath, linux.Resources); err != nil {
			t.Errorf("%s: Check: %v", engine, err)
		}
		linux.Resources.Devices = nil // a BPF program, for real cgroups only (devices_test.go)
		var entries []string
		for _, f := range []string{"memory.max", "memory.swap.max", "pids.max", "cpu.weight", "io.weight"} {
			entries = append(entries, strings.TrimPrefix(linux.CgroupsPath, "/")+"/"+f)
		}
		root := fakeTree(t, entries...)
		m := &v2{root: root, path: linux.CgroupsPath}
		if err := m.Set(linux.Resources); err != nil {
			t.Errorf("%s: Set: %v", engine, err)
			continue
		}
		for file, value := range files {
			expectFiles(t, root, map[string]string{strings.TrimPrefix(linux.CgroupsPath, "/") + "/" + file: value})
		}
	}
}

func TestUnified(t *testing.T) {
	root := fakeTree(t, "default/c1/memory.high", "default/c1/memory.max")
	m := &v2{root: root, path: "/default/c1"}
	limit := int64(100 << 20)
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit},
		Unified: map[string]string{"memory.high": "50M", "memory.max": "200M"}}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	// unified has the last word over memory.limit.
	expectFiles(t, root, map[string]string{"default/c1/memory.high": "50M", "default/c1/memory.max": "200M"})

	for _, bad := range []map[string]string{{"../x": "1"}, {"memory": "1"}, {"a/b.c": "1"}} {
		if err := Check(&Layout{Mode: V2}, "/c1", &specs.LinuxResources{Unified: bad}); err == nil {
			t.Errorf("unified %v: no error", bad)
		}
	}
	if err := Check(&Layout{Mode: V1}, "/c1", &specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}); err == nil ||
		!strings.Contains(err.Error(), "cgroup v1") {
		t.Errorf("unified on v1: %v, want an error naming cgroup v1", err)
	}
	err := m.Set(&specs.LinuxResources{Unified: map[string]string{"hugetlb.2MB.max": "0"}})
	if err == nil || !strings.Contains(err.Error(), "hugetlb controller") {
		t.Errorf("a file the cgroup lacks: %v, want an error naming its controller", err)
	}
}

func TestCheckRefuses(t *testing.T) {
	v1 := &Layout{Mode: V1}
	for _, tc := range []struct {
		path string
		r    *specs.LinuxResources
		want string
	}{
		{"default/c1", nil, "clean absolute path"},
		{"/a/../b", nil, "clean absolute path"},
		{"/c1", &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(500)}}, "blockIO"},
		{"/c1", &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "x"}}}, "devices[0]"},
	} {
		err := Check(v1, tc.path, tc.r)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%q, %+v) = %v, want an error saying %q", tc.path, tc.r, err, tc.want)
		}
	}
}

func u16(v uint16) *uint16 { return &v }
