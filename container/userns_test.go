package container

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/runtime"
)

func TestPickBlock(t *testing.T) {
	used := func(hosts ...uint32) []specs.LinuxIDMapping {
		var m []specs.LinuxIDMapping
		for _, h := range hosts {
			m = append(m, specs.LinuxIDMapping{HostID: h, Size: rangeSize})
		}
		return m
	}
	pool := []runtime.IDRange{{Start: 100000, Count: 3 * rangeSize}, {Start: 1000000, Count: rangeSize}}
	for _, tc := range []struct {
		name string
		used []specs.LinuxIDMapping
		want uint32
		ok   bool
	}{
		{"empty store", nil, 100000, true},
		{"first taken", used(100000), 100000 + rangeSize, true},
		{"a range straddling two blocks", []specs.LinuxIDMapping{{HostID: 100000 + 10, Size: rangeSize}}, 100000 + 2*rangeSize, true},
		{"first pool range full", used(100000, 100000+rangeSize, 100000+2*rangeSize), 1000000, true},
		{"all taken", used(100000, 100000+rangeSize, 100000+2*rangeSize, 1000000), 0, false},
	} {
		got, ok := pickBlock(pool, tc.used, rangeSize)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: pickBlock = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	// The default pool reaches the last id but not (uid_t)-1.
	last := defaultPool[0]
	if end := uint64(last.Start) + uint64(last.Count); end > 1<<32-1 {
		t.Errorf("the default pool ends at %d, past uid 4294967294", end-1)
	}
}
