package rootfs

// The config's linux.sysctl: kernel settings of the container's own
// namespaces (net.* of its network namespace, kernel.shm* of its IPC
// namespace …). Shell twin, run inside the container:
//
//	sysctl -w net.ipv4.ip_unprivileged_port_start=0
//
// which writes /proc/sys/net/ipv4/ip_unprivileged_port_start. Here it is
// the container's /proc, mounted by the config's mounts a moment ago: the
// files of a namespaced key there act on the container's namespaces. Which
// keys are namespaced is decided at create (runtime); this file only
// writes them.
//
// When: after /proc is mounted, before the masks make /proc/sys read-only
// (masks.go). How: like every mount, from the root handle — the path is
// resolved inside the root with pathrs-lite, checked to be on procfs, and
// reopened for writing; never a joined host path, which an image's symlink
// in /proc could send anywhere.

import (
	"fmt"
	"os"
	"slices"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// writeSysctls writes every key, in sorted order so that runs compare.
func writeSysctls(root *os.File, sysctl map[string]string, tr *trace.Tracer) error {
	keys := make([]string, 0, len(sysctl))
	for k := range sysctl {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if err := writeSysctl(root, key, sysctl[key], tr); err != nil {
			return fmt.Errorf("sysctl %s: %w", key, err)
		}
	}
	return nil
}

// sysctlPath turns a key into its file: net.ipv4.ip_forward →
// /proc/sys/net/ipv4/ip_forward. sysctl(8) takes either separator, and so
// does this; a key that would climb out of /proc/sys is refused.
func sysctlPath(key string) (string, error) {
	rel := strings.ReplaceAll(key, ".", "/")
	// An empty part ("net..x", "/x", "x/") is how a key would say "..".
	if slices.Contains(strings.Split(rel, "/"), "") {
		return "", fmt.Errorf("the key must name a file under /proc/sys, as a.b.c or a/b/c")
	}
	return "/proc/sys/" + rel, nil
}

// writeSysctl writes one value, through a handle resolved inside the root.
func writeSysctl(root *os.File, key, value string, tr *trace.Tracer) error {
	p, err := sysctlPath(key)
	if err != nil {
		return err
	}
	// The O_PATH handle of $ROOTFS/proc/sys/…, symlinks resolved inside the root.
	handle, err := pathrs.OpenatInRoot(root, p)
	if err != nil {
		return fmt.Errorf("open %s in rootfs (is it a namespaced key this kernel has?): %w", p, err)
	}
	defer handle.Close()
	if err := checkFileSystem(handle, p); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	file, err := pathrs.Reopen(handle, unix.O_WRONLY|unix.O_CLOEXEC)
	if err == nil {
		// One write: a proc file takes its value in one call.
		_, err = file.WriteString(value)
		err = closeAfter(file, err)
	}
	tr.Step("set "+key+" for the container", "sysctl -w "+key+"="+value,
		fmt.Sprintf("os.WriteFile(%q, %q) // through the root handle", p, value), err)
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", value, p, err)
	}
	return nil
}

// closeAfter closes f, keeping the first error.
func closeAfter(f *os.File, err error) error {
	if cerr := f.Close(); err == nil {
		return cerr
	}
	return err
}
