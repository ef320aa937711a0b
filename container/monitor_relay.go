package container

// The monitor's relay: everything a detached container writes passes
// through its monitor, which keeps it in the log file and copies it to
// whoever is attached (attach_socket.go). Without a terminal the container
// writes into two pipes, so its stdout and stderr stay apart; with -t it
// writes into its pty, whose master end the monitor holds — which is also
// how an attached person's keys reach it.

import (
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// relay is the monitor's side of a detached container's output.
type relay struct {
	log      *logFile
	listener *net.UnixListener
	dir      *os.File // the bundle, through which the socket's address goes
	pipes    [2]*os.File
	console  *os.File // the pty master, with -t
	copying  sync.WaitGroup

	mu      sync.Mutex
	clients map[*net.UnixConn]bool
}

// newRelay opens the log and the attach socket, and the pipes the container
// will write into unless it has a terminal. stdio is what to give the
// container as its stdin, stdout and stderr.
func newRelay(bundle string, tty bool) (r *relay, stdio [3]*os.File, err error) {
	r = &relay{clients: map[*net.UnixConn]bool{}}
	defer func() {
		if err != nil {
			r.close()
			closeFiles(stdio[:])
		}
	}()
	f, err := os.OpenFile(filepath.Join(bundle, logFileName), os.O_CREATE|os.O_WRONLY|os.O_APPEND|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return r, stdio, err
	}
	r.log = &logFile{f: f}
	if stdio[0], err = os.Open(os.DevNull); err != nil {
		return r, stdio, err
	}
	if err := r.listen(bundle); err != nil {
		return r, stdio, err
	}
	if tty {
		return r, stdio, nil // the runtime makes the pty; see relayConsole
	}
	for i := range r.pipes {
		// the container's end | the monitor's end
		if r.pipes[i], stdio[i+1], err = os.Pipe(); err != nil {
			return r, stdio, err
		}
	}
	return r, stdio, nil
}

func (r *relay) listen(bundle string) error {
	addr, dir, err := attachAddress(bundle)
	if err != nil {
		return err
	}
	r.dir = dir
	os.Remove(addr.Name) // left by a monitor that was killed
	r.listener, err = net.ListenUnix("unixpacket", addr)
	return err
}

// start copies the pipes (or the console) to the log and to clients, and
// accepts clients.
func (r *relay) start(console *os.File) {
	r.console = console
	if console != nil {
		r.copying.Add(1)
		go r.copyOutput(console, "stdout", msgStdout)
	} else {
		r.copying.Add(2)
		go r.copyOutput(r.pipes[0], "stdout", msgStdout)
		go r.copyOutput(r.pipes[1], "stderr", msgStderr)
	}
	go r.accept()
}

// copyOutput reads src until the container's last writer is gone: a pipe
// then reads EOF, a pty master EIO. A full disk or a stuck client must not
// stop the container, so write errors are not fatal here.
func (r *relay) copyOutput(src *os.File, stream string, msg byte) {
	defer r.copying.Done()
	log := r.log.stream(stream)
	buf := make([]byte, maxAttachMessage)
	for {
		n, err := src.Read(buf[1:])
		if n > 0 {
			log.Write(buf[1 : 1+n])
			buf[0] = msg
			r.broadcast(buf[:1+n])
		}
		if err != nil {
			return
		}
	}
}

func (r *relay) broadcast(packet []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for conn := range r.clients {
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := conn.Write(packet); err != nil {
			delete(r.clients, conn) // gone, or too slow to keep up
			conn.Close()
		}
	}
}

func (r *relay) accept() {
	for {
		conn, err := r.listener.AcceptUnix()
		if err != nil {
			return // closed: the container has exited
		}
		r.mu.Lock()
		r.clients[conn] = true
		r.mu.Unlock()
		go r.serveClient(conn)
	}
}

// serveClient passes a client's keys and window size to the pty.
func (r *relay) serveClient(conn *net.UnixConn) {
	buf := make([]byte, maxAttachMessage)
	for {
		n, err := conn.Read(buf)
		if err != nil || n == 0 {
			r.mu.Lock()
			delete(r.clients, conn)
			r.mu.Unlock()
			conn.Close()
			return
		}
		if r.console == nil {
			continue // no terminal: its stdin is /dev/null
		}
		switch msg := buf[:n]; {
		case msg[0] == msgInput:
			r.console.Write(msg[1:])
		case msg[0] == msgResize && len(msg) == 5:
			// stty rows R cols C
			pty.Setsize(r.console, &pty.Winsize{
				Rows: binary.LittleEndian.Uint16(msg[1:]),
				Cols: binary.LittleEndian.Uint16(msg[3:]),
			})
		}
	}
}

// drain waits for the last output to be copied. As with a foreground
// terminal, the bound only guards against a process that escaped the
// container holding a pipe or the pty open.
func (r *relay) drain() {
	done := make(chan struct{})
	go func() {
		r.copying.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
}

// finish tells every client the exit code, and closes everything.
func (r *relay) finish(code int) {
	packet := binary.LittleEndian.AppendUint32([]byte{msgExit}, uint32(code))
	r.broadcast(packet)
	r.close()
}

func (r *relay) close() {
	r.mu.Lock()
	for conn := range r.clients {
		conn.Close()
	}
	r.mu.Unlock()
	if r.listener != nil {
		r.listener.Close() // and unlinks attach.sock, through r.dir
	}
	closeFiles([]*os.File{r.dir, r.pipes[0], r.pipes[1], r.console})
	if r.log != nil {
		r.log.f.Close()
	}
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}
