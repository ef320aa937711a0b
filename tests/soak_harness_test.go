package tests

// Tests of the soak's own eyes: a soak that sees no leak must be one that
// would have seen them. TestSoakHarness plants one leak of each kind the
// soak looks for — made by the test itself, in its own dirs, namespace
// and cgroup — and checks that each is reported and that the scrub then
// leaves the host as it was. The parsers are checked on their own.

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestSoakParseStat(t *testing.T) {
	for _, tc := range []struct {
		stat  string
		state byte
		ppid  int
		start uint64
		bad   bool
	}{
		{stat: "42 (sleep) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 12345 1000 10", state: 'S', ppid: 1, start: 12345},
		// comm may hold spaces and parentheses: fields count from the last ')'
		{stat: "7 (a) b) (c) Z 3 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0", state: 'Z', ppid: 3, start: 99},
		{stat: "7 (short) S 1 2", bad: true},
		{stat: "no parenthesis", bad: true},
	} {
		state, ppid, start, err := soakParseStat(tc.stat)
		if tc.bad != (err != nil) || !tc.bad && (state != tc.state || ppid != tc.ppid || start != tc.start) {
			t.Errorf("soakParseStat(%q) = %c %d %d %v", tc.stat, state, ppid, start, err)
		}
	}
}

func TestSoakParseInotify(t *testing.T) {
	event := func(wd int32, mask uint32, name string, pad int) []byte {
		b := make([]byte, unix.SizeofInotifyEvent+len(name)+pad)
		binary.NativeEndian.PutUint32(b[0:], uint32(wd))
		binary.NativeEndian.PutUint32(b[4:], mask)
		binary.NativeEndian.PutUint32(b[12:], uint32(len(name)+pad))
		copy(b[unix.SizeofInotifyEvent:], name)
		return b
	}
	buf := append(event(1, unix.IN_CREATE, "abc", 13), event(2, unix.IN_MOVED_TO, "", 0)...)
	buf = append(buf, event(3, unix.IN_CREATE, "cut", 5)[:unix.SizeofInotifyEvent+2]...) // a partial event
	got := soakParseInotify(buf)
	want := []soakInotifyEvent{{1, unix.IN_CREATE, "abc"}, {2, unix.IN_MOVED_TO, ""}}
	if !slices.Equal(got, want) {
		t.Errorf("soakParseInotify: %v, want %v", got, want)
	}
}

// The soak reports each kind of leak, and its scrub removes them.
func TestSoakHarness(t *testing.T) {
	e, ns := newBridgeEnv(t)
	s := newSoak(t, e, ns, soakConfig{n: 0, wave: 1})
	// However the test ends, nothing planted outlives it.
	t.Cleanup(func() {
		s.leaks = nil
		s.findLeaks()
		s.scrub()
	})
	id := fmt.Sprintf("%064x", time.Now().UnixNano()) // an id no kobako made
	s.plantLeaks(id)
	s.ids.stop()
	s.findLeaks()
	var kinds []string
	for _, l := range s.leaks {
		kinds = append(kinds, l.what)
	}
	for _, want := range []string{"state dir", "container dir", "name", "tmp", "cgroup", "mount", "link", "nft", "lease", "process"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("a planted %s leak was not found; found %v", want, kinds)
		}
	}
	if t.Failed() {
		t.Log(s.report(0))
	}
	s.scrub()
	s.leaks = nil
	s.findLeaks()
	if len(s.leaks) > 0 {
		t.Errorf("the scrub left %d leaks:\n%s", len(s.leaks), s.report(0))
	}
}

// plantLeaks leaves, as a killed kobako might, one of everything.
func (s *soak) plantLeaks(id string) {
	t := s.t
	for _, dir := range []string{filepath.Join(s.e.root, id), filepath.Join(s.e.dataRoot, "containers", id, "upper"), filepath.Join(s.e.dataRoot, "tmp", "half")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(id, filepath.Join(s.e.dataRoot, "names", "planted")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watch to see the planted id", func() bool { return s.ids.idOf("planted") == id })
	// A cgroup of the soak's id, in the pids hierarchy (v1) or the
	// unified one (v2); the scrub removes it, and the parent if made here.
	parent := "/sys/fs/cgroup/pids/kobako"
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		parent = "/sys/fs/cgroup/kobako"
	}
	_, err := os.Stat(parent)
	madeParent := os.IsNotExist(err)
	if err := os.MkdirAll(filepath.Join(parent, id), 0o755); err != nil {
		t.Fatal(err)
	}
	if madeParent {
		t.Cleanup(func() { os.Remove(parent) })
	}
	// A mount under the soak's dirs.
	mnt := filepath.Join(s.dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("soak", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatalf("mount tmpfs on %s: %v", mnt, err)
	}
	// A link, a table and a lease in the soak's namespace.
	s.ns.ip("link", "add", "soakleak0", "type", "veth", "peer", "name", "soakleak1")
	if out, err := s.ns.inside("nft", "add", "table", "inet", "soakleak"); err != nil {
		t.Fatalf("nft add table: %v\n%s", err, out)
	}
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.ns.stateFile(), []byte(`{"planted":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A process that claims the soak's --root, as its monitors do.
	proc := exec.Command(hostBusybox, "sh", "-c", "sleep 1000; true", "--root", s.e.root)
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	go proc.Wait() // reaped when the scrub kills it
	t.Cleanup(func() { proc.Process.Kill() })
}
