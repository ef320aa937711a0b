package runtime

// `kobako exec`: a new process in a running container. The article's
// Namespace chapter does it with nsenter:
//
//	nsenter -t $PID --ipc --uts --net --pid --cgroup --mount $CMD
//
// nsenter calls setns(2) once per namespace, then forks the command. kobako
// does the same from one OS thread of its own: setns changes only the
// calling thread, and a child forked from that thread starts in all of its
// namespaces. The child is kobako's init again (from the sealed binary, see
// selfexe.go), which then takes the same steps the container's init took
// before its command — user, rlimits, capabilities, no_new_privs — and
// execs the command. Joining a mount namespace needs a thread that does not share
// its root and working directory with the others (unshare CLONE_FS first),
// and a user namespace cannot be joined by a multi-threaded process at all —
// Go's processes always are — which is why this works without user
// namespaces only. The thread is never given back to the Go scheduler: it
// ends when its goroutine does.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"strings"

	"github.com/creack/pty"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/runtime/initproc"
)

// joinOrder lists the namespaces to join; mount comes last, because after
// it paths (/proc/$PID/ns/… among them) are the container's.
var joinOrder = []struct {
	name string
	flag int
	opt  string // nsenter's option
}{
	{"ipc", unix.CLONE_NEWIPC, "--ipc"},
	{"uts", unix.CLONE_NEWUTS, "--uts"},
	{"net", unix.CLONE_NEWNET, "--net"},
	{"pid", unix.CLONE_NEWPID, "--pid"},
	{"cgroup", unix.CLONE_NEWCGROUP, "--cgroup"},
	{"mnt", unix.CLONE_NEWNS, "--mount"},
}

// ExecOptions is a process to start in a running container.
type ExecOptions struct {
	Process *specs.Process // Args, Env, Cwd, User, Terminal, Capabilities …
	// User, if set, is USER[:GROUP] to look up in the container's
	// /etc/passwd; it replaces Process.User.
	User  string
	Stdio [3]*os.File // without a terminal; nil entries are /dev/null
	// ConsoleSize is the person's window size, set on the new pty before
	// the command starts (so its first `stty size` is right). Nil: 0×0.
	ConsoleSize *pty.Winsize
	// Seccomp is the container's filter, which the process gets too.
	Seccomp *specs.LinuxSeccomp
	// ConsoleSocket, with a terminal, is where an engine waits for the
	// pty master (console_socket.go); Process.Console is then nil.
	ConsoleSocket string
	// PidFile gets the process's host pid once it has started.
	PidFile string
	// PreserveFDs is how many descriptors from 3 on the process inherits
	// as they are (runc's --preserve-fds), besides stdio.
	PreserveFDs int
}

// Exec starts opts.Process inside container id (created or running) and
// returns it; Wait waits for it like for a container's init.
func (r *Runtime) Exec(id string, opts ExecOptions) (*Process, error) {
	r.nameInTrace(id, "")
	st, err := r.loadState(id)
	if err != nil {
		return nil, err
	}
	if err := execAllowed(st); err != nil {
		return nil, err
	}
	if opts.ConsoleSocket != "" && !opts.Process.Terminal {
		return nil, errors.New("a console socket is for a terminal: set process.terminal (--tty), or leave out --console-socket")
	}
	// A user namespace cannot be joined from Go (userns.go says why).
	if err := checkJoinable(id, st.Pid); err != nil {
		return nil, err
	}
	nsFiles, err := openNamespaces(st)
	if err != nil {
		return nil, err
	}
	defer closeAll(nsFiles)
	mgr, err := r.managerOf(st)
	if err != nil {
		return nil, err
	}
	// Out here /proc/self is still ours: seal the binary before joining.
	self, err := sealedInit()
	if err != nil {
		return nil, err
	}
	defer self.Close()
	spec := execSpec(opts)
	filter, err := r.seccompFor(spec.Linux)
	if err != nil {
		return nil, err
	}
	cfg := initproc.Config{ID: id, Spec: withoutSeccompRules(spec), Seccomp: filter, Trace: r.Tracer.Config(), Exec: true, PreserveFDs: opts.PreserveFDs}
	var proc *Process
	onThrowawayThread(func() {
		proc, err = r.startJoined(st.Pid, nsFiles, mgr, cfg, self, opts.Stdio)
	})
	if err != nil {
		return nil, err
	}
	if err := handOver(proc, opts); err != nil {
		proc.kill() // nobody would hold its terminal, or know its pid
		return nil, err
	}
	return proc, nil
}

// onThrowawayThread runs work on an OS thread of its own, locked to it,
// which ends with it (no UnlockOSThread, on purpose): joined to the
// container's namespaces and cgroup, it must never run anything else.
//
// Not on the main thread: Go cannot end that one (on Linux the process
// would become a zombie) and parks it for ever instead — in the
// container's namespaces, and on cgroup v1 in its cgroup, where a pause
// would freeze kobako and a `kill --all` kill it. A goroutine that finds
// itself there keeps the main thread locked, so that a second goroutine
// cannot get it, hands the work to that one, and gives the untouched
// main thread back.
func onThrowawayThread(work func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		goruntime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			onThrowawayThread(work)
			goruntime.UnlockOSThread()
			return
		}
		work()
	}()
	<-done
}

// errExecStopped is runc's word for an exec into a stopped container.
var errExecStopped = errors.New("cannot exec in a stopped container")

// execAllowed refuses, in runc's words, an exec that would hang (into a
// frozen cgroup) or find nothing to join. A created container may take
// one, as in runc: its namespaces are all made.
func execAllowed(st *State) error {
	switch st.Status {
	case specs.StateRunning, specs.StateCreated:
		return nil
	case StatePaused:
		return errors.New("cannot exec in a paused container")
	case specs.StateStopped:
		return errExecStopped
	}
	return fmt.Errorf("container %s is still being created: exec once create has returned", st.ID)
}

// handOver gives an engine what it waits for once the process runs: the
// pty master through its console socket (our copy is closed, so the
// engine alone holds the terminal), and the pid in its pid file.
func handOver(proc *Process, opts ExecOptions) error {
	if proc.Console != nil && opts.ConsoleSocket != "" {
		err := sendToConsoleSocket(opts.ConsoleSocket, proc.Console)
		proc.Console.Close()
		proc.Console = nil
		if err != nil {
			return err
		}
	}
	return writePidFile(opts.PidFile, proc.Pid)
}

// execSpec is the config of an exec's init: the process, with its size and
// its user to look up; the root is the one it is born in.
func execSpec(opts ExecOptions) *specs.Spec {
	p := *opts.Process
	if opts.ConsoleSize != nil {
		p.ConsoleSize = &specs.Box{Height: uint(opts.ConsoleSize.Rows), Width: uint(opts.ConsoleSize.Cols)}
	}
	spec := &specs.Spec{Version: specs.Version, Root: &specs.Root{Path: "/"}, Process: &p, Linux: &specs.Linux{Seccomp: opts.Seccomp}}
	if opts.User != "" {
		spec.Annotations = map[string]string{initproc.UserAnnotation: opts.User}
	}
	return spec
}

// openNamespaces opens /proc/$PID/ns/* while /proc is still the host's,
// and checks the pid still belongs to the container's init.
func openNamespaces(st *State) ([]*os.File, error) {
	var files []*os.File
	for _, ns := range joinOrder {
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/%s", st.Pid, ns.name))
		if err != nil {
			closeAll(files)
			return nil, fmt.Errorf("open %s namespace of %s: %w", ns.name, st.ID, err)
		}
		files = append(files, f)
	}
	if !initAlive(st.Pid, st.InitStartTime) {
		closeAll(files)
		return nil, errExecStopped // its init ended meanwhile
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// startJoined runs on the locked thread: join, then start the init.
func (r *Runtime) startJoined(pid int, nsFiles []*os.File, mgr cgroups.Manager, cfg initproc.Config, self *os.File, stdio [3]*os.File) (*Process, error) {
	// The cgroup first: its files are the host's /sys/fs/cgroup, which the
	// container's mount namespace does not show. cgexec -g …:kobako/$ID
	cgroupFD := -1
	if mgr != nil {
		var err error
		if cgroupFD, err = mgr.Enter(); err != nil {
			return nil, fmt.Errorf("join the container's cgroup: %w", err)
		}
		if cgroupFD >= 0 {
			defer unix.Close(cgroupFD)
		}
	}
	// unshare --fs: setns into a mount namespace needs a private root/cwd.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("unshare CLONE_FS: %w", err)
	}
	for i, ns := range joinOrder {
		if ns.flag == unix.CLONE_NEWCGROUP && cgroupFD >= 0 {
			// v2: clone3(CLONE_INTO_CGROUP) is refused from inside the
			// container's cgroup namespace when cgroup2 is mounted with
			// nsdelegate (as systemd mounts it): the caller's own cgroup lies
			// outside that namespace. So the child gets a cgroup namespace
			// of its own at clone time instead, rooted at the container's
			// cgroup — the same "/" the init sees (see below).
			continue
		}
		// nsenter -t $PID --ipc … (one namespace per call, as nsenter does)
		err := unix.Setns(int(nsFiles[i].Fd()), ns.flag)
		r.Tracer.Step("join "+ns.name+" namespace", fmt.Sprintf("nsenter -t %d %s", pid, ns.opt),
			fmt.Sprintf("unix.Setns(fd of /proc/%d/ns/%s, unix.CLONE_NEW…)", pid, ns.name), err)
		if err != nil {
			return nil, fmt.Errorf("setns %s: %w", ns.name, err)
		}
	}
	proc, sync, err := r.spawnInit(cfg, self, nil, func(cmd *exec.Cmd) {
		if !cfg.Spec.Process.Terminal {
			setStdio(cmd, stdio)
		}
		if cgroupFD >= 0 {
			// clone3(CLONE_INTO_CGROUP|CLONE_NEWCGROUP): born in the
			// container's cgroup (v2), with that cgroup as the root of its view.
			cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, cgroupFD
			cmd.SysProcAttr.Cloneflags |= unix.CLONE_NEWCGROUP
		}
	})
	r.Tracer.Step("start the command", "exec "+strings.Join(cfg.Spec.Process.Args, " "),
		fmt.Sprintf("exec.Cmd{Path: \"/proc/self/fd/%d\", Args: [kobako-init]}.Start()", initproc.FDSelf), err)
	if binary, _ := initBinary(); errors.Is(err, unix.ENOENT) && !isStatic(binary) {
		return nil, errors.New("this kobako-init is dynamically linked, and its loader (/lib64/ld-linux…) is not in the container: build it static, with CGO_ENABLED=0 (make build does)")
	}
	if err != nil {
		return nil, err
	}
	defer unix.Close(sync)
	if err := proc.awaitReady(sync, true); err != nil {
		var reported *initproc.InitError
		if !errors.As(err, &reported) {
			proc.kill() // a reported failure has exited already
		}
		return nil, err
	}
	return proc, nil
}
