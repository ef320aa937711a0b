package main

// runc's create, start and run: an OCI container's life in two steps, or
// in one.
//
//	kobako create --bundle B [--pid-file F] [--console-socket S] ID   # built, blocked before its command
//	kobako start ID                                                   # its command runs
//	kobako run [--bundle B] [--detach] ID                             # both, then wait (and delete)
//
// create returns once the container is built and its init waits on the
// exec fifo (runtime/start.go); the init is left behind as an orphan, and
// the engine that called create — conmon, containerd's shim — inherits it
// as the subreaper it made itself, and waits for it. The container's
// stdin, stdout and stderr are create's own, passed through untouched:
// that is how the engine connects the container's output to its logs.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/runtime"
)

// ociCreateFlags are create's flags, which run has too.
func ociCreateFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "the bundle `DIR`: config.json and its root file system (default: the current directory)"},
		&cli.StringFlag{Name: "console-socket", Usage: "for a process with a terminal: the unix socket `PATH` the engine listens on; kobako sends it the pty's master end (SCM_RIGHTS)"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the init's pid to `FILE` before returning; the engine reads it to know whom to wait for"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "runc's chroot instead of pivot_root, for a root on a ramdisk: not supported"},
		&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring: not supported (each container gets its own)"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass `N` descriptors after stdio (3 … 3+N-1) on to the container, plus $LISTEN_FDS of them"},
	}
}

func ociCreateCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "create a container",
		ArgsUsage: "ID",
		Description: `Builds the container of an OCI bundle — namespaces, cgroup, mounts,
pivot_root — and stops its init right before the command of config.json's
process.args: kobako start runs it. Until then kobako state says "created".

Engines call it so (containerd's shim, podman's conmon):
   kobako --root R --log B/log.json --log-format json create --bundle B --pid-file B/init.pid ID
and read the pid file, then wait for that pid. A process with a terminal
needs --console-socket: the pty's master is sent there, for the engine to
relay. The container's stdin, stdout and stderr are create's own.

Anything in config.json kobako cannot do is refused here, before the engine
is told "created" (kobako features lists what it does).`,
		Flags: ociCreateFlags(),
		Action: withContainer(func(cmd *cli.Command, rt *runtime.Runtime, id string) error {
			// The init outlives this process: it is the engine's to wait for.
			_, err := ociCreate(cmd, rt, id, true)
			return err
		}),
	}
}

func ociStartCommand() *cli.Command {
	return &cli.Command{
		Name:      "start",
		Usage:     "executes the user defined process in a created container",
		ArgsUsage: "ID",
		Description: `Lets a created container's init go on: it opens the exec fifo the init is
blocked on, the init execs config.json's process.args, and kobako state says
"running". Engines call it right after create (podman's start, containerd's
task start). A container that is running or has stopped is refused with
runc's words.

(kobako start NAME, without an engine's id, is kobako's own start.)`,
		Action: withContainer(func(cmd *cli.Command, rt *runtime.Runtime, id string) error {
			return rt.Start(id)
		}),
	}
}

func ociRunCommand() *cli.Command {
	flags := append(ociCreateFlags(),
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the command runs; without it, wait for the container and exit with its status"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "accepted: kobako never makes itself a subreaper (the container's PID 1 reaps its orphans)"},
	)
	return &cli.Command{
		Name:      "run",
		Usage:     "create and run a container",
		ArgsUsage: "ID",
		Description: `create, then start, in one: the container of the bundle (default: the
current directory) runs config.json's process.args. Without --detach kobako
waits, connected to it — a terminal through its pty when process.terminal is
true, signals passed on — then deletes it and exits with its status, as
runc run does. With --detach it returns once the command runs.

   kobako spec && sed -i 's/"sh"/"ls", "\/"/' config.json && sudo kobako run c1

(kobako run IMAGE, without --bundle, is kobako's own run.)`,
		Flags: flags,
		Action: withContainer(func(cmd *cli.Command, rt *runtime.Runtime, id string) error {
			return ociRun(cmd, rt, id)
		}),
	}
}

// ociRun is create and start, and, in the foreground, the wait for the
// container, its deletion and its exit status.
func ociRun(cmd *cli.Command, rt *runtime.Runtime, id string) error {
	detach := cmd.Bool("detach")
	proc, err := ociCreate(cmd, rt, id, detach)
	if err != nil {
		return err
	}
	// The person's terminal is relayed (and in raw mode) before the
	// command runs, so that its first output and keys are not lost.
	fg, err := startForeground(proc, !detach)
	if err != nil {
		rt.Delete(id, true)
		return err
	}
	if err := rt.Start(id); err != nil {
		fg.stop()
		rt.Delete(id, true)
		return err
	}
	if detach {
		return nil
	}
	status, err := fg.wait()
	if !cmd.Bool("keep") {
		if derr := rt.Delete(id, true); err == nil {
			err = derr
		}
	}
	if err != nil {
		return err
	}
	return &exitError{code: status}
}

// ociCreate creates the container cmd's flags describe, from the bundle's
// config.json. detach says whether nobody will wait here: then a terminal
// needs a console socket to go to.
func ociCreate(cmd *cli.Command, rt *runtime.Runtime, id string, detach bool) (*runtime.Process, error) {
	if cmd.Bool("no-pivot") || cmd.Bool("no-new-keyring") {
		return nil, errors.New("--no-pivot and --no-new-keyring are not supported: kobako always pivot_roots into the root file system and gives each container a session keyring of its own; leave them out")
	}
	bundle, err := bundleDir(cmd.String("bundle"))
	if err != nil {
		return nil, err
	}
	spec, err := runtime.LoadBundle(bundle)
	if err != nil {
		return nil, err
	}
	if err := checkTerminal(spec.Process, detach, cmd.String("console-socket")); err != nil {
		return nil, err
	}
	if err := systemdCgroupsPath(cmd, spec); err != nil {
		return nil, err
	}
	pidFile, err := absOrEmpty(cmd.String("pid-file"))
	if err != nil {
		return nil, err
	}
	proc, err := rt.Create(runtime.CreateOptions{
		ID:            id,
		Bundle:        bundle,
		Spec:          spec,
		Stdio:         [3]*os.File{os.Stdin, os.Stdout, os.Stderr},
		ConsoleSocket: cmd.String("console-socket"),
		PidFile:       pidFile,
		PreserveFDs:   int(cmd.Int("preserve-fds")),
	})
	if err != nil {
		return nil, err
	}
	return proc, nil
}

// bundleDir is --bundle made absolute: the current directory when empty,
// as runc has it.
func bundleDir(flag string) (string, error) {
	if flag == "" {
		flag = "."
	}
	return filepath.Abs(flag)
}

// absOrEmpty makes a file name given on the command line absolute.
func absOrEmpty(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	return filepath.Abs(path)
}

// checkTerminal is runc's rule for a pty: a detached process's terminal
// must go to an engine's console socket, and a console socket is only for
// a detached process that has a terminal.
func checkTerminal(p *specs.Process, detach bool, consoleSocket string) error {
	terminal := p != nil && p.Terminal
	if detach && terminal && consoleSocket == "" {
		return errors.New("cannot allocate tty if runc will detach without setting console socket: pass --console-socket, or set process.terminal to false")
	}
	if (!detach || !terminal) && consoleSocket != "" {
		return errors.New("cannot use console socket if runc will not detach or allocate tty: leave --console-socket out, or set process.terminal to true")
	}
	return nil
}

// systemdCgroupsPath reads cgroupsPath as systemd's "slice:prefix:name"
// under --systemd-cgroup, and replaces it with the cgroupfs path systemd
// would give that scope. No systemd is asked: kobako makes the cgroup
// itself, where systemd would have.
func systemdCgroupsPath(cmd *cli.Command, spec *specs.Spec) error {
	if !cmd.Bool("systemd-cgroup") || spec.Linux == nil || spec.Linux.CgroupsPath == "" {
		return nil
	}
	path, err := cgroups.SystemdPath(spec.Linux.CgroupsPath)
	if err != nil {
		return fmt.Errorf("--systemd-cgroup: %w", err)
	}
	spec.Linux.CgroupsPath = path
	return nil
}
