// Package rootfs builds the container's file system from the inside: the
// overlay root, the mounts of proc, /dev and friends, and pivot_root. It
// is the file-system half of the article's "コンテナを作ってみよう" and its
// chroot/pivot_root and Copy-on-Write chapters, and the container's init
// (kobako-init) links it — so the safe unpacking of an exported image,
// which only the parent does, is a package of its own: rootfs/unpack.
package rootfs

// This file is the one place that calls mount(2), so that every mount
// kobako makes is narrated the same way under --trace.

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// mountCall is one call of mount(2), with what the learner is told about
// it. Written with its field names at the call site, it reads as the
// command it stands for:
//
//	mount(tr, mountCall{Step: "mount /proc", Shell: "mount -t proc proc $ROOTFS/proc",
//		Source: "proc", Target: procSelfFd(target), Shown: "/proc", FSType: "proc", Flags: unix.MS_NOSUID})
type mountCall struct {
	Step   string  // what it does, for --trace: "mount /proc"
	Shell  string  // its shell twin: "mount -t proc proc $ROOTFS/proc"
	Source string  // mount(2)'s source: a device, a file system's name, or a path to bind
	Target string  // mount(2)'s target: often the /proc/self/fd/N of a checked handle
	Shown  string  // the target as the learner knows it, for errors: "/proc"
	FSType string  // "proc", "tmpfs" …; "" for binds, remounts and propagation
	Flags  uintptr // MS_* flags
	Data   string  // the file system's options: "mode=755,size=65536k"
}

// mount calls mount(2) and reports it as one step with its shell twin.
// Errors name the target as the learner knows it (Shown), not the
// /proc/self/fd path the call may really use (Target).
func mount(tr *trace.Tracer, c mountCall) error {
	tr.Helper() // the trace names the line that asked for this mount
	err := unix.Mount(c.Source, c.Target, c.FSType, c.Flags, c.Data)
	if tr.Enabled() {
		call := fmt.Sprintf("unix.Mount(%q, %q, %q, %s, %q)", c.Source, c.Target, c.FSType, flagNames(c.Flags), c.Data)
		tr.Step(c.Step, c.Shell, call, err)
	}
	if err != nil {
		return fmt.Errorf("mount %s on %s: %w", fstypeOr(c.FSType, c.Source), c.Shown, err)
	}
	return nil
}

func fstypeOr(fstype, source string) string {
	if fstype != "" {
		return fstype
	}
	return source
}

var mountFlagNames = []struct {
	flag uintptr
	name string
}{
	{unix.MS_RDONLY, "MS_RDONLY"}, {unix.MS_NOSUID, "MS_NOSUID"}, {unix.MS_NODEV, "MS_NODEV"},
	{unix.MS_NOEXEC, "MS_NOEXEC"}, {unix.MS_SYNCHRONOUS, "MS_SYNCHRONOUS"}, {unix.MS_REMOUNT, "MS_REMOUNT"},
	{unix.MS_MANDLOCK, "MS_MANDLOCK"}, {unix.MS_DIRSYNC, "MS_DIRSYNC"}, {unix.MS_NOATIME, "MS_NOATIME"},
	{unix.MS_NODIRATIME, "MS_NODIRATIME"}, {unix.MS_BIND, "MS_BIND"}, {unix.MS_MOVE, "MS_MOVE"},
	{unix.MS_REC, "MS_REC"}, {unix.MS_UNBINDABLE, "MS_UNBINDABLE"}, {unix.MS_PRIVATE, "MS_PRIVATE"},
	{unix.MS_SLAVE, "MS_SLAVE"}, {unix.MS_SHARED, "MS_SHARED"}, {unix.MS_RELATIME, "MS_RELATIME"},
	{unix.MS_STRICTATIME, "MS_STRICTATIME"}, {unix.MS_LAZYTIME, "MS_LAZYTIME"}, {unix.MS_I_VERSION, "MS_I_VERSION"},
	{unix.MS_POSIXACL, "MS_POSIXACL"}, {unix.MS_SILENT, "MS_SILENT"}, {unix.MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"},
}

// flagNames spells mount flags as the constants a learner can grep for.
func flagNames(flags uintptr) string {
	var names []string
	for _, f := range mountFlagNames {
		if flags&f.flag != 0 {
			names = append(names, "unix."+f.name)
		}
	}
	if len(names) == 0 {
		return "0"
	}
	return strings.Join(names, "|")
}

// remountBind adds the flags add (ro, nosuid …) to the bind mount at dest,
// whose handle is bound. A remount sets a mount's flags whole, so it
// repeats the restrictions the mount already has: it would lift them
// otherwise — a bind of a read-only mount made writable — and in a user
// namespace, where the flags of the mounts it inherited are locked, the
// kernel refuses that with EPERM.
func remountBind(tr *trace.Tracer, dest string, bound *os.File, add uintptr) error {
	tr.Helper()
	var st unix.Statfs_t
	// stat -f $ROOTFS$DEST (statfs(2)'s ST_* flags have the values of MS_*)
	if err := unix.Fstatfs(int(bound.Fd()), &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dest, err)
	}
	flags := add
	for _, r := range restrictions {
		flags |= uintptr(st.Flags) & r.flag
	}
	var names string
	for _, r := range restrictions {
		if flags&r.flag != 0 {
			names += "," + r.name
		}
	}
	return mount(tr, mountCall{Step: "remount " + dest, Shell: "mount -o remount,bind" + names + " $ROOTFS" + dest,
		Target: procSelfFd(bound), Shown: dest, Flags: unix.MS_BIND | unix.MS_REMOUNT | flags})
}

// restrictions are the flags a remount must keep, with mount(8)'s names
// for them.
var restrictions = []struct {
	flag uintptr
	name string
}{
	{unix.MS_RDONLY, "ro"}, {unix.MS_NOSUID, "nosuid"}, {unix.MS_NODEV, "nodev"},
	{unix.MS_NOEXEC, "noexec"}, {unix.MS_NOATIME, "noatime"},
	{unix.MS_NODIRATIME, "nodiratime"}, {unix.MS_RELATIME, "relatime"},
}
