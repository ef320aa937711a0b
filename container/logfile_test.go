package container

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// What the streams write comes back out of the file byte for byte, each
// stream on its own writer, whatever the chunks were.
func TestLogFileRoundTrip(t *testing.T) {
	f, err := os.OpenFile(filepath.Join(t.TempDir(), logFileName), os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	log := &logFile{f: f}
	out, errs := log.stream("stdout"), log.stream("stderr")
	out.Write([]byte("one\ntw"))
	errs.Write([]byte("oops\n"))
	out.Write([]byte("o\n\nthree"))

	r, _ := os.Open(f.Name())
	defer r.Close()
	recs, err := newLogReader(r).all()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	p := &logPrinter{out: map[string]io.Writer{"stdout": &stdout, "stderr": &stderr}, midLine: map[string]bool{}}
	if err := p.print(joinLines(recs)); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "one\ntwo\n\nthree" || stderr.String() != "oops\n" {
		t.Errorf("read back stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	lines := joinLines(recs)
	if len(lines) != 5 || string(lines[1].Content) != "two" || lines[1].Time != recs[1].Time || !lines[4].Partial {
		t.Errorf("lines: %+v, want one, two (from its first record), oops, the empty one and three unfinished", lines)
	}
}

// A record still being written is not read until its newline is there.
func TestLogReaderWaitsForWholeRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), logFileName)
	os.WriteFile(path, []byte("2026-01-01T00:00:00.000000000Z stdout F hel"), 0o600)
	r, _ := os.Open(path)
	defer r.Close()
	lr := newLogReader(r)
	if recs, _ := lr.all(); len(recs) != 0 {
		t.Fatalf("half a record read as %+v", recs)
	}
	w, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	w.Write([]byte("lo\n"))
	w.Close()
	recs, err := lr.all()
	if err != nil || len(recs) != 1 || string(recs[0].Content) != "hello" {
		t.Errorf("after the newline: %+v, %v", recs, err)
	}
}
