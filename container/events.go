// Events: what happened to containers, one JSON line per lifecycle point,
// appended to <data-root>/events.jsonl — docker's `docker events`, which
// dockerd keeps in memory; kobako has no daemon, so the journal is a file
// that every kobako process (run, stop, a container's monitor…) appends to.
//
// Shell twin, for one event:
//
//	echo '{"Type":"container","Action":"start",…}' >> /var/lib/kobako/events.jsonl
//
// Why whole lines never mix: a file opened with O_APPEND moves to its end
// and writes in one step for each write(2) (see open(2), O_APPEND), so two
// kobakos that each write a line in one call interleave whole lines. The
// journal is bounded: past maxJournal bytes it becomes events.jsonl.1 (the
// one before goes), as logrotate would do it with `mv`.
package container

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// JournalName is the events journal's file, under --data-root.
const JournalName = "events.jsonl"

// maxJournal is the size past which the journal is rotated.
const maxJournal = 1 << 20

// Event is one line of the journal, in docker's shape (docker events
// --format json prints the same fields).
type Event struct {
	Type     string `json:"Type"`   // "container"
	Action   string `json:"Action"` // create, start, die, stop, kill…
	Actor    Actor  `json:"Actor"`
	Time     int64  `json:"time"`     // seconds since 1970
	TimeNano int64  `json:"timeNano"` // the same, in nanoseconds
}

// Actor is what the event happened to: its id, and its image and name
// with whatever the action adds (exitCode, signal, oldName…).
type Actor struct {
	ID         string            `json:"ID"`
	Attributes map[string]string `json:"Attributes"`
}

// When is the event's time.
func (e Event) When() time.Time { return time.Unix(0, e.TimeNano).UTC() }

// JournalPath is the journal of the store at dataRoot.
func JournalPath(dataRoot string) string { return filepath.Join(dataRoot, JournalName) }

// event appends what happened to c. It never fails the operation it
// records: a journal that cannot be written costs a trace line, nothing
// more.
func (s *Store) event(c *Container, action string, attrs map[string]string) {
	a := map[string]string{"image": c.Image, "name": c.Name}
	for k, v := range attrs {
		a[k] = v
	}
	now := time.Now()
	e := Event{Type: "container", Action: action, Actor: Actor{ID: c.ID, Attributes: a}, Time: now.Unix(), TimeNano: now.UnixNano()}
	// Only a failure is narrated: an event is a side note of the step
	// that makes it, not a step of its own.
	if err := appendEvent(JournalPath(s.dataRoot), e); err != nil {
		s.tracer.Step("record event "+action, "echo {…} >> "+JournalPath(s.dataRoot), "write(O_APPEND)", err)
	}
}

// appendEvent writes e as one line at the end of the journal at path,
// rotating the journal first if it has grown past maxJournal.
func appendEvent(path string, e Event) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if st, err := f.Stat(); err == nil && st.Size() >= maxJournal {
		// mv events.jsonl events.jsonl.1 — only if path is still the file
		// we opened: another kobako may have rotated it a moment ago.
		if now, err := os.Lstat(path); err == nil && os.SameFile(st, now) {
			os.Rename(path, path+".1")
		}
		f.Close()
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
	}
	defer f.Close()
	// one write(2) for the whole line: see the header
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ParseEvents reads journal lines from r and hands each event to fn, in
// order. A line that is not an event (a torn last line of a full disk) is
// skipped: the journal is a record, not a contract.
func ParseEvents(r io.Reader, fn func(Event) error) error {
	// bufio.Reader, not a Scanner: a line of any length is read (and
	// skipped if it is not an event) — the journal's size bounds it.
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		var e Event
		if len(line) > 0 && json.Unmarshal(line, &e) == nil && e.Action != "" {
			if err := fn(e); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// ReadEvents reads the journal of dataRoot, the rotated part first, and
// hands each event to fn. It returns the journal it read to its end, open
// at that end, for FollowEvents (nil if there was none yet).
func ReadEvents(dataRoot string, fn func(Event) error) (*os.File, error) {
	path := JournalPath(dataRoot)
	if old, err := os.Open(path + ".1"); err == nil {
		err = ParseEvents(old, fn)
		old.Close()
		if err != nil {
			return nil, err
		}
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := ParseEvents(f, fn); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// FollowEvents is tail -F of the journal: it polls f (from ReadEvents, or
// nil) every interval and hands each new event to fn, until fn or stop
// says so. When the journal is rotated it reads the old file to its end,
// then the new one from its start.
func FollowEvents(dataRoot string, f *os.File, interval time.Duration, stop <-chan struct{}, fn func(Event) error) error {
	path := JournalPath(dataRoot)
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	var partial []byte // a line whose end is not written yet
	for {
		if f != nil {
			data, err := io.ReadAll(f)
			if err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			partial = append(partial, data...)
			if i := bytes.LastIndexByte(partial, '\n'); i >= 0 {
				if err := ParseEvents(bytes.NewReader(partial[:i+1]), fn); err != nil {
					return err
				}
				partial = append([]byte(nil), partial[i+1:]...)
			}
		}
		// rotated, or made: go on with the file that is there now
		if now, err := os.Stat(path); err == nil {
			if cur, err := statOf(f); err != nil || !os.SameFile(cur, now) {
				if f != nil {
					f.Close()
				}
				if f, err = os.Open(path); err != nil {
					f = nil
				}
				partial = nil
				continue
			}
		}
		select {
		case <-stop:
			return nil
		case <-time.After(interval):
		}
	}
}

// statOf is f's stat, or an error for no file.
func statOf(f *os.File) (os.FileInfo, error) {
	if f == nil {
		return nil, os.ErrNotExist
	}
	return f.Stat()
}
