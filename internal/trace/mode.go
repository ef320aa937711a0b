package trace

// --trace's argument: nothing (the narration), or a mode.

import "fmt"

// ParseMode reads the MODE of --trace=MODE: "all" (skipped steps too, and
// each step's whole Go call).
func ParseMode(s string) (Mode, error) {
	switch s {
	case "all":
		return Mode{All: true}, nil
	}
	return Mode{}, fmt.Errorf("want --trace or --trace=all, not --trace=%s", s)
}

// String is the MODE that ParseMode reads back, "" for the narration alone.
func (m Mode) String() string {
	if m.All {
		return "all"
	}
	return ""
}
