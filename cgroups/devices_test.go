package cgroups

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/internal/testenv"
	"github.com/kobako/kobako/internal/trace"
)

// Rules as a config spells them; n(-1) is a number left out.
func allowRule(kind string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: true, Type: kind, Major: n(major), Minor: n(minor), Access: access}
}

func denyRule(kind string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	r := allowRule(kind, major, minor, access)
	r.Allow = false
	return r
}

func n(v int64) *int64 {
	if v == anyNumber {
		return nil
	}
	return &v
}

var denyAll = specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"}

// kobakoDefaults is runtime.DefaultDeviceRules (which imports this package).
var kobakoDefaults = []specs.LinuxDeviceCgroup{
	denyAll,
	allowRule("c", 1, 3, "rwm"), allowRule("c", 1, 5, "rwm"), allowRule("c", 1, 7, "rwm"),
	allowRule("c", 1, 8, "rwm"), allowRule("c", 1, 9, "rwm"), allowRule("c", 5, 0, "rwm"),
	allowRule("c", 5, 2, "rwm"), allowRule("c", 136, -1, "rwm"),
}

// allows is the kernel's v1 check (security/device_cgroup.c), to say what
// a filter means: under "deny everything", one exception must grant the
// whole access asked for; under "allow everything", an exception naming
// any of it refuses.
func (f *deviceFilter) allows(kind byte, major, minor int64, access string) bool {
	asked, _ := parseAccess(access)
	for _, e := range f.exceptions {
		if !e.covers(deviceRule{kind: kind, major: major, minor: minor}) {
			continue
		}
		if f.allowByDefault && e.access&asked != 0 {
			return false
		}
		if !f.allowByDefault && asked&^e.access == 0 {
			return true
		}
	}
	return f.allowByDefault
}

// query is one access and whether it must be allowed.
type query struct {
	kind         byte
	major, minor int64
	access       string
	allowed      bool
}

func TestDeviceFilter(t *testing.T) {
	for _, tc := range []struct {
		name           string
		list           []specs.LinuxDeviceCgroup
		allowByDefault bool
		exceptions     []string
		queries        []query
	}{
		{"kobako's defaults", kobakoDefaults, false,
			[]string{"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm"},
			[]query{{'c', 1, 3, "rw", true}, {'c', 1, 1, "r", false}, {'c', 1, 1, "m", false}, {'b', 8, 0, "r", false},
				{'b', 8, 0, "m", false}, {'c', 1, 3, "m", true}, {'c', 136, 5, "rw", true}, {'c', 5, 1, "w", false}, {'c', 1, 11, "w", false}}},
		// GO-2022-0396: without "deny everything" first, still an allow list.
		{"no deny-all first", []specs.LinuxDeviceCgroup{allowRule("c", 1, 3, "rwm")}, false,
			[]string{"c 1:3 rwm"}, []query{{'c', 1, 3, "rw", true}, {'c', 1, 5, "r", false}}},
		{"a later wider deny wins", []specs.LinuxDeviceCgroup{denyAll, allowRule("c", 1, 3, "rwm"), allowRule("c", 2, 3, "r"), denyRule("c", 1, -1, "rwm")}, false,
			[]string{"c 2:3 r"}, []query{{'c', 1, 3, "r", false}, {'c', 2, 3, "r", true}}},
		{"deny part of the access", []specs.LinuxDeviceCgroup{denyAll, allowRule("c", 1, 3, "rwm"), denyRule("c", 1, 3, "w")}, false,
			[]string{"c 1:3 rm"}, []query{{'c', 1, 3, "r", true}, {'c', 1, 3, "w", false}, {'c', 1, 3, "rw", false}}},
		{"same devices merge", []specs.LinuxDeviceCgroup{denyAll, allowRule("c", 1, 3, "r"), allowRule("c", 1, 3, "w")}, false,
			[]string{"c 1:3 rw"}, []query{{'c', 1, 3, "rw", true}}},
		{"allow everything, then deny", []specs.LinuxDeviceCgroup{{Allow: true}, denyRule("c", 1, 3, "w")}, true,
			[]string{"c 1:3 w"}, []query{{'c', 1, 3, "r", true}, {'c', 1, 3, "rw", false}, {'c', 1, 5, "rw", true}, {'b', 8, 0, "rw", true}}},
		{"allow everything, deny, allow again", []specs.LinuxDeviceCgroup{{Allow: true}, denyRule("c", 1, 3, "rw"), allowRule("c", 1, 3, "w")}, true,
			[]string{"c 1:3 r"}, []query{{'c', 1, 3, "w", true}, {'c', 1, 3, "r", false}}},
		{"a reset forgets what came before", []specs.LinuxDeviceCgroup{denyAll, allowRule("c", 1, 3, "rwm"), {Allow: true, Type: "a", Access: "rwm"}}, true,
			nil, []query{{'b', 8, 0, "rwm", true}}},
		{"type a without every access is both types", []specs.LinuxDeviceCgroup{denyAll, allowRule("a", -1, -1, "m")}, false,
			[]string{"b *:* m", "c *:* m"}, []query{{'b', 8, 0, "m", true}, {'b', 8, 0, "r", false}}},
		{"a deny that misses the wider rule's access", []specs.LinuxDeviceCgroup{denyAll, allowRule("c", 1, -1, "r"), denyRule("c", 1, 3, "w")}, false,
			[]string{"c 1:* r"}, []query{{'c', 1, 3, "r", true}, {'c', 1, 3, "w", false}}},
	} {
		f, err := newDeviceFilter(tc.list)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for _, e := range f.exceptions {
			got = append(got, e.String())
		}
		if f.allowByDefault != tc.allowByDefault || !slices.Equal(got, tc.exceptions) {
			t.Errorf("%s: allow by default %v, exceptions %q; want %v, %q", tc.name, f.allowByDefault, got, tc.allowByDefault, tc.exceptions)
		}
		for _, q := range tc.queries {
			if f.allows(q.kind, q.major, q.minor, q.access) != q.allowed {
				t.Errorf("%s: %c %d:%d %s allowed = %v, want %v", tc.name, q.kind, q.major, q.minor, q.access, !q.allowed, q.allowed)
			}
		}
	}
}

// What the kernel cannot do, or a config gets wrong, is refused, naming
// the entry.
func TestDeviceFilterRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		list []specs.LinuxDeviceCgroup
		want string
	}{
		{"a hole in a wider allow", []specs.LinuxDeviceCgroup{denyAll, allowRule("c", 1, -1, "rwm"), denyRule("c", 1, 3, "w")},
			"linux.resources.devices[2]: deny c 1:3 w: an earlier rule allows c 1:* rwm"},
		{"a hole in a wider deny", []specs.LinuxDeviceCgroup{{Allow: true}, denyRule("c", -1, -1, "w"), allowRule("c", 1, 3, "rw")},
			"linux.resources.devices[2]: allow c 1:3 rw: an earlier rule denies c *:* w"},
		{"rules that cross", []specs.LinuxDeviceCgroup{denyAll, allowRule("c", -1, 3, "r"), denyRule("c", 1, -1, "r")},
			"deny c 1:* r: an earlier rule allows c *:3 r"},
		{"type u", []specs.LinuxDeviceCgroup{{Allow: true, Type: "u", Access: "r"}}, `linux.resources.devices[0]: type "u"`},
		{"access x", []specs.LinuxDeviceCgroup{allowRule("c", 1, 3, "rwx")}, `access "rwx"`},
		{"negative major", []specs.LinuxDeviceCgroup{allowRule("c", -2, 3, "r")}, "major -2"},
		{"minor above 32 bits", []specs.LinuxDeviceCgroup{allowRule("c", 1, 1<<33, "r")}, "minor 8589934592"},
	} {
		_, err := newDeviceFilter(tc.list)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// v1 writes the default first, then each exception, into the files the
// default calls for; the trace shows the shell twin of each write.
func TestV1SetDevices(t *testing.T) {
	for _, tc := range []struct {
		name string
		list []specs.LinuxDeviceCgroup
		want []string
	}{
		{"deny by default", []specs.LinuxDeviceCgroup{denyAll, allowRule("c", -1, -1, "m"), allowRule("c", 1, 3, "rwm")},
			[]string{"echo a > DIR/devices.deny", "echo 'c *:* m' > DIR/devices.allow", "echo 'c 1:3 rwm' > DIR/devices.allow"}},
		{"allow by default", []specs.LinuxDeviceCgroup{{Allow: true}, denyRule("b", 8, -1, "rw")},
			[]string{"echo a > DIR/devices.allow", "echo 'b 8:* rw' > DIR/devices.deny"}},
	} {
		root := fakeTree(t, "devices/kobako/c1/devices.allow", "devices/kobako/c1/devices.deny")
		var out bytes.Buffer
		m := &v1{layout: &Layout{Mode: V1, V1: map[string]string{"devices": filepath.Join(root, "devices")}}, path: "/kobako/c1", tr: trace.New(&out)}
		if err := m.Set(&specs.LinuxResources{Devices: tc.list}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		dir := filepath.Join(root, "devices/kobako/c1")
		var got []string
		for _, m := range regexp.MustCompile(`(echo .*)  ← os\.WriteFile`).FindAllStringSubmatch(out.String(), -1) {
			got = append(got, strings.ReplaceAll(m[1], dir, "DIR"))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: writes\n%q\nwant\n%q", tc.name, got, tc.want)
		}
	}
}

func TestV1DevicesNeedTheController(t *testing.T) {
	m := &v1{layout: &Layout{Mode: V1, V1: map[string]string{}}, path: "/kobako/c1"}
	err := m.Set(&specs.LinuxResources{Devices: kobakoDefaults})
	if err == nil || !strings.Contains(err.Error(), "needs the devices controller") {
		t.Errorf("got %v, want an error naming the devices controller", err)
	}
}

// The kernel's verifier accepts the program of each kind of filter. (What
// the program lets through is the end-to-end tests' part, in the cgroup v2
// guest: the kernel cannot run a device program but on a real access.)
func TestDeviceProgramLoads(t *testing.T) {
	testenv.RequireRoot(t, "loading a BPF program needs CAP_BPF")
	for _, list := range [][]specs.LinuxDeviceCgroup{
		kobakoDefaults,
		{denyAll},
		{{Allow: true}, denyRule("c", 1, 3, "w"), denyRule("b", -1, 0, "rwm")},
		{denyAll, allowRule("c", 4294967295, 1048575, "r")},
	} {
		f, err := newDeviceFilter(list)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.CGroupDevice, Instructions: deviceProgram(f), License: "GPL"})
		if err != nil {
			t.Errorf("%v: the kernel refuses the program: %v\n%v", f.exceptions, err, deviceProgram(f))
			continue
		}
		prog.Close()
	}
}

// runc's list, appended to podman's "deny all", lets /dev/null be opened
// for reading and writing, but no disk.
func TestRuncDefaultDeviceRulesAfterDenyAll(t *testing.T) {
	list := append([]specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, RuncDefaultDeviceRules()...)
	f, err := newDeviceFilter(list)
	if err != nil {
		t.Fatal(err)
	}
	if f.allowByDefault {
		t.Fatal("deny all then runc's list: the default must stay deny")
	}
	want := []string{"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm",
		"c 1:5 rwm", "c 1:9 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm"}
	var got []string
	for _, e := range f.exceptions {
		got = append(got, e.String())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("exceptions %v, want %v", got, want)
	}
}
