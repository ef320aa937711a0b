package container

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
)

// testID is a 64-digit id made of one repeated digit.
func testID(digit string) string { return strings.Repeat(digit, 64) }

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// The sweep's pieces on a store of its own: what has no record and no
// live maker goes; records, names that lead to them, state with
// state.json and a state dir whose create holds its lock stay.
func TestSweepLeavesRecordsAndLiveCreates(t *testing.T) {
	root, dataRoot := t.TempDir(), t.TempDir()
	s := NewStore(root, dataRoot, nil)
	unrecorded, recorded, missing := testID("1"), testID("2"), testID("3")
	aborted, engine, underway := testID("4"), testID("5"), testID("6")
	mkdirs(t, filepath.Join(s.containersDir(), unrecorded, "upper"), filepath.Join(s.containersDir(), recorded), s.namesDir(),
		filepath.Join(root, aborted), filepath.Join(root, engine), filepath.Join(root, underway))
	touch(t, filepath.Join(s.containersDir(), recorded, "container.json"))
	touch(t, filepath.Join(root, aborted, "exec.fifo"))
	touch(t, filepath.Join(root, engine, "state.json"))
	for name, id := range map[string]string{"a": unrecorded, "b": recorded, "c": missing} {
		if err := os.Symlink(id, filepath.Join(s.namesDir(), name)); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := fileutil.LockDir(filepath.Join(root, underway))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	gone := map[string]bool{}
	if err := s.sweepDirs(gone); err != nil {
		t.Fatal(err)
	}
	if err := s.sweepNames(); err != nil {
		t.Fatal(err)
	}
	removed, err := s.rt.RemoveAborted()
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 1 || !gone[unrecorded] {
		t.Errorf("container dirs swept: %v, want only %s", gone, unrecorded)
	}
	if ids, _ := s.ids(); !slices.Equal(ids, []string{recorded}) {
		t.Errorf("container dirs left: %v, want %s", ids, recorded)
	}
	if names := entryNames(t, s.namesDir()); !slices.Equal(names, []string{"b"}) {
		t.Errorf("names left: %v, want [b]", names)
	}
	if !slices.Equal(removed, []string{aborted}) {
		t.Errorf("state dirs swept: %v, want %s", removed, aborted)
	}
	if left := entryNames(t, root); !slices.Equal(left, []string{engine, underway}) {
		t.Errorf("state dirs left: %v, want %s and %s", left, engine, underway)
	}
}

func entryNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// A record marked creating is being created while its maker holds its
// directory's lock, dead once the lock is free — unless the maker marked
// it made before it let go.
func TestCreatingStatus(t *testing.T) {
	s := NewStore(t.TempDir(), t.TempDir(), nil)
	id := testID("7")
	c := &Container{Bundle: filepath.Join(s.containersDir(), id), Record: Record{ID: id, Creating: true}}
	mkdirs(t, c.Bundle)
	if err := s.save(c); err != nil {
		t.Fatal(err)
	}
	unlock, err := fileutil.FlockDir(c.Bundle, unix.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := s.Status(c); err != nil || st.State != specs.StateCreating || st.Dead {
		t.Errorf("maker alive: status %+v, %v; want creating", st, err)
	}
	unlock()
	if st, err := s.Status(c); err != nil || st.State != specs.StateStopped || !st.Dead {
		t.Errorf("maker gone: status %+v, %v; want stopped and dead", st, err)
	}
	made := *c
	made.Creating = false
	if err := s.save(&made); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Status(c); err != nil || st.Dead || c.Creating {
		t.Errorf("made since it was read: status %+v, %v, creating %v; want a made container", st, err, c.Creating)
	}
}

func TestDescribeHalfMade(t *testing.T) {
	now := time.Now()
	started, code := now.Add(-time.Minute), 3
	for _, tc := range []struct {
		record Record
		st     Status
		want   string
	}{
		{Record{Creating: true}, Status{State: specs.StateStopped, Dead: true}, "Dead"},
		{Record{Creating: true}, Status{State: specs.StateCreating}, "Creating"},
		{Record{}, Status{State: specs.StateCreated}, "Created"},
		{Record{}, Status{State: specs.StateStopped}, "Created"}, // made, never started
		{Record{StartedAt: &started}, Status{State: specs.StateStopped}, "Exited (unknown)"},
		{Record{StartedAt: &started, ExitCode: &code, FinishedAt: &started}, Status{State: specs.StateStopped}, "Exited (3) 60 seconds ago"},
	} {
		c := &Container{Record: tc.record}
		if got := c.Describe(tc.st, now); got != tc.want {
			t.Errorf("Describe(%+v, %+v) = %q, want %q", tc.record, tc.st, got, tc.want)
		}
	}
}
