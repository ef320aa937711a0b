package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAppendEventRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), JournalName)
	if err := os.WriteFile(path, []byte(strings.Repeat("x", maxJournal)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := Event{Type: "container", Action: "start", Actor: Actor{ID: "abc", Attributes: map[string]string{"name": "web"}}, TimeNano: 1}
	if err := appendEvent(path, e); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path + ".1"); err != nil || st.Size() <= maxJournal {
		t.Fatalf("journal past %d bytes not rotated to .1: %v", maxJournal, err)
	}
	var got []Event
	f, err := ReadEvents(filepath.Dir(path), func(e Event) error { got = append(got, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if len(got) != 1 || got[0].Action != "start" || got[0].Actor.Attributes["name"] != "web" {
		t.Errorf("after rotation read %+v, want the one start (the x line skipped)", got)
	}
}

func TestParseEvents(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"", ""},
		{`{"Type":"container","Action":"create","timeNano":5}` + "\n", "create"},
		{"not json\n" + `{"Action":"die"}` + "\n" + `{"Action":"sto`, "die"}, // garbage and a torn line
		{`{"Action":"start"}` + "\n" + `{"Action":"stop"}`, "start stop"},
	} {
		var got []string
		if err := ParseEvents(strings.NewReader(tc.in), func(e Event) error { got = append(got, e.Action); return nil }); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("ParseEvents(%q) = %v, want %s", tc.in, got, tc.want)
		}
	}
	if got := (Event{TimeNano: 1_500_000_000}).When(); !got.Equal(time.Unix(1, 5e8)) {
		t.Errorf("When = %v", got)
	}
}
