package cgroups

import "testing"

func TestSharesToWeight(t *testing.T) {
	// Values from the conversion's own table (opencontainers/cgroups #20).
	for shares, want := range map[uint64]uint64{0: 0, 1: 1, 2: 1, 1024: 100, 262144: 10000, 300000: 10000} {
		if got := sharesToWeight(shares); got != want {
			t.Errorf("sharesToWeight(%d) = %d, want %d", shares, got, want)
		}
	}
}

func TestCPUMax(t *testing.T) {
	q, p := int64(300000), uint64(1000000)
	neg := int64(-1)
	tests := []struct {
		quota  *int64
		period *uint64
		want   string
	}{
		{&q, &p, "300000 1000000"}, {&q, nil, "300000 100000"}, {nil, &p, "max 1000000"}, {&neg, nil, "max 100000"},
	}
	for _, tt := range tests {
		if got := cpuMax(tt.quota, tt.period); got != tt.want {
			t.Errorf("cpuMax = %q, want %q", got, tt.want)
		}
	}
}
