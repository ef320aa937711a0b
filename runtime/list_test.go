package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root")
	r := &Runtime{Root: root}
	// No root yet: no containers, no error.
	if states, err := r.List(); err != nil || len(states) != 0 {
		t.Fatalf("List of a missing root = %v, %v", states, err)
	}
	fakeContainer(t, r, "b", 0, false)
	fakeContainer(t, r, "a", 0, false)
	// Not containers: a create under way (no state.json yet), a file,
	// a directory whose name is no id.
	for _, dir := range []string{"creating", ".hidden"} {
		if err := os.Mkdir(filepath.Join(root, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	states, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, st := range states {
		ids = append(ids, st.ID+":"+string(st.Status))
	}
	if got := strings.Join(ids, " "); got != "a:stopped b:stopped" {
		t.Errorf("List = %s, want a:stopped b:stopped", got)
	}
	// A state that cannot be read is named, and hides no other.
	if err := os.WriteFile(filepath.Join(root, "creating", stateFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	states, err = r.List()
	if len(states) != 2 || err == nil || !strings.Contains(err.Error(), "load container creating") {
		t.Errorf("List with a broken state = %d states, %v", len(states), err)
	}
}
