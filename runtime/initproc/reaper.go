package initproc

// `kobako run --init`: a tiny PID 1 in front of the command (what tini is
// for `docker run --init`). PID 1 of a PID namespace has two duties that
// ordinary programs do not know about:
//
//   - it adopts every orphan: a process whose parent dies becomes its
//     child, and stays a zombie in the process table until PID 1 waits for
//     it. A shell or a server that never calls wait(2) for children it did
//     not start fills the table with zombies.
//   - the kernel delivers it no signal it has no handler for: `kobako stop`
//     sends SIGTERM, a plain `sleep` as PID 1 ignores it, and stop has to
//     wait for its timeout and SIGKILL.
//
// The reaper does both: it starts the command as its child, passes on
// every signal it gets, waits for every child it is given, and exits as
// the command did. It is kobako-init again, exec'd by the init at the very
// end from the sealed handle it was started from — after the user,
// capabilities and no_new_privs are in place, so it has no more power
// than the command itself.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// ReaperCommand is the hidden first argument that makes kobako the reaper.
const ReaperCommand = "reaper"

// InitAnnotation asks for the reaper (`run --init`).
const InitAnnotation = "org.kobako.init"

// withReaper makes the reaper the program to exec, with the command as its
// arguments: the sealed kobako the init was started from (fd 7, see
// selfexe.go), then reaper -- CMD.
func withReaper(argv0 string, p *specs.Process) (string, *specs.Process) {
	reaped := *p
	reaped.Args = append([]string{"kobako-init", ReaperCommand, "--", argv0}, p.Args...)
	return fmt.Sprintf("/proc/self/fd/%d", FDSelf), &reaped
}

// Reap runs as PID 1: args are "--", the command's path, then its argv.
// It never returns.
func Reap(args []string) {
	if len(args) < 3 || args[0] != "--" {
		fmt.Fprintln(os.Stderr, "kobako-init: usage: kobako reaper -- PATH ARGV0 [ARG...]")
		os.Exit(125)
	}
	// A window remains, and the lesson is in it: from its execve until
	// here, the Go runtime starts (milliseconds, more on a busy machine)
	// and a signal sent meanwhile meets Go's default handling — TERM ends
	// the reaper with status 2. tini, written in C, blocks signals in its
	// first instructions; a Go program cannot keep TERM blocked, since the
	// runtime unblocks it on every thread it starts.
	signals := make(chan os.Signal, 32)
	signal.Notify(signals) // every signal that can be caught
	// Now ps may say what PID 1 is, and that it listens: it was exec'd as
	// /proc/self/fd/7, which would show as "7". (The main thread's name:
	// /proc/self/comm, not prctl, which names whichever thread runs this.)
	os.WriteFile("/proc/self/comm", []byte("kobako-init"), 0)
	cmd := &exec.Cmd{Path: args[1], Args: args[2:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if term.IsTerminal(0) {
		// Its own process group, in the terminal's foreground: ^C goes to
		// the command, not to us.
		cmd.SysProcAttr = &unix.SysProcAttr{Foreground: true, Ctty: 0}
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "kobako-init: %v\n", err)
		os.Exit(126)
	}
	for sig := range signals {
		if sig == unix.SIGURG {
			continue // Go's own scheduler uses it to preempt goroutines
		}
		if sig != unix.SIGCHLD {
			// kill -$SIG $CHILD
			cmd.Process.Signal(sig)
			continue
		}
		if status, done := reapAll(cmd.Process.Pid); done {
			os.Exit(status)
		}
	}
}

// reapAll waits for every child that has exited — the command, and the
// orphans that were handed to us. done is true once the command has, with
// the status to exit with: its code, or 128+N after signal N.
func reapAll(command int) (status int, done bool) {
	for {
		var ws unix.WaitStatus
		// wait -n, for anyone, without blocking
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || errors.Is(err, unix.ECHILD) {
			return status, done
		}
		if pid == command {
			done = true
			status = ws.ExitStatus()
			if ws.Signaled() {
				status = 128 + int(ws.Signal())
			}
		}
	}
}
