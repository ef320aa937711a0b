package main

import (
	"os"
	"path/filepath"
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
		{in: "/a:/b:ro:x", err: "SRC:CTR"},
		{in: "a/b:/data", err: "neither a volume name nor a host path"},
		{in: "x:/data", err: "neither a volume name"}, // docker's names have two characters at least
		{in: "/srv:data", err: "must be absolute"},
		{in: "/srv:/", err: "cannot be /"},
		{in: "/srv:/proc/sys", err: "/proc"},
		{in: "/srv:/data:suid", err: `unknown option "suid"`},
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

// -v's source: a path (absolute, or ./ relative to here), a volume's
// name, or nothing (an anonymous volume).
func TestVolumeSource(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in, volume, source string
		anonymous          bool
	}{
		{in: "/srv:/data", source: "/srv"},
		{in: "./sub:/data", source: filepath.Join(wd, "sub")},
		{in: "../up:/data", source: filepath.Join(filepath.Dir(wd), "up")},
		{in: ".:/data", source: wd},
		{in: "cache:/data", volume: "cache"},
		{in: "my.vol_1-x:/data:ro", volume: "my.vol_1-x"},
		{in: "/data", anonymous: true},
	} {
		m, err := parseVolume(tc.in)
		if err != nil || m.volume != tc.volume || m.Source != tc.source || m.anonymous != tc.anonymous || m.Destination != "/data" {
			t.Errorf("parseVolume(%q) = %+v, %v", tc.in, m, err)
		}
	}
	if m, _ := parseVolume("v1:/data:nocopy"); !m.noCopy {
		t.Errorf("nocopy not read")
	}
}

// --mount: docker's keys and aliases, mapped onto -v's and --tmpfs's mounts.
func TestParseMount(t *testing.T) {
	for _, tc := range []struct {
		in, typ, source, volume, dest, options string
	}{
		{in: "type=bind,source=/srv,target=/data", typ: "bind", source: "/srv", dest: "/data", options: "rbind,nosuid,nodev,rprivate"},
		{in: "type=bind,src=/srv,dst=/data,readonly,bind-propagation=slave", typ: "bind", source: "/srv", dest: "/data", options: "rbind,nosuid,nodev,ro,rslave"},
		{in: "type=bind,src=/srv,destination=/data,ro=true", typ: "bind", source: "/srv", dest: "/data", options: "rbind,nosuid,nodev,ro,rprivate"},
		{in: "type=volume,src=cache,dst=/data", typ: "bind", volume: "cache", dest: "/data", options: "rbind,nosuid,nodev,rprivate"},
		{in: "src=cache,dst=/data,readonly=false", typ: "bind", volume: "cache", dest: "/data", options: "rbind,nosuid,nodev,rprivate"},
		{in: "type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770", typ: "tmpfs", source: "tmpfs", dest: "/t", options: "nosuid,nodev,noexec,size=67108864,mode=1770"},
	} {
		m, err := parseMount(tc.in)
		if err != nil || m.Type != tc.typ || m.Source != tc.source || m.volume != tc.volume || m.Destination != tc.dest ||
			strings.Join(m.Options, ",") != tc.options {
			t.Errorf("parseMount(%q) = %+v, %v", tc.in, m, err)
		}
	}
	if m, err := parseMount("type=bind,src=/srv,dst=/d"); err != nil || m.mkdir {
		t.Errorf("--mount type=bind would make a missing source (docker's does not): %+v, %v", m, err)
	}
	for in, want := range map[string]string{
		"type=bind,dst=/d":                             "needs source",
		"type=bind,src=rel,dst=/d":                     "must be a host path",
		"type=volume,src=/srv,dst=/d":                  "give a volume name",
		"type=tmpfs,src=x,dst=/d":                      "takes no source",
		"type=tmpfs,dst=/d,tmpfs-mode=rwx":             "octal",
		"type=tmpfs,dst=/d,tmpfs-size=lots":            "tmpfs-size",
		"type=volume,src=vv,dst=/d,tmpfs-size=1m":      "needs type=tmpfs",
		"type=volume,src=vv,dst=/d,bind-propagation=x": "needs type=bind",
		"type=bind,src=/s,dst=/d,bind-propagation=x":   "bind-propagation",
		"type=bind,src=/s,dst=/d,readonly=maybe":       "true or false",
		"type=bind,src=/s,target=/d,dst=/e":            "given twice",
		"type=bind,src=/s":                             "give target",
		"type=nfs,dst=/d":                              "give bind, volume or tmpfs",
		"type=bind,src=/s,dst=/d,consistency=cached":   "unknown key",
	} {
		if _, err := parseMount(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseMount(%q): error %v, want one with %q", in, err, want)
		}
	}
}
