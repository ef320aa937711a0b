package runtime

// `kobako exec`: a new process in a running container. The article's
// Namespace chapter does it with nsenter:
//
//	nsenter -t $PID --ipc --uts --net --pid --cgroup --mount $CMD
//
// nsenter calls setns(2) once per namespace, then forks the command. kobako
// does the same from one OS thread of its own: setns changes only the
// calling thread, and a child forked from that thread starts in all of its
// namespaces. Joining a mount namespace needs a thread that does not share
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
	"syscall"

	"github.com/creack/pty"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/internal/trace"
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
	Process *specs.Process // Args, Env, Cwd, User, Terminal
	// User, if set, is USER[:GROUP] to look up in the container's
	// /etc/passwd; it replaces Process.User.
	User  string
	Stdio [3]*os.File // without a terminal; nil entries are /dev/null
	// ConsoleSize is the person's window size, set on the new pty before
	// the command starts (so its first `stty size` is right). Nil: 0×0.
	ConsoleSize *pty.Winsize
}

// Exec starts opts.Process inside container id and returns it; Wait
// waits for it like for a container's init.
func (r *Runtime) Exec(id string, opts ExecOptions) (*Process, error) {
	st, err := r.loadState(id)
	if err != nil {
		return nil, err
	}
	if st.Status != specs.StateRunning {
		return nil, fmt.Errorf("container %s is not running (%s): start it first", id, st.Status)
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
	type started struct {
		proc *Process
		err  error
	}
	done := make(chan started, 1)
	go func() {
		// Everything from here on happens on one locked thread, which
		// dies with this goroutine (no UnlockOSThread, on purpose).
		goruntime.LockOSThread()
		proc, err := startJoined(st.Pid, nsFiles, mgr, opts, r.Tracer)
		done <- started{proc, err}
	}()
	res := <-done
	return res.proc, res.err
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
		return nil, fmt.Errorf("%s: %w", st.ID, ErrNotRunning)
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// startJoined runs on the locked thread: join, find, start.
func startJoined(pid int, nsFiles []*os.File, mgr cgroups.Manager, opts ExecOptions, tr *trace.Tracer) (*Process, error) {
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
			// cgroup — the same "/" the init sees (see startCommand).
			continue
		}
		// nsenter -t $PID --ipc … (one namespace per call, as nsenter does)
		err := unix.Setns(int(nsFiles[i].Fd()), ns.flag)
		tr.Step("join "+ns.name+" namespace", fmt.Sprintf("nsenter -t %d %s", pid, ns.opt),
			fmt.Sprintf("unix.Setns(fd of /proc/%d/ns/%s, unix.CLONE_NEW…)", pid, ns.name), err)
		if err != nil {
			return nil, fmt.Errorf("setns %s: %w", ns.name, err)
		}
	}
	p := opts.Process
	// Inside the container's root now: its /etc/passwd, PATH and symlinks.
	if err := lookupUser(opts.User, p, tr); err != nil {
		return nil, err
	}
	argv0, err := lookPath(p.Args[0], envValue(p.Env, "PATH"))
	if err != nil {
		return nil, err
	}
	return startCommand(argv0, opts, cgroupFD, tr)
}

// startCommand forks the command from this thread, with a pty made in the
// container's own /dev/pts when asked for a terminal.
func startCommand(argv0 string, opts ExecOptions, cgroupFD int, tr *trace.Tracer) (*Process, error) {
	p := opts.Process
	cmd := &exec.Cmd{
		Path: argv0, Args: p.Args, Env: p.Env, Dir: p.Cwd,
		Stdin: opts.Stdio[0], Stdout: opts.Stdio[1], Stderr: opts.Stdio[2],
		SysProcAttr: &unix.SysProcAttr{
			Setsid:     true,
			Credential: &syscall.Credential{Uid: p.User.UID, Gid: p.User.GID, Groups: p.User.AdditionalGids},
		},
	}
	if cgroupFD >= 0 {
		// clone3(CLONE_INTO_CGROUP|CLONE_NEWCGROUP): born in the container's
		// cgroup (v2), with that cgroup as the root of its view.
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, cgroupFD
		cmd.SysProcAttr.Cloneflags |= unix.CLONE_NEWCGROUP
	}
	var master *os.File
	if p.Terminal {
		// open /dev/ptmx — the container's, since this thread joined its mounts
		m, slave, err := pty.Open()
		if err != nil {
			return nil, fmt.Errorf("open pty in container: %w", err)
		}
		defer slave.Close()
		master = m
		if opts.ConsoleSize != nil {
			// stty rows $ROWS cols $COLS
			if err := pty.Setsize(master, opts.ConsoleSize); err != nil {
				master.Close()
				return nil, fmt.Errorf("set pty size: %w", err)
			}
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr.Setctty, cmd.SysProcAttr.Ctty = true, 0
	}
	err := cmd.Start()
	tr.Step("start the command", "exec "+argv0, fmt.Sprintf("exec.Cmd{Path: %q}.Start()", argv0), err)
	if err != nil {
		if master != nil {
			master.Close()
		}
		code := 126
		if errors.Is(err, unix.ENOENT) {
			code = 127
		}
		return nil, &InitError{Code: code, Msg: fmt.Sprintf("exec %s: %v", p.Args[0], err)}
	}
	return &Process{cmd: cmd, Pid: cmd.Process.Pid, Console: master}, nil
}
