package runtime

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseSubIDs(t *testing.T) {
	file := strings.Join([]string{
		"learner:100000:65536",
		"kobako:2147483647:2147483648",
		"1002:300000:65536",     // by uid
		"learner:200000:0",      // no ids: skipped
		"learner:x:65536",       // not a number
		"learner:4294967295:10", // past the last id
		"learner:500000",        // too short
		"",
		"learner:600000:1000",
	}, "\n")
	for _, tc := range []struct {
		name string
		id   int
		want []IDRange
	}{
		{"learner", 1001, []IDRange{{100000, 65536}, {600000, 1000}}},
		{"kobako", -1, []IDRange{{2147483647, 2147483648}}},
		{"", 1002, []IDRange{{300000, 65536}}},
		{"nobody", -1, nil},
	} {
		got, err := parseSubIDs(strings.NewReader(file), tc.name, tc.id)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseSubIDs(%q, %d) = %v, %v; want %v", tc.name, tc.id, got, err, tc.want)
		}
	}
}

func TestRootlessMap(t *testing.T) {
	got := RootlessMap(1000, []IDRange{{100000, 65536}, {300000, 10}})
	want := []specs.LinuxIDMapping{
		{ContainerID: 0, HostID: 1000, Size: 1},
		{ContainerID: 1, HostID: 100000, Size: 65536},
		{ContainerID: 65537, HostID: 300000, Size: 10},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RootlessMap = %v, want %v", got, want)
	}
	if got := RootlessMap(1000, nil); len(got) != 1 {
		t.Errorf("RootlessMap without subordinate ids = %v, want the one line", got)
	}
}
