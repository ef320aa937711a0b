package doctor

// The host as doctor reads it: the roots of the file systems it looks at
// and the few facts that are not files (uid, uname, $PATH). ThisHost is
// the machine; a test fills a Host with a t.TempDir() of fake files.

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Host is what Check reads.
type Host struct {
	Proc string // where procfs is: "/proc"
	Sys  string // where sysfs is: "/sys"
	// Root is where the rest of the host's files are (/bin/busybox,
	// /lib/modules, /etc/os-release): "/".
	Root    string
	Euid    int    // id -u
	Release string // uname -r: "6.8.0-31-generic"
	Machine string // uname -m: "x86_64"
	// LookPath finds a command in $PATH, as exec.LookPath does (which
	// docker, which cgcreate, which sudo).
	LookPath func(name string) (string, error)
	// ProbeNFTables lists the host's nftables tables over netlink (nft
	// list tables) and returns the error, if any. nil means "cannot
	// probe": the check then says it did not look.
	ProbeNFTables func() error
}

// ThisHost is the machine doctor runs on.
func ThisHost() Host {
	var uts unix.Utsname
	// uname -r -m; it cannot fail, but an empty release is handled anyway
	_ = unix.Uname(&uts)
	return Host{
		Proc:          "/proc",
		Sys:           "/sys",
		Root:          "/",
		Euid:          os.Geteuid(),
		Release:       unix.ByteSliceToString(uts.Release[:]),
		Machine:       unix.ByteSliceToString(uts.Machine[:]),
		LookPath:      exec.LookPath,
		ProbeNFTables: probeNFTables,
	}
}

// withDefaults fills what a test left empty, so that a half-made Host
// reads nothing of the real machine: a missing LookPath finds nothing.
func (h Host) withDefaults() Host {
	if h.LookPath == nil {
		h.LookPath = func(name string) (string, error) { return "", exec.ErrNotFound }
	}
	return h
}

// procPath is a path under /proc: procPath("sys/net/ipv4/ip_forward").
func (h Host) procPath(rel string) string { return filepath.Join(h.Proc, rel) }

// rootPath is an absolute host path under h.Root.
func (h Host) rootPath(abs string) string { return filepath.Join(h.Root, abs) }

// sysPath maps a path the kernel prints (a mount point in mountinfo, such
// as /sys/fs/cgroup/memory) to h.Sys. Paths outside /sys go under Root.
func (h Host) sysPath(abs string) string {
	if rel, ok := strings.CutPrefix(abs, "/sys"); ok && (rel == "" || rel[0] == '/') {
		return filepath.Join(h.Sys, rel)
	}
	return h.rootPath(abs)
}

// readTrimmed is cat PATH, without the newline. A missing file is
// (_, false, nil); other errors are returned.
func readTrimmed(path string) (string, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(string(data)), true, nil
}

// sysctl reads /proc/sys/NAME (dots or slashes): sysctl -n NAME.
func (h Host) sysctl(name string) (string, bool, error) {
	return readTrimmed(h.procPath(filepath.Join("sys", strings.ReplaceAll(name, ".", "/"))))
}

// has says whether LookPath finds name.
func (h Host) has(name string) (string, bool) {
	p, err := h.LookPath(name)
	return p, err == nil
}
