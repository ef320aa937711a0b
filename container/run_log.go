package container

// The log of a container run in the foreground. docker keeps what every
// container wrote, attached or not, so `kobako logs` of a container that
// ran in your terminal shows its output again. The foreground kobako is
// then the one that reads the container's output: it shows it to you as
// it comes and appends it to the same container.log the monitor of a
// detached container writes (logfile.go).
//
// Shell twin: kobako run busybox sh -c '…' > >(tee -a out.log) 2> >(tee -a err.log >&2)
//
// Without a terminal the container writes into two pipes, so its stdout
// and stderr stay apart; with -t everything it writes comes out of its
// pty, which is one stream (stdout), as in docker. A container run with
// --rm keeps no log: nobody could read it after it is gone.

import (
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// runLog is a foreground container's log and the copies into it.
type runLog struct {
	log     *logFile
	pipes   [2]*os.File // our read ends, without a terminal
	copying sync.WaitGroup
}

// openRunLog opens c's log and, without a terminal, the pipes the
// container will write into instead of stdio.Out and stdio.Err. It
// returns the files to give the container.
func openRunLog(c *Container, stdio Stdio) (*runLog, [3]*os.File, error) {
	files := [3]*os.File{stdio.In, stdio.Out, stdio.Err}
	// O_APPEND: a restarted container's output goes after its last run's.
	f, err := os.OpenFile(filepath.Join(c.Bundle, logFileName), os.O_CREATE|os.O_WRONLY|os.O_APPEND|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, files, err
	}
	l := &runLog{log: &logFile{f: f}}
	if c.Tty {
		return l, files, nil // the pty is copied by the terminal relay
	}
	for i := range l.pipes {
		// the container's end | our end
		r, w, err := os.Pipe()
		if err != nil {
			l.close()
			closeFiles(files[1:])
			return nil, files, err
		}
		l.pipes[i], files[i+1] = r, w
	}
	return l, files, nil
}

// closeContainerEnds closes the container's ends of the pipes once it has
// its own copies: the copies then end when its last writer is gone.
func (l *runLog) closeContainerEnds(files [3]*os.File) {
	if l != nil && l.pipes[0] != nil {
		closeFiles(files[1:])
	}
}

// start copies the pipes to the person and to the log. The container's
// ends of the pipes are closed by the caller once the container has them.
func (l *runLog) start(stdio Stdio) {
	if l.pipes[0] == nil {
		return
	}
	l.copying.Add(2)
	go l.copy(l.pipes[0], stdio.Out, "stdout")
	go l.copy(l.pipes[1], stdio.Err, "stderr")
}

// copy reads src until the container's last writer is gone (EOF). When
// the person's side goes away (EPIPE: `| head -1`), the pipe is closed, so
// the container meets the closed pipe itself, as it would have without
// the log in between: `yes | head -1` ends.
func (l *runLog) copy(src *os.File, person *os.File, stream string) {
	defer l.copying.Done()
	log := l.log.stream(stream)
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			log.Write(buf[:n]) // a full disk must not stop the container
			if person != nil {
				if _, werr := person.Write(buf[:n]); werr != nil {
					src.Close()
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// terminalWriter is what the terminal relay writes the pty's output to:
// the person's terminal and the log (none: l is nil).
func (l *runLog) terminalWriter(person io.Writer) io.Writer {
	if l == nil {
		return &teeToLog{person: person, log: io.Discard}
	}
	return &teeToLog{person: person, log: l.log.stream("stdout")}
}

// drain waits for the last output to be copied; the bound guards against
// a process that escaped the container holding a pipe open.
func (l *runLog) drain() {
	done := make(chan struct{})
	go func() {
		l.copying.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
}

func (l *runLog) close() {
	if l == nil {
		return
	}
	closeFiles(l.pipes[:])
	l.log.f.Close()
}

// teeToLog writes to the log always and to the person while they read:
// the pty must be read to its end even after they left (terminal.go) —
// their pipe closed (EPIPE) or their terminal hung up (EIO).
type teeToLog struct {
	person io.Writer
	gone   bool
	log    io.Writer
}

func (t *teeToLog) Write(p []byte) (int, error) {
	t.log.Write(p)
	if !t.gone {
		if _, err := t.person.Write(p); err != nil {
			t.gone = true
		}
	}
	return len(p), nil
}
