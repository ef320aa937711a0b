package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The lines are logrus's, byte for byte: engines parse them.
func TestFormatLogLine(t *testing.T) {
	when := time.Date(2026, 12, 7, 6, 17, 5, 0, time.UTC)
	for _, tc := range []struct {
		level, msg string
		json       bool
		want       string
	}{
		{"error", "container not running", true, `{"level":"error","msg":"container not running","time":"2026-12-07T06:17:05Z"}` + "\n"},
		{"error", `bad "quote" <x>`, true, `{"level":"error","msg":"bad \"quote\" \u003cx\u003e","time":"2026-12-07T06:17:05Z"}` + "\n"},
		{"error", "container not running", false, `time="2026-12-07T06:17:05Z" level=error msg="container not running"` + "\n"},
		{"debug", "plain/word-1.2", false, `time="2026-12-07T06:17:05Z" level=debug msg=plain/word-1.2` + "\n"},
		{"warning", "", false, `time="2026-12-07T06:17:05Z" level=warning msg=""` + "\n"},
	} {
		if got := formatLogLine(tc.level, tc.msg, when, tc.json); got != tc.want {
			t.Errorf("formatLogLine(%q, %q, json=%v) =\n%s\nwant\n%s", tc.level, tc.msg, tc.json, got, tc.want)
		}
	}
}

// --log appends, and debug lines appear only with --debug.
func TestOCILogFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.json")
	if err := os.WriteFile(path, []byte("{\"level\":\"info\",\"msg\":\"earlier\",\"time\":\"x\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, debug := range []bool{false, true} {
		l, err := openOCILog(path, "json", debug)
		if err != nil {
			t.Fatal(err)
		}
		l.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
		l.Debugf("kobako %s", "state x")
		l.write(l.file, "error", errors.New("x: container does not exist").Error())
		l.Close()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	want := []string{
		`{"level":"info","msg":"earlier","time":"x"}`,
		`{"level":"error","msg":"x: container does not exist","time":"2026-01-02T03:04:05Z"}`,
		`{"level":"debug","msg":"kobako state x","time":"2026-01-02T03:04:05Z"}`,
		`{"level":"error","msg":"x: container does not exist","time":"2026-01-02T03:04:05Z"}`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant\n%s", data, strings.Join(want, "\n"))
	}
	if _, err := openOCILog(path, "yaml", false); err == nil {
		t.Error("--log-format yaml accepted")
	}
}
