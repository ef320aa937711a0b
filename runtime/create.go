package runtime

// `kobako create`: the parent's half of the article's
//
//	unshare -muinpf /bin/sh -c "mount …; hostname …; exec capsh --chroot …"
//
// It starts kobako-init as the container's init inside new
// namespaces (the clone flags are unshare's -m -u -i -n -p, and -U when the
// spec has a user namespace; the init is the fork that -f asks for) — from
// a thread that has first joined the namespaces the spec names by path
// (setns.go) — hands it its configuration, does the parent's part — uid and
// gid maps (-r), cgroup, the engine's hooks — lets it build the container
// and stops it right before the user's command: the init waits on the exec
// fifo until `kobako start`. An engine gets the pty master on its console
// socket and the init's pid in its pid file before create returns.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/internal/undo"
	"github.com/kobako/kobako/rootfs"
	"github.com/kobako/kobako/runtime/initproc"
)

// Runtime creates and manages containers whose state lives under Root.
type Runtime struct {
	Root   string // --root: <Root>/<id>/state.json
	Tracer *trace.Tracer
	// SeccompCache is where compiled seccomp filters are kept, one file
	// per profile (seccomp.go); "": compiled at each start.
	SeccompCache string
	// Warn receives what goes wrong without failing the operation (a
	// poststart or poststop hook); nil: "kobako: warning: …" on stderr.
	Warn func(msg string)
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
	// ConsoleSocket, with a terminal, is the engine's unix socket that
	// gets the pty master (console_socket.go); Process.Console stays nil.
	ConsoleSocket string
	// PidFile gets the init's pid once the container is created.
	PidFile string
	// PreserveFDs passes the caller's descriptors 3 … 3+N-1 on to the
	// command, at the same numbers (preserve_fds.go).
	PreserveFDs int
}

// Create starts the init and waits until the container is built and the
// init is blocked before exec. On failure nothing is left: no process, no
// state directory.
func (r *Runtime) Create(opts CreateOptions) (proc *Process, err error) {
	if err := checkID(opts.ID); err != nil {
		return nil, err
	}
	// The state and the hooks' state say where the bundle is: absolutely.
	if opts.Bundle, err = absBundle(opts.Bundle); err != nil {
		return nil, err
	}
	r.nameInTrace(opts.ID, opts.Spec.Root.Path)
	// The state dir's lock is held until create returns — and, on failure,
	// until its undo has removed the dir: a state dir whose lock is free
	// and that has no state.json is one whose create died (orphans.go), and
	// a sweep must never find ours half-removed. Deferred first: runs last.
	unlock := func() {}
	defer func() { unlock() }()
	var u undo.Stack
	defer func() {
		if err != nil {
			u.RunIfNotReleased()
		}
	}()
	fifo, unlockDir, err := r.makeStateDir(opts.ID, opts.Spec.Linux, &u)
	if unlockDir != nil {
		unlock = unlockDir
	}
	if err != nil {
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
	// The parent's part, then "continue": the child waits for it, so none
	// of it races with the child's own steps.
	if err := r.parentSteps(opts, layout, proc, sync, &u); err != nil {
		return nil, err
	}
	// The engine's prestart and createRuntime hooks, once the init's
	// mounts are made: it stops there and waits for them.
	if err := r.hooksStop(opts, proc, sync); err != nil {
		return nil, err
	}
	if err := proc.awaitReady(sync, false); err != nil {
		return nil, err
	}
	// An engine relays the terminal itself: the pty master goes to it.
	if err := r.handOverConsole(proc, opts.ConsoleSocket); err != nil {
		return nil, err
	}
	if err := r.recordState(opts, proc, specs.StateCreated); err != nil {
		return nil, err
	}
	// Last: an engine reads the pid file as "created", and finds the
	// state already there when it asks.
	if err := writePidFile(opts.PidFile, proc.Pid); err != nil {
		return nil, err
	}
	u.Release()
	return proc, nil
}

// hooksStop runs the prestart and createRuntime hooks, if the spec has
// any, while the init waits for them after its mounts ("hooks" in
// protocol.go). They run here, in the runtime's namespaces.
func (r *Runtime) hooksStop(opts CreateOptions, proc *Process, sync int) error {
	if !initproc.HasParentHooks(opts.Spec) {
		return nil
	}
	if err := proc.awaitMessage(sync, initproc.MsgHooks); err != nil {
		return err
	}
	if err := r.runParentHooks(opts, proc.Pid); err != nil {
		return err
	}
	return proc.tell(sync, initproc.Message{Type: initproc.MsgContinue})
}

// handOverConsole sends the pty master to the engine's console socket and
// keeps no copy: the engine relays the terminal, not kobako. Without a
// socket (`kobako run -t`) the master stays in Process.Console.
func (r *Runtime) handOverConsole(proc *Process, socket string) error {
	if socket == "" || proc.Console == nil {
		return nil
	}
	// (no shell twin: SCM_RIGHTS over the socket, as runc sends it)
	err := sendToConsoleSocket(socket, proc.Console)
	r.Tracer.Step("send the pty master to the console socket", "(sendmsg SCM_RIGHTS to "+socket+")",
		fmt.Sprintf("sendToConsoleSocket(%q, master)", socket), err)
	proc.Console.Close()
	proc.Console = nil
	return err
}

// parentSteps is what the parent does for the init before "continue":
// its OOM score, the uid and gid maps, the cgroup, and the image's
// idmapped layers, which go with "continue" for the init to mount.
func (r *Runtime) parentSteps(opts CreateOptions, layout *cgroups.Layout, proc *Process, sync int, u *undo.Stack) error {
	// echo -500 > /proc/$PID/oom_score_adj: the command inherits it
	if err := writeOOMScoreAdj(opts.Spec.Process.OOMScoreAdj, proc.Pid, r.Tracer); err != nil {
		return err
	}
	// echo '0 100000 65536' > /proc/$PID/uid_map (and gid_map): unshare's -r
	if err := writeIDMaps(opts.Spec.Linux, proc.Pid, r.Tracer); err != nil {
		return err
	}
	// cgexec -g cpu,memory:kobako/$ID
	if err := r.joinCgroup(opts.Spec, layout, proc, u); err != nil {
		return err
	}
	var idmapped []*os.File
	if opts.Overlay != nil {
		// mount --bind -o X-mount.idmap=/proc/$PID/ns/user $IMAGE … — after
		// the maps, which the idmapping copies from the init's namespace.
		var err error
		if idmapped, err = idmappedLowers(opts.Spec.Linux, opts.Overlay.Lower, proc.Pid, r.Tracer); err != nil {
			return err
		}
		defer closeAll(idmapped)
	}
	return proc.tell(sync, initproc.Message{Type: initproc.MsgContinue}, descriptors(idmapped)...)
}

// absBundle makes the bundle's path absolute, as the OCI state has it.
func absBundle(bundle string) (string, error) {
	if bundle == "" {
		return "", nil
	}
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return "", fmt.Errorf("bundle %s: %w", bundle, err)
	}
	return abs, nil
}

// writeOOMScoreAdj sets how readily the kernel's OOM killer picks the
// init, and after its execve the command: -1000 never, 1000 first. The
// parent writes it — lowering it needs CAP_SYS_RESOURCE, which the init
// of a user namespace does not hold over the host.
func writeOOMScoreAdj(adj *int, pid int, tr *trace.Tracer) error {
	if adj == nil {
		return nil
	}
	return writeProcFile(pid, "oom_score_adj", strconv.Itoa(*adj), tr)
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

// makeStateDir makes <root>/<id>, 0700, with the exec fifo in it, and
// returns the fifo. Creating the directory is the atomic claim of the id:
// of two concurrent creates, one gets EEXIST. The directory is locked
// (flock) before anyone can look at it, and stays locked until unlock:
// that is how a sweep tells a create under way from one that died before
// it wrote state.json (orphans.go).
// Once the dir is made, unlock is returned even with an error: the caller
// releases it after its undo has removed the dir.
func (r *Runtime) makeStateDir(id string, linux *specs.Linux, u *undo.Stack) (fifo *os.File, unlock func(), err error) {
	if err := os.MkdirAll(r.Root, 0o700); err != nil {
		return nil, nil, fmt.Errorf("make state root: %w", err)
	}
	// flock -s $ROOT: a sweep holds it exclusively while it looks, so it
	// never sees this directory between its mkdir and its flock.
	unlockRoot, err := fileutil.FlockDir(r.Root, unix.LOCK_SH)
	if err != nil {
		return nil, nil, err
	}
	dir := r.dir(id)
	err = os.Mkdir(dir, 0o700)
	if err == nil {
		u.Push(func() error { return os.RemoveAll(dir) })
		// flock $ROOT/$ID, until create returns
		unlock, err = fileutil.LockDir(dir)
	}
	unlockRoot()
	if errors.Is(err, os.ErrExist) {
		return nil, nil, fmt.Errorf("container %s already exists", id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("make state dir: %w", err)
	}
	if fifo, err = makeExecFifo(dir, u); err == nil {
		// In a user namespace the init opens it as the container's root.
		err = chownToNamespaceRoot(fifo.Name(), linux)
	}
	if err != nil {
		return nil, unlock, err // unlocked by the caller, after its undo
	}
	return fifo, unlock, nil
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

// startInit clones the init into its namespaces — joined ones first,
// new ones by the clone — and sends its config. It returns the parent's
// end of the sync socket.
func (r *Runtime) startInit(opts CreateOptions, fifo *os.File, cgroupfs *rootfs.Cgroupfs, u *undo.Stack) (*Process, int, error) {
	flags, err := cloneFlags(opts.Spec.Linux)
	if err != nil {
		return nil, -1, err
	}
	joined, err := openJoined(opts.Spec.Linux)
	if err != nil {
		return nil, -1, err
	}
	defer closeJoined(joined)
	self, err := sealedInit()
	if err != nil {
		return nil, -1, err
	}
	defer self.Close()
	filter, err := r.seccompFor(opts.Spec.Linux)
	if err != nil {
		return nil, -1, err
	}
	cfg := initproc.Config{
		ID: opts.ID, Spec: withoutSeccompRules(opts.Spec), Seccomp: filter, Overlay: opts.Overlay, Cgroupfs: cgroupfs,
		Trace: r.Tracer.Config(), PreserveFDs: opts.PreserveFDs, Bundle: opts.Bundle,
	}
	shell := "unshare -muinpf"
	if flags != articleCloneFlags {
		shell = unshareShell(flags) // this spec's own letters
	}
	// Capabilities that outlive the init's execve in a new user namespace,
	// where its uid is not mapped yet (see userns.go).
	var ambient []uintptr
	if flags&unix.CLONE_NEWUSER != 0 {
		if ambient, err = ambientCapabilities(); err != nil {
			return nil, -1, err
		}
	}
	proc, sync, err := inJoinedNamespaces(joined, r.Tracer, func() (*Process, int, error) {
		r.Tracer.Step("new namespaces", shell, fmt.Sprintf("exec.Cmd{Path: \"/proc/self/fd/%d\", Args: [kobako-init], Cloneflags: %s}", initproc.FDSelf, flagNames(flags)), nil)
		return r.spawnInit(cfg, self, fifo, func(cmd *exec.Cmd) {
			cmd.SysProcAttr.Cloneflags = flags
			cmd.SysProcAttr.AmbientCaps = ambient
			if !opts.Spec.Process.Terminal {
				setStdio(cmd, opts.Stdio)
			}
		})
	})
	if err != nil {
		return nil, -1, err
	}
	u.Push(func() error { unix.Close(sync); proc.kill(); return nil })
	return proc, sync, nil
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
			Version:     specs.Version,
			ID:          opts.ID,
			Status:      status,
			Pid:         p.Pid,
			Bundle:      opts.Bundle,
			Annotations: opts.Spec.Annotations,
		},
		InitStartTime: ps.startTime,
		Created:       time.Now().UTC(),
		Rootfs:        opts.Spec.Root.Path,
		Hooks:         opts.Spec.Hooks,
		// No PID namespace made for it: its init's death ends nothing else.
		SharedPIDNamespace: !initproc.NewNamespace(opts.Spec.Linux, specs.PIDNamespace),
	}
	if opts.Spec.Linux != nil {
		st.CgroupsPath = opts.Spec.Linux.CgroupsPath
	}
	return r.saveState(st)
}
