package container

import (
	"testing"
	"time"
)

func TestParseLogTime(t *testing.T) {
	now := time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"10m", now.Add(-10 * time.Minute)},
		{"1h30m", now.Add(-90 * time.Minute)},
		{"2026-11-25T20:57:46Z", time.Date(2026, 11, 25, 20, 57, 46, 0, time.UTC)},
		{"2026-11-25T20:57:46.5+09:00", time.Date(2026, 11, 25, 11, 57, 46, 5e8, time.UTC)},
		{"2026-11-25", time.Date(2026, 11, 25, 0, 0, 0, 0, time.Local)},
		{"1136073600", time.Unix(1136073600, 0)},
		{"1136073600.5", time.Unix(1136073600, 5e8)},
	} {
		got, err := ParseLogTime("--since", tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseLogTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5", "2026-13-01", "1.2.3"} {
		if _, err := ParseLogTime("--since", bad, now); err == nil {
			t.Errorf("ParseLogTime(%q) accepted", bad)
		}
	}
}

func TestWithin(t *testing.T) {
	at := func(s string) logRecord { return logRecord{Time: s, Stream: "stdout"} }
	lines := []logRecord{at("2026-11-25T20:00:00.000000000Z"), at("2026-11-25T20:30:00.000000000Z"), at("2026-11-25T21:00:00.000000000Z")}
	since := time.Date(2026, 11, 25, 20, 15, 0, 0, time.UTC)
	until := time.Date(2026, 11, 25, 20, 45, 0, 0, time.UTC)
	if got := within(lines, since, until); len(got) != 1 || got[0].Time != lines[1].Time {
		t.Errorf("within since and until: %v", got)
	}
	if got := within(lines, since, time.Time{}); len(got) != 2 {
		t.Errorf("within since: %v", got)
	}
	if got := within(lines, time.Time{}, until); len(got) != 2 {
		t.Errorf("within until: %v", got)
	}
}
