package container

// `kobako logs`: what a container wrote, from its log file (see
// logfile.go), which the monitor of a detached container and the kobako of
// a foreground one (run_log.go) keep: stdout records to stdout, stderr
// records to stderr, with -t each line preceded by the time it was read,
// with --since/--until only the lines written in between (logs_filter.go).
//
// Shell twin: cat container.log; tail -f container.log

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// LogOptions selects what to show.
type LogOptions struct {
	Follow     bool // keep printing new output until the container stops
	Tail       int  // only the last N lines, of both streams together; < 0: all
	Timestamps bool // precede each line with the time it was written
	// Since and Until keep the lines written in between; zero: no bound.
	Since, Until time.Time
}

// Logs prints c's log.
func (s *Store) Logs(c *Container, opts LogOptions, stdout, stderr io.Writer) error {
	f, err := os.Open(filepath.Join(c.Bundle, logFileName))
	if errors.Is(err, os.ErrNotExist) {
		return nil // nothing written yet, or an older kobako's foreground run
	}
	if err != nil {
		return err
	}
	defer f.Close()
	p := &logPrinter{out: map[string]io.Writer{"stdout": stdout, "stderr": stderr}, timestamps: opts.Timestamps, midLine: map[string]bool{}}
	lr := newLogReader(f)
	recs, err := lr.all()
	if err != nil {
		return err
	}
	lines := within(joinLines(recs), opts.Since, opts.Until)
	if opts.Tail >= 0 && opts.Tail < len(lines) {
		lines = lines[len(lines)-opts.Tail:]
	}
	if err := p.print(lines); err != nil {
		return err
	}
	if !opts.Follow {
		return nil
	}
	return s.follow(c, lr, p, opts)
}

// joinLines joins each stream's partial records to the record that ends
// their line, so that a line counts once and carries the time it began.
func joinLines(recs []logRecord) []logRecord {
	var lines []logRecord
	open := map[string]int{} // stream → index in lines of its unfinished line
	for _, rec := range recs {
		i, ok := open[rec.Stream]
		if !ok {
			lines = append(lines, logRecord{Time: rec.Time, Stream: rec.Stream})
			i = len(lines) - 1
		}
		lines[i].Content = append(lines[i].Content, rec.Content...)
		lines[i].Partial = rec.Partial
		if rec.Partial {
			open[rec.Stream] = i
		} else {
			delete(open, rec.Stream)
		}
	}
	return lines
}

// logPrinter writes lines (or records) back as the output they were.
type logPrinter struct {
	out        map[string]io.Writer
	timestamps bool
	midLine    map[string]bool // the stream's last record was partial
}

func (p *logPrinter) print(recs []logRecord) error {
	for _, rec := range recs {
		w := p.out[rec.Stream]
		if w == nil {
			continue // a stream this kobako does not know
		}
		var line []byte
		if p.timestamps && !p.midLine[rec.Stream] {
			line = append([]byte(rec.Time), ' ')
		}
		line = append(line, rec.Content...)
		if !rec.Partial {
			line = append(line, '\n')
		}
		p.midLine[rec.Stream] = rec.Partial
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// follow prints new records as they come (tail -f) until c has stopped
// and everything it wrote is printed: its monitor records the exit only
// after copying the last output, so once c stops, follow waits for that.
// With --until, it stops once that time has passed, as docker's does.
func (s *Store) follow(c *Container, lr *logReader, p *logPrinter, opts LogOptions) error {
	for sawRunning := false; ; sawRunning = true {
		if !opts.Until.IsZero() && time.Now().After(opts.Until) {
			return nil
		}
		st, err := s.Status(c)
		if err != nil {
			return err
		}
		stopped := st.State == specs.StateStopped
		if stopped && sawRunning {
			s.awaitExitRecord(c) // gone with --rm, or no monitor left: print what there is
		}
		recs, err := lr.all()
		if err != nil {
			return err
		}
		if err := p.print(within(joinLines(recs), opts.Since, opts.Until)); err != nil {
			return err
		}
		if stopped {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}
