package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseVolume(t *testing.T) {
	for _, tc := range []struct {
		in, dest, source, options, err string
	}{
		{in: "/srv:/data", dest: "/data", source: "/srv", options: "rbind,nosuid,nodev,rprivate"},
		{in: "/srv/:/data/:ro", dest: "/data", source: "/srv", options: "rbind,nosuid,nodev,ro,rprivate"},
		{in: "/srv:/data:rw,rslave", dest: "/data", source: "/srv", options: "rbind,nosuid,nodev,rw,rslave"},
		{in: "/srv", err: "HOST:CTR"},
		{in: "srv:/data", err: "must be absolute"},
		{in: "/srv:data", err: "must be absolute"},
		{in: "/srv:/", err: "cannot be /"},
		{in: "/srv:/proc/sys", err: "/proc"},
		{in: "/srv:/data:suid", err: `unknown option "suid"`},
		{in: "/a:/b:ro:x", err: "HOST:CTR"},
	} {
		m, err := parseVolume(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseVolume(%q): error %v, want one with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || m.Destination != tc.dest || m.Source != tc.source || m.Type != "bind" ||
			strings.Join(m.Options, ",") != tc.options {
			t.Errorf("parseVolume(%q) = %+v, %v", tc.in, m, err)
		}
	}
}

func TestParseTmpfs(t *testing.T) {
	m, err := parseTmpfs("/tmp:size=1m,mode=1777")
	want := []string{"nosuid", "nodev", "noexec", "size=1m", "mode=1777"}
	if err != nil || m.Destination != "/tmp" || m.Type != "tmpfs" || !slices.Equal(m.Options, want) {
		t.Errorf("parseTmpfs = %+v, %v; want options %v", m, err, want)
	}
	for _, bad := range []string{"tmp", "/", "/tmp:bogus", "/proc"} {
		if _, err := parseTmpfs(bad); err == nil {
			t.Errorf("parseTmpfs(%q) accepted", bad)
		}
	}
}
