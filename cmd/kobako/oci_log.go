package main

// The engines' log: --log FILE --log-format text|json, written the way
// runc's logrus writes it, because engines read it back. containerd's shim
// passes --log <bundle>/log.json --log-format json and, when a command
// fails, shows the msg of the last line whose level is exactly "error":
//
//	{"level":"error","msg":"container not running","time":"2026-12-07T06:17:05+09:00"}
//
// and with --log-format text (runc's default), logrus's key=value line:
//
//	time="2026-12-07T06:17:05+09:00" level=error msg="container not running"
//
// An error always reaches stderr too, as "kobako: …" — conmon shows
// podman the runtime's stderr when no --log was given. Without --log, a
// JSON log is written to stderr instead (runc's default log file is
// /dev/stderr), and a text one is the plain "kobako: …" line.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// ociLog writes runc's log lines.
type ociLog struct {
	file  *os.File // --log, opened for appending; nil: none given
	json  bool     // --log-format json
	debug bool     // --debug: debug lines too
	now   func() time.Time
}

// openOCILog opens the log the global flags ask for. path "" is no file.
func openOCILog(path, format string, debug bool) (*ociLog, error) {
	l := &ociLog{debug: debug, now: time.Now}
	switch format {
	case "", "text":
	case "json":
		l.json = true
	default:
		return nil, fmt.Errorf("--log-format %q: use text or json", format)
	}
	if path == "" {
		return l, nil
	}
	// O_APPEND: the engine keeps one log per container across commands.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open --log %s: %w", path, err)
	}
	l.file = f
	return l, nil
}

// Close closes the log file.
func (l *ociLog) Close() {
	if l.file != nil {
		l.file.Close()
	}
}

// Error records err in the log and says it on stderr.
func (l *ociLog) Error(err error) {
	msg := err.Error()
	switch {
	case l.file != nil:
		l.write(l.file, "error", msg)
		fmt.Fprintf(os.Stderr, "kobako: %s\n", msg)
	case l.json:
		l.write(os.Stderr, "error", msg)
	default:
		fmt.Fprintf(os.Stderr, "kobako: %s\n", msg)
	}
}

// Debugf records a debug line, with --debug only.
func (l *ociLog) Debugf(format string, args ...any) {
	if !l.debug {
		return
	}
	var w io.Writer = os.Stderr
	if l.file != nil {
		w = l.file
	}
	l.write(w, "debug", fmt.Sprintf(format, args...))
}

// write writes one line at level, in one write(2): several kobakos may
// append to the same log.
func (l *ociLog) write(w io.Writer, level, msg string) {
	io.WriteString(w, formatLogLine(level, msg, l.now(), l.json))
}

// formatLogLine is one logrus line. JSON keys come sorted, as logrus
// writes them; the time is RFC 3339 in local time, logrus's default.
func formatLogLine(level, msg string, t time.Time, asJSON bool) string {
	when := t.Format(time.RFC3339)
	if asJSON {
		line, _ := json.Marshal(struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Time  string `json:"time"`
		}{level, msg, when})
		return string(line) + "\n"
	}
	return fmt.Sprintf("time=%s level=%s msg=%s\n", logValue(when), logValue(level), logValue(msg))
}

// logValue quotes a text-format value unless it is one plain word, the
// rule of logrus's TextFormatter (needsQuoting).
func logValue(s string) string {
	plain := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._/@^+", r))
	}) < 0
	if plain {
		return s
	}
	return fmt.Sprintf("%q", s)
}

// The log travels to the verbs in their context: events logs the stats
// it could not read and goes on, as runc does.
type ociLogKey struct{}

func withOCILog(ctx context.Context, l *ociLog) context.Context {
	return context.WithValue(ctx, ociLogKey{}, l)
}

// ociLogOf is the log of ctx (a quiet one in tests that give none).
func ociLogOf(ctx context.Context) *ociLog {
	if l, ok := ctx.Value(ociLogKey{}).(*ociLog); ok {
		return l
	}
	return &ociLog{now: time.Now}
}
