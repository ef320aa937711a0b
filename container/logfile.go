package container

// The log file of a detached container. Its monitor reads everything the
// container writes and keeps it in <bundle>/container.log, one record per
// line, in the format containerd and CRI-O write for Kubernetes:
//
//	2026-11-25T20:57:46.123456789Z stdout F hello
//	2026-11-25T20:57:46.123460000Z stderr P no newline y
//	2026-11-25T20:57:47.000000001Z stderr F et
//
// time, stream, F for a full line or P for a partial one (the line goes on
// in the stream's next record), then the content without its newline. So
// stdout and stderr stay apart, their order is kept, and `logs -t` knows
// when each line was written.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

const logFileName = "container.log"

// logTimeFormat is RFC 3339 with nanoseconds, zero-padded, so that every
// record's time has the same width.
const logTimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// logFile appends records to container.log. Each record is one write(2)
// on an O_APPEND file, so a reader sees whole records.
type logFile struct {
	mu sync.Mutex
	f  *os.File
}

// stream returns a writer whose output is recorded as the stream name
// ("stdout" or "stderr").
func (l *logFile) stream(name string) io.Writer {
	return &logStream{log: l, name: name}
}

type logStream struct {
	log  *logFile
	name string
}

// Write records p: a record per line, the last one partial when p does not
// end with a newline.
func (s *logStream) Write(p []byte) (int, error) {
	var buf bytes.Buffer
	now := time.Now().UTC().Format(logTimeFormat)
	for rest := p; len(rest) > 0; {
		line, tail, full := bytes.Cut(rest, []byte{'\n'})
		tag := "P"
		if full {
			tag = "F"
		}
		fmt.Fprintf(&buf, "%s %s %s %s\n", now, s.name, tag, line)
		rest = tail
	}
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	if _, err := s.log.f.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// logRecord is one line of the log file.
type logRecord struct {
	Time    string // as written, so that -t prints it unchanged
	Stream  string
	Partial bool
	Content []byte
}

// parseLogRecord reads "TIME STREAM F|P CONTENT".
func parseLogRecord(line []byte) (logRecord, error) {
	fields := bytes.SplitN(line, []byte{' '}, 4)
	if len(fields) != 4 || (string(fields[2]) != "F" && string(fields[2]) != "P") {
		return logRecord{}, fmt.Errorf("not a log record: %.40q", line)
	}
	return logRecord{
		Time: string(fields[0]), Stream: string(fields[1]),
		Partial: string(fields[2]) == "P", Content: fields[3],
	}, nil
}

// logReader reads records as they are appended. A record the writer has
// not finished yet stays buffered until its newline arrives.
type logReader struct {
	r       *bufio.Reader
	pending []byte
}

func newLogReader(f *os.File) *logReader {
	return &logReader{r: bufio.NewReader(f)}
}

// next returns the next whole record, or io.EOF when there is none yet.
func (lr *logReader) next() (logRecord, error) {
	line, err := lr.r.ReadBytes('\n')
	lr.pending = append(lr.pending, line...)
	if errors.Is(err, io.EOF) {
		return logRecord{}, io.EOF // maybe half a record: keep it for later
	}
	if err != nil {
		return logRecord{}, err
	}
	rec, err := parseLogRecord(bytes.TrimSuffix(lr.pending, []byte{'\n'}))
	lr.pending = nil
	return rec, err
}

// all returns every whole record there is now.
func (lr *logReader) all() ([]logRecord, error) {
	var recs []logRecord
	for {
		rec, err := lr.next()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
}
