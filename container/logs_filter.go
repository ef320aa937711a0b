package container

// `kobako logs --since/--until`: which lines of the log to show, by the
// time each was written. The times are docker's forms: a point in time
// (RFC 3339, a date, or seconds since the epoch) or a duration back from
// now ("10m": the last ten minutes).
//
// Shell twin: awk -v since=2026-11-25T20:57:46Z '$1 >= since' container.log

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// logTimeLayouts are the points in time docker's logs accepts. A time
// without a zone is local, as docker reads it.
var logTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02Z07:00",
	"2006-01-02",
}

// ParseLogTime reads the value of --since or --until, relative to now.
// flag names the flag for the message.
func ParseLogTime(flag, value string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(value); err == nil {
		return now.Add(-d), nil // 10m: ten minutes ago; -10m would be ahead
	}
	if secs, frac, ok := unixTime(value); ok {
		return time.Unix(secs, frac), nil
	}
	for _, layout := range logTimeLayouts {
		if t, err := time.ParseInLocation(layout, value, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: give a time like 2026-11-25T20:57:46Z or 2026-11-25, seconds since 1970, or a duration back from now like 10m or 1h30m", flag, value)
}

// unixTime reads docker's "1136073600" or "1136073600.000000001".
func unixTime(value string) (secs, nanos int64, ok bool) {
	whole, frac, hasFrac := strings.Cut(value, ".")
	secs, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || whole == "" || whole[0] == '-' || whole[0] == '+' {
		return 0, 0, false
	}
	if !hasFrac {
		return secs, 0, true
	}
	if frac == "" || len(frac) > 9 {
		return 0, 0, false
	}
	nanos, err = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	return secs, nanos, err == nil
}

// within keeps the lines written between since and until (either zero:
// no bound). A line's time is when its first part was written.
func within(lines []logRecord, since, until time.Time) []logRecord {
	if since.IsZero() && until.IsZero() {
		return lines
	}
	var kept []logRecord
	for _, l := range lines {
		t, err := time.Parse(logTimeFormat, l.Time)
		if err != nil {
			continue // not a time kobako wrote: no way to place it
		}
		if !since.IsZero() && t.Before(since) || !until.IsZero() && t.After(until) {
			continue
		}
		kept = append(kept, l)
	}
	return kept
}
