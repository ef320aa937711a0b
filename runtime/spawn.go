package runtime

// The container's init, seen from its parent: starting kobako-init from
// the sealed binary with the protocol's descriptors (protocol.go), reading
// what it reports, and waiting for it. `kobako create` (create.go) and
// `kobako exec` (exec.go) both start their init here; they differ in the
// namespaces it is born in and in what it is told to do.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/kobako/kobako/runtime/initproc"
	"golang.org/x/sys/unix"
)

// Process is a created container's init, seen from the process that
// created it (its parent, the one that can wait for it).
type Process struct {
	cmd     *exec.Cmd
	Pid     int
	Console *os.File // the pty master, with a terminal and no console socket
}

// spawnInit starts kobako-init from self, its sealed handle, with the
// protocol's descriptors at their fixed numbers, lets configure add what
// this start needs (clone flags, a cgroup, stdio), and sends cfg. It
// returns the init and the parent's end of the sync socket.
func (r *Runtime) spawnInit(cfg initproc.Config, self, fifo *os.File, configure func(*exec.Cmd)) (*Process, int, error) {
	// A packet socket pair for the sync protocol (see protocol.go).
	socks, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, -1, fmt.Errorf("socketpair: %w", err)
	}
	parentSock, childSock := socks[0], os.NewFile(uintptr(socks[1]), "sync")
	defer childSock.Close()
	configR, configW, err := os.Pipe()
	if err != nil {
		unix.Close(parentSock)
		return nil, -1, fmt.Errorf("config pipe: %w", err)
	}
	defer configR.Close()
	defer configW.Close()

	// The init's trace: the caller's stderr, or with --trace=time a pipe
	// the parent's tracer reads the init's timed steps from.
	traceFile, err := r.Tracer.ChildFile()
	if err != nil {
		unix.Close(parentSock)
		return nil, -1, err
	}
	defer traceFile.Close()
	// fds 3–7, then the caller's preserved ones from 8 on
	extra, opened, err := extraFiles([]*os.File{configR, childSock, fifo, traceFile, self}, cfg.PreserveFDs)
	if err != nil {
		unix.Close(parentSock)
		return nil, -1, err
	}
	defer closeAll(opened)

	cmd := &exec.Cmd{
		// The child finds the sealed binary at fd 7 and execs it from there.
		Path: fmt.Sprintf("/proc/self/fd/%d", initproc.FDSelf),
		Args: []string{initBinaryName},
		// Nothing of the caller's environment leaks into the container.
		Env:        []string{},
		ExtraFiles: extra,
		SysProcAttr: &unix.SysProcAttr{
			// setsid: the init leads a session of its own, so it can take
			// a terminal as its controlling tty, and the caller's job
			// control signals (^C on a non-tty run) are forwarded, not
			// delivered behind kobako's back.
			Setsid: true,
		},
	}
	configure(cmd)
	if err := cmd.Start(); err != nil {
		unix.Close(parentSock)
		return nil, -1, fmt.Errorf("start container init: %w", err)
	}
	proc := &Process{cmd: cmd, Pid: cmd.Process.Pid}
	cfg.Pid = proc.Pid // for the state its hooks read
	if err := json.NewEncoder(configW).Encode(cfg); err != nil {
		unix.Close(parentSock)
		proc.kill()
		return nil, -1, fmt.Errorf("send config to init: %w", err)
	}
	return proc, parentSock, nil
}

// awaitReady reads the init's messages until it is ready or has failed.
// The init of an exec sends no "ready": its socket closes when the
// command's execve has succeeded (see protocol.go).
func (p *Process) awaitReady(sync int, exec bool) error {
	for {
		m, fds, err := initproc.RecvMessage(sync)
		if err != nil {
			if errors.Is(err, initproc.ErrPeerGone) && exec {
				return nil
			}
			if errors.Is(err, initproc.ErrPeerGone) {
				return p.diedEarly()
			}
			return err
		}
		switch m.Type {
		case initproc.MsgConsole:
			if len(fds) != 1 {
				return fmt.Errorf("init sent %d descriptors for the console, want 1", len(fds))
			}
			p.Console = os.NewFile(uintptr(fds[0]), "pty master")
		case initproc.MsgReady:
			return nil
		default:
			return p.unexpected(m)
		}
	}
}

// awaitMessage reads the init's next message, which must be want.
func (p *Process) awaitMessage(sync int, want string) error {
	m, _, err := initproc.RecvMessage(sync)
	if errors.Is(err, initproc.ErrPeerGone) {
		return p.diedEarly()
	}
	if err != nil {
		return err
	}
	if m.Type != want {
		return p.unexpected(m)
	}
	return nil
}

// tell sends m to the init. An init that failed has reported why and
// exited: the send then meets a closed socket (EPIPE), and the answer is
// the init's report, still waiting to be read, not the broken pipe.
func (p *Process) tell(sync int, m initproc.Message, fds ...int) error {
	err := initproc.SendMessage(sync, m, fds...)
	if !errors.Is(err, unix.EPIPE) {
		return err
	}
	if report, _, rerr := initproc.RecvMessage(sync); rerr == nil && report.Type == initproc.MsgError {
		return p.unexpected(report)
	}
	return err
}

// unexpected turns a message that is not the one awaited into an error:
// the init's own report, or a protocol error.
func (p *Process) unexpected(m initproc.Message) error {
	if m.Type == initproc.MsgError {
		p.cmd.Wait() // reap it: it exits right after reporting
		return &initproc.InitError{Code: m.Code, Msg: m.Error}
	}
	return fmt.Errorf("unexpected %q message from init", m.Type)
}

// diedEarly explains an init that closed the socket without a word.
func (p *Process) diedEarly() error {
	err := p.cmd.Wait()
	return fmt.Errorf("container init died before it was ready: %v", err)
}

// Wait waits for the init to exit and returns its exit status the way a
// shell reports it: the code, or 128+N when killed by signal N.
func (p *Process) Wait() (int, error) {
	err := p.cmd.Wait()
	state := p.cmd.ProcessState
	if state == nil {
		return -1, err
	}
	ws := state.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}

// Signal sends sig to the init.
func (p *Process) Signal(sig os.Signal) error {
	return p.cmd.Process.Signal(sig)
}

// kill ends an init that never became a container, and reaps it.
func (p *Process) kill() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

// setStdio connects the init's stdin, stdout and stderr. A nil entry is
// left unset, and exec opens /dev/null for it: assigned as a nil *os.File
// it would leave the descriptor closed, and the first file the init opens
// would take its number (Go's runtime opens /dev/null itself then, which
// the devices cgroup may refuse while its rules are being written).
func setStdio(cmd *exec.Cmd, stdio [3]*os.File) {
	if stdio[0] != nil {
		cmd.Stdin = stdio[0]
	}
	if stdio[1] != nil {
		cmd.Stdout = stdio[1]
	}
	if stdio[2] != nil {
		cmd.Stderr = stdio[2]
	}
}

// descriptors are the numbers of files, to pass over the sync socket.
func descriptors(files []*os.File) []int {
	fds := make([]int, len(files))
	for i, f := range files {
		fds[i] = int(f.Fd())
	}
	return fds
}
