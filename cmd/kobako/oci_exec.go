package main

// runc's exec: one more process in a container, the article's
//
//	nsenter -t $PID --ipc --uts --net --pid --cgroup --mount $CMD
//
// Engines describe the process in a file (--process P.json: runc's
// process.json, config.json's "process" object) and pass --detach: they
// wait for it themselves, by the pid they read from --pid-file. The flag
// form (kobako exec ID CMD ARG…) starts from config.json's process and
// changes what the flags say, as runc does. Either way the process gets
// the container's seccomp filter, read from its bundle.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/runtime"
)

// execFailed is runc's exit status for an exec that did not start.
const execFailed = 255

// maxProcessFile bounds --process: a process.json is a few kilobytes.
const maxProcessFile = 4 << 20

func ociExecCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "execute new process inside the container",
		ArgsUsage: "ID COMMAND [ARG...]  |  --process process.json ID",
		Description: `Starts a process in a running (or created) container: it joins the init's
namespaces and cgroup and takes the same steps the init took before its
command — user, rlimits, capabilities, no_new_privs, seccomp — then execs.

Engines pass the process as runc's process.json and wait for it themselves:
   kobako exec --process P.json --detach --pid-file P.pid [--console-socket S] ID
By hand, the flags change config.json's process:
   sudo kobako exec c1 ps
   sudo kobako exec --tty --env A=1 --cwd /tmp c1 sh

Without --detach kobako waits and exits with the process's status. An exec
that could not start exits 255, as runc's does.

(kobako exec NAME CMD, for kobako's own containers, is kobako's own exec.)`,
		StopOnNthArg: intPtr(1),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "console-socket", Usage: "with --tty and --detach: the unix socket `PATH` that gets the pty's master end"},
			&cli.StringFlag{Name: "cwd", Usage: "working `DIR` in the container"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "add `KEY=VALUE` to the environment (repeatable)"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "give the process a terminal (a pty of the container's /dev/pts)"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "run as `UID[:GID]` (numbers)"},
			&cli.Int64SliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "a supplementary `GID` (repeatable)"},
			&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "the process, as runc's process.json `FILE`; the other flags of the process are ignored"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the process runs (its pid in --pid-file)"},
			&cli.StringFlag{Name: "pid-file", Usage: "write the process's pid to `FILE`"},
			&cli.StringFlag{Name: "process-label", Usage: "the SELinux `LABEL` of the process"},
			&cli.StringFlag{Name: "apparmor", Usage: "the AppArmor `PROFILE` of the process"},
			&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs: setuid programs cannot raise the process's privileges"},
			&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add capability `CAP` (CAP_NET_ADMIN) to the process's sets (repeatable)"},
			&cli.IntFlag{Name: "preserve-fds", Usage: "pass `N` descriptors after stdio (3 … 3+N-1) on to the process"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			status, err := ociExec(cmd)
			if err != nil {
				return &exitError{code: execFailed, err: fmt.Errorf("exec failed: %w", err)}
			}
			if status != 0 {
				return &exitError{code: status}
			}
			return nil
		},
	}
}

// ociExec starts the process and, without --detach, waits for it.
func ociExec(cmd *cli.Command) (int, error) {
	if cmd.Args().Len() < 1 {
		return 0, errors.New(`"exec" needs the container's id: kobako exec ID COMMAND… or kobako exec --process FILE ID`)
	}
	if cmd.String("process") == "" && cmd.Args().Len() == 1 {
		return 0, errors.New("process args cannot be empty: give a command after the id, or --process FILE")
	}
	if err := keepPreservedFDs(int(cmd.Int("preserve-fds"))); err != nil {
		return 0, err
	}
	// From here on this process must not be the host's binary: it forks
	// inside the container (runtime/selfexe.go). This re-executes kobako
	// with the same command line, and comes back here.
	if err := runtime.RunSealed(); err != nil {
		return 0, fmt.Errorf("run kobako from a sealed copy of itself: %w", err)
	}
	rt, err := runtimeOf(cmd)
	if err != nil {
		return 0, err
	}
	id := cmd.Args().First()
	st, err := rt.State(id)
	if err != nil {
		return 0, err
	}
	config, err := runtime.LoadBundle(st.Bundle)
	if err != nil {
		return 0, fmt.Errorf("read the container's config.json: %w", err)
	}
	process, err := execProcess(cmd, config)
	if err != nil {
		return 0, err
	}
	// The process passes create's checks, in the container's config: what
	// kobako cannot do for the init (an AppArmor profile, a scheduler …) it
	// cannot do here either.
	withProcess := *config
	withProcess.Process = process
	if err := runtime.Validate(&withProcess); err != nil {
		return 0, err
	}
	detach := cmd.Bool("detach")
	if err := checkTerminal(process, detach, cmd.String("console-socket")); err != nil {
		return 0, err
	}
	pidFile, err := absOrEmpty(cmd.String("pid-file"))
	if err != nil {
		return 0, err
	}
	opts := runtime.ExecOptions{
		Process:       process,
		Stdio:         [3]*os.File{os.Stdin, os.Stdout, os.Stderr},
		ConsoleSocket: cmd.String("console-socket"),
		PidFile:       pidFile,
		PreserveFDs:   int(cmd.Int("preserve-fds")),
	}
	if config.Linux != nil {
		opts.Seccomp = config.Linux.Seccomp
	}
	proc, err := rt.Exec(id, opts)
	if err != nil {
		return 0, err
	}
	fg, err := startForeground(proc, !detach)
	if err != nil || detach {
		return 0, err
	}
	return fg.wait()
}

// execProcess is the process to start: --process's file, or config.json's
// process changed by the flags.
func execProcess(cmd *cli.Command, config *specs.Spec) (*specs.Process, error) {
	if path := cmd.String("process"); path != "" {
		return readProcessFile(path)
	}
	if config.Process == nil {
		return nil, errors.New("config.json has no process to start from: use --process FILE")
	}
	p := *config.Process
	p.Args = cmd.Args().Tail()
	if cwd := cmd.String("cwd"); cwd != "" {
		p.Cwd = cwd
	}
	if profile := cmd.String("apparmor"); profile != "" {
		p.ApparmorProfile = profile
	}
	if label := cmd.String("process-label"); label != "" {
		p.SelinuxLabel = label
	}
	if caps := cmd.StringSlice("cap"); len(caps) > 0 {
		p.Capabilities = withCapabilities(p.Capabilities, caps)
	}
	p.Env = append(append([]string(nil), p.Env...), cmd.StringSlice("env")...)
	// runc: a terminal only when --tty asks for one, whatever config.json says.
	p.Terminal = cmd.Bool("tty")
	if cmd.IsSet("no-new-privs") {
		p.NoNewPrivileges = cmd.Bool("no-new-privs")
	}
	if u := cmd.String("user"); u != "" {
		uid, gid, err := parseUIDGID(u, p.User.GID)
		if err != nil {
			return nil, err
		}
		p.User.UID, p.User.GID = uid, gid
	}
	for _, gid := range cmd.Int64Slice("additional-gids") {
		if gid < 0 || gid > 1<<32-1 {
			return nil, fmt.Errorf("--additional-gids %d: want a group id, 0 or more", gid)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(gid))
	}
	return &p, nil
}

// readProcessFile reads runc's process.json.
func readProcessFile(path string) (*specs.Process, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--process: %w", err)
	}
	defer f.Close()
	var p specs.Process
	if err := json.NewDecoder(io.LimitReader(f, maxProcessFile)).Decode(&p); err != nil {
		return nil, fmt.Errorf("--process %s: %w", path, err)
	}
	if len(p.Args) == 0 {
		return nil, fmt.Errorf("--process %s: args must not be empty", path)
	}
	return &p, nil
}

// withCapabilities is c with caps added to every set, as runc's --cap
// does (bounding, effective, permitted, ambient).
func withCapabilities(c *specs.LinuxCapabilities, caps []string) *specs.LinuxCapabilities {
	out := specs.LinuxCapabilities{}
	if c != nil {
		out = *c
	}
	for _, name := range caps {
		out.Bounding = append(out.Bounding, name)
		out.Effective = append(out.Effective, name)
		out.Permitted = append(out.Permitted, name)
		out.Ambient = append(out.Ambient, name)
	}
	return &out
}

// parseUIDGID reads --user's UID[:GID]; a missing GID keeps gid.
func parseUIDGID(s string, gid uint32) (uint32, uint32, error) {
	uidText, gidText, withGID := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(uidText, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("--user %q: want UID[:GID], numbers", s)
	}
	if withGID {
		g, err := strconv.ParseUint(gidText, 10, 32)
		if err != nil {
			return 0, 0, fmt.Errorf("--user %q: want UID[:GID], numbers", s)
		}
		gid = uint32(g)
	}
	return uint32(uid), gid, nil
}

// keepPreservedFDs clears close-on-exec on descriptors 3 … 3+n-1. kobako
// marks every inherited descriptor close-on-exec first thing (main.go);
// the ones an engine asks to pass on must survive RunSealed's re-exec,
// where main marks them again and the runtime hands them on.
func keepPreservedFDs(n int) error {
	if n < 0 {
		return fmt.Errorf("--preserve-fds %d: want 0 or more", n)
	}
	for fd := 3; fd < 3+n; fd++ {
		// fcntl(fd, F_SETFD, 0)
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("--preserve-fds %d: descriptor %d: %w", n, fd, err)
		}
	}
	return nil
}
