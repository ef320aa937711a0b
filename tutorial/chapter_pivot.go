package tutorial

// Chapter 6, chrootとpivot_root: why the article drops cap_sys_chroot, and
// why real runtimes use pivot_root. The learner runs the classic chroot
// escape twice: in a demonstration the tutorial switched with plain chroot
// (unsafe on purpose, and only here), where the climb reaches a marker
// placed outside the image; then in a kobako container, where pivot_root
// left nothing above the container's root to climb to.

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/tutorial/chrootdemo"
)

const pivotName = Prefix + "pivot"

// secretWords are what the marker may say: a new one each run, so the word
// the learner types is one they really read.
var secretWords = []string{"sakura", "momiji", "tsubaki", "kobako", "hotaru", "yamabuki", "kikyou", "suzuran"}

func rootChroot() *Step {
	return &Step{
		ID: "root.chroot",
		Article: shellLines(
			"mkdir /x; chroot /x      # «root.nochdir»",
			"cd ..; cd ..; cd ..      # «root.up»",
			"chroot .                 # «root.back»",
			"capsh --chroot=$ROOTFS --drop=cap_sys_chroot   # «root.why»"),
		Code: []CodeRef{{File: "tutorial/chrootdemo/escape.go", Func: "climb", Around: "unix.Chroot(escapeDir)"}},
		Setup: func(s *Session) error {
			if _, ok := s.seen["root.secret"]; !ok {
				n, err := rand.Int(rand.Reader, big.NewInt(int64(len(secretWords))))
				if err != nil {
					return err
				}
				s.seen["root.secret"] = secretWords[n.Int64()]
			}
			return nil
		},
		Task: Task{Kind: ChrootDemo},
		Perform: func(s *Session) error {
			report, err := s.chrootDemo(true)
			if err != nil {
				return err
			}
			s.answer = chrootdemo.ParseReport(report).Secret
			return nil
		},
		Check: func(s *Session) Result {
			secret, _ := s.seen["root.secret"].(string)
			if s.answer == "" {
				return fail(s.msg.get("check.root.chroot.none"))
			}
			if !strings.EqualFold(strings.TrimSpace(s.answer), secret) {
				return fail(s.msg.get("check.root.chroot.wrong", s.answer))
			}
			return pass(s.msg.get("check.root.chroot.ok", secret), s.msg.get("check.root.chroot.why"))
		},
	}
}

// chrootDemo runs the unsafe demonstration: on the learner's terminal, or,
// for --yes, running escape alone. It returns the escape's report.
func (s *Session) chrootDemo(auto bool) (string, error) {
	// the demonstration says itself, loudly and in both languages, that
	// it is unsafe and exists only here
	secret, _ := s.seen["root.secret"].(string)
	opts := chrootdemo.Options{
		Self: s.tutor, Busybox: s.busybox, Secret: secret,
		Lang: os.Getenv("LANG"), Term: os.Getenv("TERM"),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	}
	if auto {
		opts.Command = []string{"/usr/local/bin/escape"}
		opts.Stdin = strings.NewReader("")
	}
	if s.lang == "ja" {
		opts.Lang = "ja_JP.UTF-8"
	}
	if !auto {
		s.childHasTerminal.Store(true)
		defer s.childHasTerminal.Store(false)
		defer takeTerminalBack(os.Stdin)()
	}
	res, err := chrootdemo.Run(context.Background(), opts)
	if err != nil {
		return "", fmt.Errorf("chroot demonstration: %w", err)
	}
	return res.Report, nil
}

// takeTerminalBack notes which process group the terminal serves, and
// returns a func that makes it that group again. The demonstration's shell
// makes its own group the terminal's foreground (job control does), and
// leaves it so when it exits: the tutorial, in the background then, would
// be stopped at its next read (SIGTTIN).
// Shell twin: what an interactive shell does with tcsetpgrp(3) for a job.
func takeTerminalBack(tty *os.File) func() {
	fd := int(tty.Fd())
	ours, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil {
		return func() {} // not a terminal: nothing to give back
	}
	return func() {
		// a background group may set the foreground only with SIGTTOU ignored
		signal.Ignore(syscall.SIGTTOU)
		defer signal.Reset(syscall.SIGTTOU)
		unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, ours)
	}
}

func rootPivot() *Step {
	return &Step{
		ID: "root.pivot",
		Article: shellLines(
			`sudo unshare -mpf /bin/sh -c "`,
			`  mount --bind $NEW_ROOT $NEW_ROOT &&`,
			`  mount -t proc proc $NEW_ROOT/proc &&`,
			`  pivot_root $NEW_ROOT $NEW_ROOT/.put_old &&`,
			`  umount -l /.put_old && cd / && exec /bin/sh"`),
		Code:  []CodeRef{{File: "rootfs/pivot_root.go", Func: "PivotRoot"}},
		Trace: "pivot_root",
		Setup: func(s *Session) error {
			s.vars["name"] = pivotName
			_, err := s.ensure(pivotName, shellArgs("-v", s.tutor+":/usr/local/bin/escape:ro")...)
			return err
		},
		Task:  Task{Kind: InShell, Container: pivotName},
		Typed: "escape",
		Check: func(s *Session) Result {
			c, err := s.k.running(pivotName)
			if err != nil {
				return s.broken(err)
			}
			out, err := s.exec(pivotName, "cat", "/tmp/escape.txt")
			if err != nil {
				return fail(s.msg.get("check.root.pivot.none"))
			}
			report := chrootdemo.ParseReport(out)
			capEff, _ := statusField(c.Pid, "CapEff")
			evidence := []string{
				fmt.Sprintf("/tmp/escape.txt: listing: %s", strings.Join(report.Listing, " ")),
				fmt.Sprintf("/proc/%d/status CapEff: %s (cap_sys_chroot: %v)", c.Pid, capEff, hasCapability(capEff, capSysChroot)),
			}
			if report.Marker {
				return fail(append([]string{s.msg.get("check.root.pivot.escaped")}, evidence...)...)
			}
			return pass(append([]string{s.msg.get("check.root.pivot.ok")}, evidence...)...)
		},
	}
}

// capSysChroot is CAP_SYS_CHROOT's number (capability.h).
const capSysChroot = 18
