package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/runtime"
)

// Status is a container's live state, as `ps` and `inspect` show it.
type Status struct {
	State      specs.ContainerState // created, running or stopped
	Paused     bool                 // running, but frozen by kobako pause (pause.go)
	Restarting bool                 // stopped, and its monitor waits to restart it (restart.go)
	// Dead: its record was written, and the kobako making it was killed
	// before it finished (create.go); rm removes what it left.
	Dead       bool
	Pid        int               // the init's pid on the host, while it runs
	Namespaces map[string]string // "net" → "net:[4026532…]", while it runs
}

// Status asks the runtime how c is doing. A container without runtime
// state (never started, or the state went with a reboot) is stopped.
func (s *Store) Status(c *Container) (Status, error) {
	if c.Creating {
		if st, ok := s.creatingStatus(c); ok {
			return st, nil
		}
		// Made since c was read: c now holds the record as it is.
	}
	st, err := s.rt.State(c.ID)
	if errors.Is(err, runtime.ErrNotExist) {
		return Status{State: specs.StateStopped, Restarting: s.restarting(c)}, nil
	}
	if err != nil {
		return Status{}, err
	}
	out := Status{State: st.Status}
	if st.Status == runtime.StatePaused {
		// runc's fifth status; docker's words are "running" and "paused".
		out.State, out.Paused = specs.StateRunning, true
	}
	if st.Status == specs.StateStopped {
		out.Restarting = s.restarting(c)
	}
	if st.Status != specs.StateStopped {
		out.Pid = st.Pid
		out.Namespaces = namespaceInodes(st.Pid)
	}
	out.Dead = s.orphaned(c, st.Status)
	return out, nil
}

// orphaned says whether c waits for a start that will never come: created
// (or still "creating", its creator killed after the init got ready), and
// its waiting parent — the foreground run or the monitor that made it —
// gone, its lock free (restart.go). Nothing of the person's has run in
// it; rm and prune remove it without -f.
func (s *Store) orphaned(c *Container, state specs.ContainerState) bool {
	return (state == specs.StateCreated || state == specs.StateCreating) && !monitorAlive(c)
}

// errDead is the answer of every command but rm, prune and inspect to a
// dead container: half made, it has nothing to start, enter or copy.
func errDead(c *Container) error {
	return fmt.Errorf("container %s is dead: the kobako that made it was killed before it finished; remove it (kobako rm %s)", c.Name, c.Name)
}

// creatingStatus is the status of a container whose record said it was
// being made: "creating" while its maker holds its directory's lock. Once
// the lock is free the record is read again: a maker marks it made before
// it lets the lock go, so a record still marked creating is a dead one's.
// ok is false when the container was made meanwhile; c is then updated.
func (s *Store) creatingStatus(c *Container) (st Status, ok bool) {
	// flock -n -s $CONTAINER: fails while the maker holds it
	unlock, err := fileutil.FlockDir(c.Bundle, unix.LOCK_SH|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return Status{State: specs.StateCreating}, true
	}
	if err == nil {
		unlock()
	}
	if now, err := s.load(c.ID); err == nil && !now.Creating {
		c.Record = now.Record
		return Status{}, false
	}
	return Status{State: specs.StateStopped, Dead: true}, true
}

// namespaceInodes reads /proc/<pid>/ns/*: two processes share a namespace
// exactly when these links match (the article's `ls -l /proc/$$/ns`).
func namespaceInodes(pid int) map[string]string {
	dir := fmt.Sprintf("/proc/%d/ns", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	inodes := make(map[string]string, len(entries))
	for _, e := range entries {
		if link, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil {
			inodes[e.Name()] = link
		}
	}
	return inodes
}

// Describe says what ps says: "Up 3 minutes", "Exited (0) 2 seconds ago",
// "Restarting (1) 1 second ago" — and, after its monitor restarted it,
// how often: "Up 5 seconds (restarted 2 times)".
func (c *Container) Describe(st Status, now time.Time) string {
	switch c.RestartCount {
	case 0:
		return c.describe(st, now)
	case 1:
		return c.describe(st, now) + " (restarted once)"
	}
	return fmt.Sprintf("%s (restarted %d times)", c.describe(st, now), c.RestartCount)
}

func (c *Container) describe(st Status, now time.Time) string {
	switch {
	case st.Dead:
		return "Dead" // docker's word for a container half made or half removed
	case st.State == specs.StateCreating:
		return "Creating" // its maker is at it now
	case st.State == specs.StateCreated:
		return "Created"
	case st.State == specs.StateStopped && c.StartedAt == nil && c.ExitCode == nil:
		return "Created" // made, never started: kobako create, or a run killed before start
	}
	switch st.State {
	case specs.StateRunning:
		// Since this run started: a restarted container is "Up 2
		// seconds", however old it is. A record without the time (an
		// older kobako's, or one killed before it wrote it) falls back
		// on its creation.
		since := c.Created
		if c.StartedAt != nil && c.StartedAt.After(since) {
			since = *c.StartedAt
		}
		if st.Paused {
			return "Up " + humanDuration(now.Sub(since)) + " (Paused)"
		}
		return "Up " + humanDuration(now.Sub(since))
	}
	if c.ExitCode == nil {
		return "Exited (unknown)" // its waiting kobako was killed
	}
	word, oom := "Exited", ""
	if st.Restarting {
		word = "Restarting" // docker's word, with the code it exited with
	}
	if c.OOMKilled {
		oom = ", out of memory"
	}
	return fmt.Sprintf("%s (%d%s) %s ago", word, *c.ExitCode, oom, humanDuration(now.Sub(*c.FinishedAt)))
}

func humanDuration(d time.Duration) string {
	switch {
	case d < 2*time.Second:
		return "1 second"
	case d < 2*time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// CommandLine is the command as ps shows it.
func (c *Container) CommandLine() string {
	return strings.Join(c.Command, " ")
}

// DescribeAge says how long ago c was created.
func (c *Container) DescribeAge(now time.Time) string {
	return humanDuration(now.Sub(c.Created))
}

// ErrNoCgroup says a container has no cgroup to read (it is not running).
var ErrNoCgroup = errors.New("container has no cgroup")

// Stats reads a running container's cgroup.
func (s *Store) Stats(c *Container) (*cgroups.Stats, error) {
	mgr, err := s.rt.Cgroup(c.ID)
	if errors.Is(err, runtime.ErrNotExist) || err == nil && mgr == nil {
		return nil, ErrNoCgroup
	}
	if err != nil {
		return nil, err
	}
	return mgr.Stats()
}

// UpperSize is what c wrote: the bytes in its overlay's upper dir, as
// `ps -s` shows them (du -s -B1 $CONTAINER/upper).
func (s *Store) UpperSize(c *Container) (int64, error) {
	if c.Overlay == nil {
		return 0, nil
	}
	return fileutil.DiskUsage(c.Overlay.Upper)
}
