package tutorial

// The learner's progress: which steps they passed, kept per user under the
// data root (tutorial/progress-UID.json), so `kobako tutorial` goes on where
// they stopped. Under sudo the user is the one who ran sudo.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// progress is what one learner has done.
type progress struct {
	Done map[string]bool `json:"done"` // step id → passed
	path string
}

// learnerUID is who is learning: $SUDO_UID under sudo, else our uid.
func learnerUID() int {
	if uid, err := strconv.Atoi(os.Getenv("SUDO_UID")); err == nil {
		return uid
	}
	return os.Getuid()
}

// loadProgress reads the learner's progress; none yet is an empty one.
func loadProgress(dataRoot string) *progress {
	p := &progress{Done: map[string]bool{}, path: filepath.Join(dataRoot, "tutorial", fmt.Sprintf("progress-%d.json", learnerUID()))}
	data, err := os.ReadFile(p.path)
	if err == nil {
		json.Unmarshal(data, p) // a damaged file is a fresh start
	}
	if p.Done == nil {
		p.Done = map[string]bool{}
	}
	return p
}

func (p *progress) markDone(id string) { p.Done[id] = true }

// save writes the progress atomically: a new file renamed over the old.
func (p *progress) save() error {
	if err := os.MkdirAll(filepath.Dir(p.path), 0o755); err != nil {
		return fmt.Errorf("save progress: %w", err)
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp := p.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("save progress: %w", err)
	}
	return os.Rename(tmp, p.path)
}

// reset forgets the learner's progress (kobako tutorial --reset).
func (p *progress) reset(s *Session) error {
	if err := os.Remove(p.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reset progress: %w", err)
	}
	s.ui.say(s.msg.get("progress.reset"))
	return nil
}

// list shows the chapters and steps, with what is done (kobako tutorial
// --list).
func (s *Session) list(chapters []Chapter, p *progress) {
	defs := course()
	for c, ch := range chapters {
		done := 0
		for _, st := range defs[c].Steps {
			if p.Done[st.ID] {
				done++
			}
		}
		mark := " "
		if done == len(defs[c].Steps) {
			mark = "✓"
		}
		s.ui.say(fmt.Sprintf("%s %d  %s  (%d/%d)", mark, c, ch.Title, done, len(defs[c].Steps)))
		for i, t := range ch.Steps {
			m := " "
			if p.Done[t.ID] {
				m = "✓"
			}
			s.ui.dim(fmt.Sprintf("    %s %d.%d %s", m, c, i+1, t.Title))
		}
	}
}
