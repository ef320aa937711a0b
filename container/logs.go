package container

// `kobako logs`: what a detached container wrote. The monitor gives the
// container two files as its stdout and stderr (with -t, the pty's output
// goes to stdout.log), so the logs are simply those files, kept apart.

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// LogOptions selects what to show.
type LogOptions struct {
	Follow bool // keep printing new output until the container stops
	Tail   int  // only the last N lines of each stream; < 0: all
}

// Logs copies c's stdout.log to stdout and stderr.log to stderr.
func (s *Store) Logs(c *Container, opts LogOptions, stdout, stderr io.Writer) error {
	files := []struct {
		name string
		w    io.Writer
	}{{"stdout.log", stdout}, {"stderr.log", stderr}}
	var open []*os.File
	defer func() {
		for _, f := range open {
			f.Close()
		}
	}()
	for _, lf := range files {
		f, err := os.Open(filepath.Join(c.Bundle, lf.name))
		if errors.Is(err, os.ErrNotExist) {
			continue // a foreground container has no logs: its output went to the terminal
		}
		if err != nil {
			return err
		}
		open = append(open, f)
		if err := copyTail(f, lf.w, opts.Tail); err != nil {
			return err
		}
	}
	if !opts.Follow {
		return nil
	}
	return s.follow(c, open, []io.Writer{stdout, stderr})
}

// copyTail copies the last n lines of f (all of it for n < 0) and leaves
// f's offset at its end.
func copyTail(f *os.File, w io.Writer, n int) error {
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	if n >= 0 {
		data = lastLines(data, n)
	}
	_, err = w.Write(data)
	return err
}

func lastLines(data []byte, n int) []byte {
	end := len(data)
	if end > 0 && data[end-1] == '\n' {
		end--
	}
	for i := 0; i < n; i++ {
		j := bytes.LastIndexByte(data[:end], '\n')
		if j < 0 {
			return data
		}
		end = j
	}
	return data[end+1:]
}

// follow polls the files for new output (tail -f) until c has stopped and
// all it wrote is copied.
func (s *Store) follow(c *Container, files []*os.File, writers []io.Writer) error {
	for {
		st, err := s.Status(c)
		if err != nil {
			return err
		}
		for i, f := range files {
			if _, err := io.Copy(writers[i], f); err != nil {
				return err
			}
		}
		if st.State == specs.StateStopped {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}
