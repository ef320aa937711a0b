package main

import "testing"

func TestParseSize(t *testing.T) {
	good := map[string]int64{
		"10m": 10 << 20, "10M": 10 << 20, "10000000b": 10000000, "10000000": 10000000,
		"512k": 512 << 10, "1.5g": 3 << 29, "6MiB": 6 << 20, "1 GB": 1 << 30,
	}
	for in, want := range good {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "m", "10x", "ten", "-1m", "10mm"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q): want an error", bad)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[uint64]string{10 << 20: "10.0 MiB", 9998336: "9.5 MiB", 512: "512 B", 3 << 30: "3.0 GiB"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
