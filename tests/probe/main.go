// Command probe is the end-to-end tests' eye inside a container. The tests
// build it static and put it into an image at /probe; each subcommand looks
// at one thing the kernel shows the container and prints it on stdout, as
// JSON, so that the assertions stay in the tests' Go (crun's tests/init.c
// plays the same part in crun's suite).
//
//	/probe fds                 the open descriptors: ls -l /proc/self/fd
//	/probe cwd                 getcwd(2): where the process stands
//	/probe read PATH           a file's content, or why it cannot be read
//	/probe chroot-escape FILE  the classic chroot escape, then a look for FILE
//	/probe mountinfo           cat /proc/self/mountinfo (plain text)
//
// and, each in a file of its own: creds (ids, capabilities), stat and
// writable (masks), exe-grab (CVE-2019-5736), syscalls (seccomp), exchange
// (the rename race of CVE-2021-30465).
//
// Each subcommand registers itself (see register); a new one is a new file.
//
// A completed probe exits 0 even when what it tried failed: the failure is
// the finding, and it is in the JSON. Exit 2 means the probe was misused.
//
// The go:debug line keeps Go's runtime out of the inventory: since Go 1.25
// it opens the cgroup's CPU limit files at start-up (to size GOMAXPROCS)
// and keeps them open, which `probe fds` would report as leaks.

//go:debug containermaxprocs=0
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A subcommand: how many arguments it takes, and what it does with them.
// It returns what to print as JSON (nil: it printed itself).
type subcommand struct {
	args int
	run  func(args []string) (any, error)
}

// subcommands are registered by each file's init, so that a new look at
// the kernel is a new file.
var subcommands = map[string]subcommand{}

func register(name string, args int, run func(args []string) (any, error)) {
	subcommands[name] = subcommand{args, run}
}

func init() {
	register("fds", 0, func([]string) (any, error) { return fds() })
	register("cwd", 0, func([]string) (any, error) { return cwd(), nil })
	register("read", 1, func(a []string) (any, error) { return read(a[0]), nil })
	register("chroot-escape", 1, func(a []string) (any, error) { return chrootEscape(a[0]), nil })
	register("mountinfo", 0, func([]string) (any, error) { return nil, mountinfo() })
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	sub, ok := subcommands[os.Args[1]]
	if !ok || len(os.Args)-2 != sub.args {
		usage()
	}
	out, err := sub.run(os.Args[2:])
	if err == nil && out != nil {
		err = json.NewEncoder(os.Stdout).Encode(out)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "probe: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	names := make([]string, 0, len(subcommands))
	for name := range subcommands {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintln(os.Stderr, "usage: probe "+strings.Join(names, " | ")+" (see the file of each)")
	os.Exit(2)
}

// errString is "" for no error, so that the JSON says "error": "".
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fd is one open descriptor and what /proc/self/fd/N links to.
type fd struct {
	FD     int    `json:"fd"`
	Target string `json:"target"`
}

// fds lists /proc/self/fd, less the descriptor of the listing itself. It
// uses raw syscalls, not os.Open: the os package would start Go's network
// poller, whose epoll and eventfd descriptors would muddle the inventory.
func fds() ([]fd, error) {
	dir, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /proc/self/fd: %w", err)
	}
	defer unix.Close(dir)
	names, err := readDirNames(dir)
	if err != nil {
		return nil, fmt.Errorf("read /proc/self/fd: %w", err)
	}
	list := []fd{}
	for _, name := range names {
		n, err := strconv.Atoi(name)
		if err != nil || n == dir {
			continue
		}
		target, err := os.Readlink("/proc/self/fd/" + name)
		if err != nil {
			target = "(" + err.Error() + ")"
		}
		list = append(list, fd{FD: n, Target: target})
	}
	return list, nil
}

// readDirNames is ls -a of an open directory, by getdents64(2).
func readDirNames(dir int) ([]string, error) {
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := unix.ReadDirent(dir, buf)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}

// where is getcwd(2). Go's unix.Getwd is the bare syscall: it ignores $PWD,
// and fails with ENOENT when the kernel answers "(unreachable)/…", which
// is what a cwd outside the process's root looks like.
type where struct {
	Cwd   string `json:"cwd"`
	Error string `json:"error"`
}

func cwd() where {
	dir, err := unix.Getwd()
	return where{Cwd: dir, Error: errString(err)}
}

// readResult is what `read` found, with the cwd that a relative PATH
// starts from.
type readResult struct {
	Path    string `json:"path"`
	Content string `json:"content"`
	Error   string `json:"error"`
	Cwd     where  `json:"cwd"`
}

func read(path string) readResult {
	data, err := os.ReadFile(path)
	return readResult{Path: path, Content: string(data), Error: errString(err), Cwd: cwd()}
}

// fileID names a file system object: its device and inode numbers.
type fileID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

func statID(path string) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fileID{}, fmt.Errorf("stat %s: %w", path, err)
	}
	return fileID{Dev: st.Dev, Ino: st.Ino}, nil
}

// escapeResult is what the chroot escape achieved. Error says why it could
// not even be tried (no CAP_SYS_CHROOT, say).
type escapeResult struct {
	RootBefore  fileID `json:"rootBefore"`
	RootAfter   fileID `json:"rootAfter"`
	Marker      string `json:"marker"`
	MarkerError string `json:"markerError"`
	Escaped     bool   `json:"escaped"`
	Error       string `json:"error"`
}

// chrootEscape is the escape every chroot jail fears:
//
//	mkdir /x; chroot /x; cd ..; cd ..; … ; chroot .
//
// chroot(2) leaves the cwd where it was, outside the new root, so the
// chdir("..")s climb unhindered up to the root of the mount namespace, and
// chroot(".") makes that the root. Under a bare chroot that is the host's
// "/"; after pivot_root and the unmount of the old root it is the
// container's own "/", and there is nothing above it to reach.
func chrootEscape(marker string) escapeResult {
	var r escapeResult
	var err error
	if r.RootBefore, err = statID("/"); err != nil {
		r.Error = err.Error()
		return r
	}
	if err := climbOut(); err != nil {
		r.Error = err.Error()
		return r
	}
	if r.RootAfter, err = statID("/"); err != nil {
		r.Error = err.Error()
		return r
	}
	data, err := os.ReadFile(marker)
	r.Marker, r.MarkerError = string(data), errString(err)
	r.Escaped = r.RootAfter != r.RootBefore || err == nil
	return r
}

func climbOut() error {
	const jail = "/chroot-escape"
	if err := unix.Mkdir(jail, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("mkdir %s: %w", jail, err)
	}
	if err := unix.Chroot(jail); err != nil {
		return fmt.Errorf("chroot %s: %w", jail, err)
	}
	for range 64 {
		if err := unix.Chdir(".."); err != nil {
			return fmt.Errorf("chdir ..: %w", err)
		}
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot .: %w", err)
	}
	return nil
}

// mountinfo copies /proc/self/mountinfo to stdout, as cat would.
func mountinfo() error {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(data)
	return err
}
