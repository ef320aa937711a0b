package trace

// The init's events, on their way to the parent's table. With
// --trace=time the init narrates nothing: its tracer (FromConfig) writes
// one record per event to its trace descriptor, fd 6, which is the write
// end of a pipe (ChildFile); a goroutine of the parent's tracer reads the
// other end and merges the records into its time line. A record is a line
// of four fields separated by tabs:
//
//	<CLOCK_MONOTONIC ns>	step	<step's name>	<its phase>
//	<CLOCK_MONOTONIC ns>	peak	<who>	<VmHWM> <RssAnon> <RssFile>, in KiB
//
// for example
//
//	81234567890123	step	change root	pivot_root
//	81234569001234	peak	init	6144 1536 4608
//
// The init knows the file:line of its own steps, so it works out their
// phase itself (phases.go). Each record goes out in one write(2): a pipe
// keeps a write of up to PIPE_BUF (4096) bytes whole, so records from two
// threads never cut into each other.

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The kinds of record.
const (
	recordStep = "step" // a step, note, skipped step or Mark
	recordPeak = "peak" // Peak
)

// maxField bounds a record's text fields, so that a record stays far below
// PIPE_BUF.
const maxField = 512

// ChildFile is the file the init gets as its trace descriptor (fd 6), the
// caller's to close once the init is started. In the narration it is a
// copy (dup(2)) of the terminal, File: the init narrates as the parent
// does. With --trace=time it is the write end of a new pipe, whose read
// end a goroutine of t drains into t's time line until the last writer
// closes it — the init's execve does, the descriptor being close-on-exec;
// so the caller's copy must be closed for the pipe to end. A nil t, or one
// that writes to no file, has none: nil, nil.
func (t *Tracer) ChildFile() (*os.File, error) {
	if t == nil {
		return nil, nil
	}
	if t.timeline == nil {
		// The narration; or an init's tracer, whose records a child of
		// its own would share.
		return dup(t.File())
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("trace pipe: %w", err)
	}
	t.mu.Lock()
	tl := t.timeline
	tl.pipes = append(tl.pipes, r)
	tl.children++
	t.mu.Unlock()
	tl.readers.Go(func() { t.drain(r) })
	return w, nil
}

// dup is a copy of f that the caller may close, close-on-exec as Go makes
// every descriptor; nil for a nil f.
func dup(f *os.File) (*os.File, error) {
	if f == nil {
		return nil, nil
	}
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("dup %s: %w", f.Name(), err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// drain reads an init's records from r until EOF, or until Finish gives
// up on it and closes r.
func (t *Tracer) drain(r *os.File) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		ns, kind, name, value, ok := parseRecord(sc.Text())
		if !ok {
			continue // not a record: nothing to time
		}
		t.mu.Lock()
		tl := t.timeline
		switch {
		case tl.finished:
		case kind == recordStep:
			tl.events = append(tl.events, event{ns: ns, step: name, phase: knownPhase(value), child: true})
		case kind == recordPeak:
			if m, ok := parseMemory(value); ok {
				tl.peaks[name] = m
			}
		}
		t.mu.Unlock()
	}
}

// send writes one record to the parent, in one write. The caller holds
// t.mu. A record that cannot be written is no reason to fail the step it
// times.
func (t *Tracer) send(kind, name, value string, ns int64) {
	record := strconv.FormatInt(ns, 10) + "\t" + kind + "\t" + field(name) + "\t" + field(value) + "\n"
	_, _ = t.w.Write([]byte(record))
}

// field is s made fit for a record: no tab or newline of its own, and not
// too long.
func field(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxField {
		s = strings.ToValidUTF8(s[:maxField], "")
	}
	return s
}

// parseRecord splits one record into its fields.
func parseRecord(line string) (ns int64, kind, name, value string, ok bool) {
	fields := strings.Split(line, "\t")
	if len(fields) != 4 {
		return 0, "", "", "", false
	}
	ns, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil || fields[1] != recordStep && fields[1] != recordPeak {
		return 0, "", "", "", false
	}
	return ns, fields[1], fields[2], fields[3], true
}
