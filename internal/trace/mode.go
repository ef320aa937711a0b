package trace

// --trace's argument: nothing (the narration), or a mode.

import "fmt"

// ParseMode reads the MODE of --trace=MODE: "all" (skipped steps too, and
// each step's whole Go call) or "time" (no narration: the table of where
// the run's milliseconds went, at the end).
func ParseMode(s string) (Mode, error) {
	switch s {
	case "all":
		return Mode{All: true}, nil
	case "time":
		return Mode{Time: true}, nil
	}
	return Mode{}, fmt.Errorf("want --trace, --trace=all or --trace=time, not --trace=%s", s)
}

// String is the MODE that ParseMode reads back, "" for the narration alone.
func (m Mode) String() string {
	switch {
	case m.Time:
		return "time"
	case m.All:
		return "all"
	}
	return ""
}
