package runtime

// `kobako create`: the parent's half of the article's
//
//	unshare -muinpf /bin/sh -c "mount …; hostname …; exec capsh --chroot …"
//
// It re-executes this binary as the container's init inside new
// namespaces (the clone flags are unshare's -m -u -i -n -p, and -U when the
// spec has a user namespace; the init is the fork that -f asks for), hands
// it its configuration, does the parent's part — uid and gid maps (-r),
// cgroup — lets it build the container and stops it right before the
// user's command: the init waits on the exec fifo until `kobako start`.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/internal/undo"
	"github.com/kobako/kobako/rootfs"
)

// InitCommand is the hidden first argument that turns kobako into a
// container's init (see Init).
const InitCommand = "init"

// Runtime creates and manages containers whose state lives under Root.
type Runtime struct {
	Root   string // --root: <Root>/<id>/state.json
	Tracer *trace.Tracer
}

// CreateOptions is one container to create.
type CreateOptions struct {
	ID      string
	Bundle  string      // recorded in the state, as the OCI state asks
	Spec    *specs.Spec // Root.Path must be absolute
	Overlay *rootfs.Overlay
	// Stdio are the container's stdin, stdout and stderr when it has no
	// terminal. Nil entries are /dev/null.
	Stdio [3]*os.File
}

// Process is a created container's init, seen from the process that
// created it (its parent, the one that can wait for it).
type Process struct {
	cmd     *exec.Cmd
	Pid     int
	Console *os.File // the pty master, when the container has a terminal
}

// InitError is a failure the init reported before the user's command ran.
// Code is the exit status it stands for: 126 (cannot execute), 127 (not
// found) or 125 (anything else: kobako's own failure).
type InitError struct {
	Code int
	Msg  string
}

func (e *InitError) Error() string { return e.Msg }

// Create starts the init and waits until the container is built and the
// init is blocked before exec. On failure nothing is left: no process, no
// state directory.
func (r *Runtime) Create(opts CreateOptions) (proc *Process, err error) {
	if err := checkID(opts.ID); err != nil {
		return nil, err
	}
	r.nameInTrace(opts.ID, opts.Spec.Root.Path)
	var u undo.Stack
	defer func() {
		if err != nil {
			u.RunIfNotReleased()
		}
	}()
	dir, err := r.makeStateDir(opts.ID, &u)
	if err != nil {
		return nil, err
	}
	fifo, err := makeExecFifo(dir, &u)
	if err != nil {
		return nil, err
	}
	// In a user namespace the init opens it as the container's root.
	if err := chownToNamespaceRoot(fifo.Name(), opts.Spec.Linux); err != nil {
		return nil, err
	}
	layout, err := cgroups.Detect()
	if err != nil {
		return nil, err
	}
	proc, sync, err := r.startInit(opts, fifo, cgroupfsFor(layout, opts.Spec.Linux), &u)
	if err != nil {
		return nil, err
	}
	defer unix.Close(sync)
	// Recorded before the cgroup is made: a kobako killed from here on
	// leaves a state that delete can read, its init and cgroup included.
	if err := r.recordState(opts, proc, specs.StateCreating); err != nil {
		return nil, err
	}
	// The parent's part: the child waits for "continue", so none of it
	// races with the child's own steps.
	idmapped, err := r.parentSteps(opts, layout, proc, &u)
	if err != nil {
		return nil, err
	}
	defer closeAll(idmapped)
	if err := sendMessage(sync, message{Type: msgContinue}, descriptors(idmapped)...); err != nil {
		return nil, err
	}
	if err := proc.awaitReady(sync, false); err != nil {
		return nil, err
	}
	if err := r.recordState(opts, proc, specs.StateCreated); err != nil {
		return nil, err
	}
	u.Release()
	return proc, nil
}

// parentSteps is what the parent does for the init before "continue": the
// uid and gid maps, the cgroup, and the image's idmapped layers, which it
// returns for the init to mount.
func (r *Runtime) parentSteps(opts CreateOptions, layout *cgroups.Layout, proc *Process, u *undo.Stack) ([]*os.File, error) {
	// echo '0 100000 65536' > /proc/$PID/uid_map (and gid_map): unshare's -r
	if err := writeIDMaps(opts.Spec.Linux, proc.Pid, r.Tracer); err != nil {
		return nil, err
	}
	// cgexec -g cpu,memory:kobako/$ID
	if err := r.joinCgroup(opts.Spec, layout, proc, u); err != nil {
		return nil, err
	}
	if opts.Overlay == nil {
		return nil, nil
	}
	// mount --bind -o X-mount.idmap=/proc/$PID/ns/user $IMAGE … — after the
	// maps, which the idmapping copies from the init's namespace.
	return idmappedLowers(opts.Spec.Linux, opts.Overlay.Lower, proc.Pid, r.Tracer)
}

// nameInTrace lets the trace write $ID for id — and for its 12-digit short
// form, the default hostname, when id is a 64-digit one as kobako's are —
// and $ROOTFS for root, as the article writes them.
func (r *Runtime) nameInTrace(id, root string) {
	var short []string
	if len(id) == 64 {
		short = append(short, id[:12])
	}
	r.Tracer.Abbreviate("ID", id, short...)
	r.Tracer.Abbreviate("ROOTFS", root)
}

// descriptors are the numbers of files, to pass over the sync socket.
func descriptors(files []*os.File) []int {
	fds := make([]int, len(files))
	for i, f := range files {
		fds[i] = int(f.Fd())
	}
	return fds
}

// makeStateDir makes <root>/<id>, 0700. Creating it is the atomic claim of
// the id: of two concurrent creates, one gets EEXIST.
func (r *Runtime) makeStateDir(id string, u *undo.Stack) (string, error) {
	if err := os.MkdirAll(r.Root, 0o700); err != nil {
		return "", fmt.Errorf("make state root: %w", err)
	}
	dir := r.dir(id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("container %s already exists", id)
		}
		return "", fmt.Errorf("make state dir: %w", err)
	}
	u.Push(func() error { return os.RemoveAll(dir) })
	return dir, nil
}

// makeExecFifo makes the fifo the init blocks on, and opens it O_PATH: a
// handle that the init can reopen for writing later, from inside the
// container, through /proc/self/fd (runc's exec.fifo).
func makeExecFifo(dir string, u *undo.Stack) (*os.File, error) {
	path := filepath.Join(dir, execFifoFile)
	// mkfifo -m 0600 exec.fifo
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return nil, fmt.Errorf("mkfifo %s: %w", path, err)
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	u.Push(f.Close)
	return f, nil
}

// startInit clones the init into its namespaces and sends its config. It
// returns the parent's end of the sync socket.
func (r *Runtime) startInit(opts CreateOptions, fifo *os.File, cgroupfs *rootfs.Cgroupfs, u *undo.Stack) (*Process, int, error) {
	flags, err := cloneFlags(opts.Spec.Linux)
	if err != nil {
		return nil, -1, err
	}
	self, err := sealedSelf()
	if err != nil {
		return nil, -1, err
	}
	defer self.Close()
	cfg := initConfig{ID: opts.ID, Spec: opts.Spec, Overlay: opts.Overlay, Cgroupfs: cgroupfs, Trace: r.Tracer.Config()}
	// Capabilities that outlive the init's execve in a new user namespace,
	// where its uid is not mapped yet (see userns.go).
	var ambient []uintptr
	shell := "unshare -muinpf"
	if flags&unix.CLONE_NEWUSER != 0 {
		if ambient, err = ambientCapabilities(); err != nil {
			return nil, -1, err
		}
		shell = "unshare -Umuinpf"
	}
	r.Tracer.Step("new namespaces", shell, fmt.Sprintf("exec.Cmd{Path: \"/proc/self/fd/%d\", Args: [kobako init], Cloneflags: %s}", fdSelf, flagNames(flags)), nil)
	proc, sync, err := r.spawnInit(cfg, self, fifo, func(cmd *exec.Cmd) {
		cmd.SysProcAttr.Cloneflags = flags
		cmd.SysProcAttr.AmbientCaps = ambient
		if !opts.Spec.Process.Terminal {
			setStdio(cmd, opts.Stdio)
		}
	})
	if err != nil {
		return nil, -1, err
	}
	u.Push(func() error { unix.Close(sync); proc.kill(); return nil })
	return proc, sync, nil
}

// spawnInit starts "kobako init" from self, the sealed binary, with the
// protocol's descriptors at their fixed numbers, lets configure add what
// this start needs (clone flags, a cgroup, stdio), and sends cfg. It
// returns the init and the parent's end of the sync socket.
func (r *Runtime) spawnInit(cfg initConfig, self, fifo *os.File, configure func(*exec.Cmd)) (*Process, int, error) {
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

	cmd := &exec.Cmd{
		// The child finds the sealed binary at fd 7 and execs it from there.
		Path: fmt.Sprintf("/proc/self/fd/%d", fdSelf),
		Args: []string{"kobako", InitCommand},
		// Nothing of the caller's environment leaks into the container.
		Env:        []string{},
		ExtraFiles: []*os.File{configR, childSock, fifo, r.Tracer.File(), self}, // fds 3–7
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
		m, fds, err := recvMessage(sync)
		if err != nil {
			if errors.Is(err, errPeerGone) && exec {
				return nil
			}
			if errors.Is(err, errPeerGone) {
				return p.diedEarly()
			}
			return err
		}
		switch m.Type {
		case msgConsole:
			if len(fds) != 1 {
				return fmt.Errorf("init sent %d descriptors for the console, want 1", len(fds))
			}
			p.Console = os.NewFile(uintptr(fds[0]), "pty master")
		case msgReady:
			return nil
		case msgError:
			p.cmd.Wait() // reap it: it exits right after reporting
			return &InitError{Code: m.Code, Msg: m.Error}
		default:
			return fmt.Errorf("unexpected %q message from init", m.Type)
		}
	}
}

// diedEarly explains an init that closed the socket without a word.
func (p *Process) diedEarly() error {
	err := p.cmd.Wait()
	return fmt.Errorf("container init died before it was ready: %v", err)
}

// recordState writes state.json: "creating" as soon as the init exists,
// "created" once it waits for start.
func (r *Runtime) recordState(opts CreateOptions, p *Process, status specs.ContainerState) error {
	ps, err := readProcStat(p.Pid)
	if err != nil {
		return fmt.Errorf("read init start time: %w", err)
	}
	st := &State{
		State: specs.State{
			Version: specs.Version,
			ID:      opts.ID,
			Status:  status,
			Pid:     p.Pid,
			Bundle:  opts.Bundle,
		},
		InitStartTime: ps.startTime,
		Created:       time.Now().UTC(),
	}
	if opts.Spec.Linux != nil {
		st.CgroupsPath = opts.Spec.Linux.CgroupsPath
	}
	return r.saveState(st)
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
