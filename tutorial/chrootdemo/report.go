package chrootdemo

// The escape report: what the climb reached, in a few "key: value" lines
// that escape prints and leaves in /tmp/escape.txt for the tutorial.
//
//	listing: README bin image marker.txt
//	marker: found
//	secret: WORD
//
// or, where the climb stopped at a container's own root:
//
//	listing: bin dev etc proc tmp usr
//	marker: none

import (
	"fmt"
	"strings"
)

// reportName is the report's file in /tmp; maxReport bounds what the
// tutorial reads of it.
const (
	reportName = "escape.txt"
	maxReport  = 64 << 10
)

// secretPrefix starts the marker's line with the secret word, and the
// report's.
const secretPrefix = "secret: "

// Report is what one climb reached.
type Report struct {
	Listing []string // the names in "/" after the climb
	Marker  bool     // whether /marker.txt was there
	Secret  string   // the word on its "secret: " line
}

// String is the report as escape writes it.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "listing: %s\n", strings.Join(r.Listing, " "))
	if !r.Marker {
		b.WriteString("marker: none\n")
		return b.String()
	}
	b.WriteString("marker: found\n")
	if r.Secret != "" {
		b.WriteString(secretPrefix + r.Secret + "\n")
	}
	return b.String()
}

// ParseReport reads a report back (Result.Report, or /tmp/escape.txt
// copied out of a kobako container). Lines it does not know are ignored,
// so the narration around a report may come along.
func ParseReport(text string) Report {
	var r Report
	for _, line := range strings.Split(text, "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if !ok {
			continue
		}
		switch key {
		case "listing":
			r.Listing = strings.Fields(value)
		case "marker":
			r.Marker = value == "found"
		case "secret":
			r.Secret = value
		}
	}
	return r
}
