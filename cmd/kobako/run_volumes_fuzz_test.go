// Fuzzing -v, --tmpfs and --mount (issue 15, item 5). What they accept
// becomes a mount in the container, so for an accepted value:
//
//   - the mount lands where the value says: its destination is the
//     container path the user gave, cleaned (path.Clean), never another
//     one cut out of it;
//   - that destination is one checkTarget allows: absolute, not "/",
//     not in /proc (CVE-2019-19921);
//   - a bind is nosuid and nodev, with one propagation; its source is an
//     absolute host path, a valid volume name, or nothing (anonymous);
//   - a tmpfs starts nosuid, nodev, noexec.
//
// The container path is found again here, independently: -v's second
// field (or only one), --tmpfs's first, --mount's target=/dst=/destination=.
package main

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/kobako/kobako/container"
)

// FuzzParseVolume reads any string as -v would.
func FuzzParseVolume(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		m, err := parseVolume(v)
		if err != nil {
			return
		}
		fields := strings.Split(v, ":")
		ctr := fields[0]
		if len(fields) > 1 {
			ctr = fields[1]
		}
		checkVolumeMount(t, "-v "+v, m, ctr)
	})
}

// FuzzParseTmpfs reads any string as --tmpfs would.
func FuzzParseTmpfs(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		m, err := parseTmpfs(v)
		if err != nil {
			return
		}
		ctr, _, _ := strings.Cut(v, ":")
		checkVolumeMount(t, "--tmpfs "+v, m, ctr)
	})
}

// FuzzParseMount reads any string as --mount would.
func FuzzParseMount(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		m, err := parseMount(v)
		if err != nil {
			return
		}
		var target string
		for _, field := range strings.Split(v, ",") {
			key, value, _ := strings.Cut(field, "=")
			if mountKeys[strings.ToLower(strings.TrimSpace(key))] == "target" {
				target = value
			}
		}
		checkVolumeMount(t, "--mount "+v, m, target)
	})
}

// checkVolumeMount checks an accepted mount against the container path
// ctr that the flag's value gave.
func checkVolumeMount(t *testing.T, flag string, m volumeMount, ctr string) {
	t.Helper()
	if m.Destination != path.Clean(ctr) {
		t.Errorf("%s: mounts on %q, but the container path given is %q", flag, m.Destination, ctr)
	}
	if err := checkTarget(m.Destination); err != nil {
		t.Errorf("%s: accepted a destination checkTarget refuses: %v", flag, err)
	}
	switch m.Type {
	case "bind":
		propagations := 0
		for _, o := range m.Options {
			if slices.Contains([]string{"rprivate", "rslave", "rshared"}, o) {
				propagations++
			}
		}
		if !slices.Contains(m.Options, "nosuid") || !slices.Contains(m.Options, "nodev") || propagations != 1 {
			t.Errorf("%s: bind options %v: want nosuid, nodev and one propagation", flag, m.Options)
		}
		switch {
		case m.anonymous:
			if m.Source != "" || m.volume != "" {
				t.Errorf("%s: an anonymous volume with source %q, volume %q", flag, m.Source, m.volume)
			}
		case m.volume != "":
			if !container.ValidVolumeName(m.volume) {
				t.Errorf("%s: volume name %q is not valid", flag, m.volume)
			}
		case !path.IsAbs(m.Source):
			t.Errorf("%s: bind source %q is not an absolute path", flag, m.Source)
		}
	case "tmpfs":
		if len(m.Options) < 3 || !slices.Equal(m.Options[:3], []string{"nosuid", "nodev", "noexec"}) {
			t.Errorf("%s: tmpfs options %v: want nosuid, nodev, noexec first", flag, m.Options)
		}
	default:
		t.Errorf("%s: mount type %q", flag, m.Type)
	}
}

// The seeds: the values of run_volumes_test.go, good and bad.
var (
	volumeSeeds = []string{"/srv:/data", "/srv/:/data/:ro", "/srv:/data:rw,rslave", "/a:/b:ro:x", "a/b:/data", "x:/data",
		"/srv:data", "/srv:/", "/srv:/proc/sys", "/srv:/data:suid", "./sub:/data", "../up:/data", ".:/data", "cache:/data",
		"my.vol_1-x:/data:ro", "/data", "v1:/data:nocopy", "/srv:/proc/../data", "/srv:/data/../proc"}
	tmpfsSeeds = []string{"/tmp:size=1m,mode=1777", "tmp", "/", "/tmp:bogus", "/proc", "/run", "/run:exec,suid", "/t:size=64m:x"}
	mountSeeds = []string{"type=bind,source=/srv,target=/data", "type=bind,src=/srv,dst=/data,readonly,bind-propagation=slave",
		"type=bind,src=/srv,destination=/data,ro=true", "type=volume,src=cache,dst=/data", "src=cache,dst=/data,readonly=false",
		"type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770", "type=bind,dst=/d", "type=bind,src=rel,dst=/d", "type=volume,src=/srv,dst=/d",
		"type=tmpfs,src=x,dst=/d", "type=tmpfs,dst=/d,tmpfs-mode=rwx", "type=tmpfs,dst=/d,tmpfs-size=lots",
		"type=volume,src=vv,dst=/d,tmpfs-size=1m", "type=volume,src=vv,dst=/d,bind-propagation=x", "type=bind,src=/s,dst=/d,bind-propagation=x",
		"type=bind,src=/s,dst=/d,readonly=maybe", "type=bind,src=/s,target=/d,dst=/e", "type=bind,src=/s", "type=nfs,dst=/d",
		"type=bind,src=/s,dst=/d,consistency=cached", "type=volume,dst=/anon",
		// a colon in a value: the container path must stay what was given
		"type=bind,src=/etc,dst=/data:ro", "type=tmpfs,dst=/t:size=1g", "type=bind,src=/etc:/data,dst=ro"}
)
