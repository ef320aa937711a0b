// Package chrootdemo is the unsafe half of the tutorial's chapter
// "chroot と pivot_root": a demonstration container switched with chroot
// alone, still holding CAP_SYS_CHROOT, in which the learner runs the classic
// escape (escape.go) and reads a marker the tutorial placed outside the
// image. The same escape run in a kobako container stops at the container's
// own root, because kobako uses pivot_root and unmounts the old root.
//
// Shell twin of the whole demo (article §6.1, done the dangerous way on
// purpose):
//
//	unshare -muinpf sh -c '
//	  mount --make-rprivate /
//	  mount -t tmpfs kobako-chroot-demo /tmp        # "top": README, marker.txt
//	  mount -t tmpfs kobako-chroot-image /tmp/image # busybox, /proc, escape
//	  mount -o remount,ro /tmp                      # the marker stays read-only
//	  cd /tmp && pivot_root . . && umount -l .      # the host is gone
//	  chroot /image                                 # …and this is the weak part
//	  hostname chroot-demo
//	  capsh --caps=cap_chown,cap_dac_override,cap_fowner,cap_sys_chroot+ep -- -c "exec sh"'
//
// It is not a container runtime and must never become one: it exists only
// in kobako-tutor, says loudly that it is unsafe, and keeps the host out of
// reach in a different way — its mount namespace holds nothing of the
// host's, so the climb can reach only the tutorial's own tmpfs.
//
// The files follow the demo's life: this one is the tutorial's side (Run);
// protocol.go is how it talks to the child; init.go is the child, one call
// per step, with top.go, image.go, chroot.go and capabilities.go as its
// steps; escape.go and report.go are the tool the learner runs.
package chrootdemo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	goruntime "runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// InitCommand is the first argument that makes kobako-tutor the demo's init
// (see Init). Only kobako-tutor knows it; kobako itself has no chroot mode.
const InitCommand = "chroot-demo-init"

// Options describe one run of the demo.
type Options struct {
	// Self is the binary to re-exec as the demo's init: kobako-tutor. It is
	// also bound, read-only, into the image as /usr/local/bin/escape, so it
	// must run without a libc (CGO_ENABLED=0).
	Self string
	// Busybox is a static busybox on the host (/bin/busybox, from
	// busybox-static); the image is a copy of it and its applets.
	Busybox string
	// Secret is the word written into the marker, as the line
	// "secret: WORD"; one word, no spaces.
	Secret string
	// Command runs inside the chroot as PID 1; default ["/bin/sh"].
	Command []string
	// Lang is the learner's locale (LANG), handed on to the demo so that
	// escape speaks their language; TERM likewise.
	Lang, Term string
	// The learner's terminal, or pipes.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Terminal says Stdin is a terminal of the demo's own — a pty's slave
	// end — to become its controlling terminal in a session of its own,
	// so that Ctrl-C and job control reach the demo's shell. Leave it false
	// when Stdin is the tutorial's own terminal: the demo then stays in the
	// tutorial's session, as any child command does.
	Terminal bool
}

// Result is what the tutorial learns when the demo has ended.
type Result struct {
	// ExitCode is the command's exit status, 128+N when signal N killed it.
	ExitCode int
	// Report is what escape wrote to /tmp/escape.txt inside the demo, or ""
	// when the learner never ran it; see ParseReport.
	Report string
}

// Run starts the demo, waits for its command to end, and returns its exit
// code and the escape report. It leaves nothing behind: every mount is in
// the demo's own mount namespace, which dies with its last process, and
// nothing is created on the host's file systems. Cancelling ctx kills it.
func Run(ctx context.Context, opts Options) (Result, error) {
	conf, err := configOf(opts)
	if err != nil {
		return Result{}, err
	}
	// Pdeathsig belongs to the thread that forked the child, not to the
	// process: keep this goroutine on one thread until the child is reaped,
	// so the demo is killed when the tutorial dies, and only then.
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()

	ch, err := newChannel()
	if err != nil {
		return Result{}, err
	}
	defer ch.close()
	// unshare -muinpf  (mount, UTS, IPC, network and PID namespaces; the
	// user namespace stays the host's: this root is real root, hence the
	// care in capabilities.go)
	cmd := exec.CommandContext(ctx, opts.Self, InitCommand)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = opts.Stdin, opts.Stdout, opts.Stderr
	cmd.Env = []string{} // nothing of the tutorial's environment leaks in
	cmd.ExtraFiles = ch.childEnds()
	// Once the demo has ended, stop copying from a Stdin that is not a
	// file (a pipe the learner never closes would hold Wait forever).
	cmd.WaitDelay = 2 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNET,
		Pdeathsig:  syscall.SIGKILL,
		// setsid -c: a new session, Stdin (fd 0) its controlling terminal
		Setsid: opts.Terminal, Setctty: opts.Terminal, Ctty: 0,
	}
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("start chroot demo %s %s: %w", opts.Self, InitCommand, err)
	}
	image, setupErr := ch.talk(conf)
	if image != nil {
		defer image.Close()
	}
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("chroot demo: %w", ctx.Err())
	}
	if setupErr != nil {
		return Result{}, fmt.Errorf("chroot demo: %w", setupErr)
	}
	res := Result{ExitCode: exitCode(cmd.ProcessState)}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return res, fmt.Errorf("wait for chroot demo: %w", waitErr)
	}
	if image != nil {
		res.Report, err = readReport(image)
	}
	return res, err
}

// configOf checks opts and turns them into what the child reads.
func configOf(opts Options) (config, error) {
	if opts.Self == "" || opts.Busybox == "" {
		return config{}, errors.New("chroot demo: Options.Self and Options.Busybox are required")
	}
	if opts.Secret == "" || strings.ContainsAny(opts.Secret, " \t\r\n") {
		return config{}, fmt.Errorf("chroot demo: secret %q must be one word", opts.Secret)
	}
	command := opts.Command
	if len(command) == 0 {
		command = []string{"/bin/sh"}
	}
	return config{Busybox: opts.Busybox, Secret: opts.Secret, Command: command, Lang: opts.Lang, Term: opts.Term}, nil
}

// exitCode is the shell's $? for a process that ended.
func exitCode(state *os.ProcessState) int {
	if state == nil {
		return -1
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return state.ExitCode()
}

// readReport reads tmp/escape.txt from the demo's image, through the
// handle on it the init sent before exec. The image was the learner's to
// change, so nothing in it is followed: tmp and escape.txt must be a plain
// directory and a plain file (a symlink would resolve against the
// tutorial's root, the host's), and a FIFO must not block us.
func readReport(image *os.File) (string, error) {
	// cat $IMAGE/tmp/escape.txt, without following a symlink anywhere
	tmp, err := unix.Openat(int(image.Fd()), "tmp", unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("open the demo's /tmp: %w", err)
	}
	defer unix.Close(tmp)
	fd, err := unix.Openat(tmp, reportName, unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) {
		return "", nil // never ran, or the learner put a symlink there
	}
	if err != nil {
		return "", fmt.Errorf("open the demo's /tmp/%s: %w", reportName, err)
	}
	f := os.NewFile(uintptr(fd), "/tmp/"+reportName)
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return "", nil
	}
	text, err := io.ReadAll(io.LimitReader(f, maxReport))
	if err != nil {
		return "", fmt.Errorf("read the demo's /tmp/%s: %w", reportName, err)
	}
	return string(text), nil
}
