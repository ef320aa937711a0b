package chrootdemo

import (
	"slices"
	"strings"
	"testing"
)

func TestReportRoundTrip(t *testing.T) {
	for _, r := range []Report{
		{Listing: []string{"README", "bin", "image", "marker.txt"}, Marker: true, Secret: "hinoki"},
		{Listing: []string{"bin", "dev", "etc", "proc"}},
		{Marker: true},
	} {
		got := ParseReport(r.String())
		if !slices.Equal(got.Listing, r.Listing) || got.Marker != r.Marker || got.Secret != r.Secret {
			t.Errorf("ParseReport(%q) = %+v, want %+v", r.String(), got, r)
		}
	}
}

func TestParseReport(t *testing.T) {
	for _, c := range []struct {
		text string
		want Report
	}{
		// escape's whole output: the narration around the report is ignored
		{"escape: the classic chroot escape\n  $ chroot .   # …\n\nlisting: README image marker.txt\nmarker: found\nsecret: kaede\n→ outside\n",
			Report{Listing: []string{"README", "image", "marker.txt"}, Marker: true, Secret: "kaede"}},
		{"listing: bin dev\nmarker: none\n", Report{Listing: []string{"bin", "dev"}}},
		{"", Report{}},
		{"listing: \nmarker: none", Report{}},
	} {
		got := ParseReport(c.text)
		if !slices.Equal(got.Listing, c.want.Listing) || got.Marker != c.want.Marker || got.Secret != c.want.Secret {
			t.Errorf("ParseReport(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
}

// The tutorial checks the marker's line exactly: "secret: WORD".
func TestMarkerHasSecretLine(t *testing.T) {
	text := markerText("sakura")
	if !slices.Contains(strings.Split(text, "\n"), "secret: sakura") {
		t.Errorf("marker %q lacks the line %q", text, "secret: sakura")
	}
}

func TestMessagesFor(t *testing.T) {
	for locale, want := range map[string]messages{
		"ja_JP.UTF-8": japanese, "ja": japanese, "en_US.UTF-8": english, "C": english, "": english,
	} {
		if got := messagesFor(locale); got.title != want.title {
			t.Errorf("messagesFor(%q) picked %q", locale, got.title)
		}
	}
}
