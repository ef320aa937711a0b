package container

// `kobako attach`: connect your terminal to a detached container again. Its
// monitor copies the container's output to you and, with -t, your keys to
// its terminal. Typing the detach keys (ctrl-p ctrl-q, as in docker) lets
// go: the container keeps running and you get your shell back.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/creack/pty"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// DefaultDetachKeys are docker's.
const DefaultDetachKeys = "ctrl-p,ctrl-q"

// ErrDetached is what Attach returns when the person typed the detach keys
// (or, without a terminal, pressed ^C).
var ErrDetached = errors.New("detached")

// Attach relays c's output to stdio.Out/Err and, when c has a terminal,
// stdio.In to it, until c exits (its exit code is returned) or the person
// detaches (ErrDetached).
func (s *Store) Attach(c *Container, detachKeys string, stdio Stdio) (Exit, error) {
	keys, err := ParseDetachKeys(detachKeys)
	if err != nil {
		return Exit{}, err
	}
	if st, err := s.Status(c); err != nil {
		return Exit{}, err
	} else if st.State != specs.StateRunning {
		return Exit{}, fmt.Errorf("container %s is not running: `kobako start -a %s` runs it attached", c.Name, c.Name)
	}
	if !c.Detached {
		return Exit{}, fmt.Errorf("container %s runs in the foreground of another kobako: only a container started with -d can be attached", c.Name)
	}
	addr, dir, err := attachAddress(c.Bundle)
	if err != nil {
		return Exit{}, err
	}
	conn, err := net.DialUnix("unixpacket", nil, addr)
	dir.Close()
	if err != nil {
		return Exit{}, fmt.Errorf("attach to %s: its monitor does not answer (%v); `kobako logs %s` still shows its output", c.Name, err, c.Name)
	}
	defer conn.Close()

	a := &attachment{conn: conn, stdio: stdio, detached: make(chan struct{})}
	if c.Tty && stdio.In != nil {
		restore, err := a.sendKeys(keys)
		if err != nil {
			return Exit{}, err
		}
		defer restore()
	} else {
		a.detachOnInterrupt()
	}
	code, err := a.copyOutput()
	return Exit{ID: c.ShortID(), Code: code}, err
}

// attachment is one person attached to one container.
type attachment struct {
	conn     *net.UnixConn
	stdio    Stdio
	detached chan struct{} // closed when the person lets go
}

// copyOutput writes the container's output until its exit code arrives.
func (a *attachment) copyOutput() (int, error) {
	buf := make([]byte, maxAttachMessage)
	for {
		n, err := a.conn.Read(buf)
		select {
		case <-a.detached:
			return 0, ErrDetached
		default:
		}
		if err != nil || n == 0 {
			return 0, errors.New("the container's monitor went away; `kobako ps -a` shows what became of it")
		}
		switch msg := buf[:n]; msg[0] {
		case msgStdout:
			writeTo(a.stdio.Out, os.Stdout, msg[1:])
		case msgStderr:
			writeTo(a.stdio.Err, os.Stderr, msg[1:])
		case msgExit:
			if len(msg) == 5 {
				return int(binary.LittleEndian.Uint32(msg[1:])), nil
			}
		}
	}
}

func writeTo(f, fallback *os.File, data []byte) {
	if f == nil {
		f = fallback
	}
	f.Write(data)
}

// detachOnInterrupt: without a terminal there are no keys to type, so ^C
// lets go (it is not passed on: the container's stdin is not yours).
func (a *attachment) detachOnInterrupt() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, unix.SIGINT, unix.SIGTERM)
	go func() {
		<-signals
		a.detach()
	}()
}

func (a *attachment) detach() {
	close(a.detached)
	a.conn.SetReadDeadline(time.Now()) // wakes copyOutput
}

// sendKeys puts the person's terminal in raw mode, so every key reaches the
// container's pty, and sends keys and window sizes until the detach keys.
func (a *attachment) sendKeys(keys []byte) (restore func(), err error) {
	in := a.stdio.In
	restore = func() {}
	if term.IsTerminal(int(in.Fd())) {
		// stty raw -echo
		old, err := term.MakeRaw(int(in.Fd()))
		if err != nil {
			return nil, err
		}
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, unix.SIGWINCH)
		restore = func() {
			signal.Stop(winch)
			term.Restore(int(in.Fd()), old)
		}
		a.sendSize()
		go func() {
			for range winch {
				a.sendSize()
			}
		}()
	}
	go a.copyInput(&detachFilter{keys: keys})
	return restore, nil
}

func (a *attachment) sendSize() {
	size, err := pty.GetsizeFull(a.stdio.In)
	if err != nil {
		return
	}
	msg := binary.LittleEndian.AppendUint16([]byte{msgResize}, size.Rows)
	a.conn.Write(binary.LittleEndian.AppendUint16(msg, size.Cols))
}

func (a *attachment) copyInput(filter *detachFilter) {
	buf := make([]byte, 4096)
	for {
		n, err := a.stdio.In.Read(buf)
		if n > 0 {
			keys, detach := filter.feed(buf[:n])
			if len(keys) > 0 {
				a.conn.Write(append([]byte{msgInput}, keys...))
			}
			if detach {
				a.detach()
				return
			}
		}
		if err != nil {
			return // end of input: keep watching the output
		}
	}
}

// ParseDetachKeys reads docker's notation: keys separated by commas, each
// a single character or ctrl-X for X in a–z or @ [ \ ] ^ _.
func ParseDetachKeys(spec string) ([]byte, error) {
	var keys []byte
	for _, key := range strings.Split(spec, ",") {
		switch {
		case len(key) == 1:
			keys = append(keys, key[0])
		case len(key) == 6 && strings.HasPrefix(key, "ctrl-"):
			c := key[5]
			switch {
			case c >= 'a' && c <= 'z':
				keys = append(keys, c-'a'+1) // ctrl-a is 1 … ctrl-z is 26
			case strings.IndexByte(`@[\]^_`, c) >= 0:
				keys = append(keys, c-'@') // ctrl-@ is 0 … ctrl-_ is 31
			default:
				return nil, fmt.Errorf("detach key %q: ctrl- goes with a letter or one of @[\\]^_", key)
			}
		default:
			return nil, fmt.Errorf("detach key %q: give a character or ctrl-X, separated by commas (e.g. %s)", key, DefaultDetachKeys)
		}
	}
	return keys, nil
}

// detachFilter finds the detach keys in what the person types. Keys that
// begin the sequence are held back until it is clear whether it goes on,
// then passed on after all.
type detachFilter struct {
	keys    []byte
	matched int // how many of keys were just typed
}

func (d *detachFilter) feed(typed []byte) (pass []byte, detach bool) {
	for _, b := range typed {
		if b == d.keys[d.matched] {
			d.matched++
			if d.matched == len(d.keys) {
				return pass, true
			}
			continue
		}
		pass = append(pass, d.keys[:d.matched]...)
		d.matched = 0
		if b == d.keys[0] {
			d.matched = 1
			continue
		}
		pass = append(pass, b)
	}
	return pass, false
}
