package rootfs

// Turning the option words of mount(8) and of an OCI config ("nosuid",
// "ro", "mode=755" …) into what the kernel takes, exactly as runc 1.1
// sorts them (libcontainer/specconv parseMountOptions):
//
//   - mount(2) flags: ro, nosuid, nodev, noexec, the atime family, bind …
//   - propagation, a second mount(2) call: private, rslave, shared …
//   - runc's own words, never handed to the kernel as they are:
//     tmpcopyup (tmpcopyup.go), the recursive attributes rro, rnosuid …
//     (mount_setattr(2) with AT_RECURSIVE), idmap and ridmap (idmap.go);
//   - everything else is data for the file system: "mode=755,size=65536k".
//
// A bind mount has no file system to read data: an unknown word there is a
// typo or a newer runtime's option, and CheckMounts (mount_check.go)
// refuses it rather than let the kernel ignore or misread it.

import (
	"strings"

	"golang.org/x/sys/unix"
)

// mountOptions is what a list of option words means.
type mountOptions struct {
	flags       uintptr        // MS_* flags for the mount itself
	propagation uintptr        // MS_PRIVATE, MS_SLAVE … applied in a second call
	recursive   recursiveAttrs // rro, rnosuid …: mount_setattr(2) on the whole tree
	tmpcopyup   bool           // a tmpfs that starts with the image's files
	idmap       idmapScope     // idmap or ridmap: an idmapped bind
	data        []string       // the rest, for the file system: mode=755, size=65536k
}

// recursiveAttrs are MOUNT_ATTR_* bits to set and to clear with
// mount_setattr(2), on a mount and every mount below it.
type recursiveAttrs struct {
	set, clear uint64
	words      []string // as the config gave them: rro, rnosuid …
}

func (r recursiveAttrs) empty() bool { return len(r.words) == 0 }

// String is the config's words: "rro,rnosuid".
func (r recursiveAttrs) String() string { return strings.Join(r.words, ",") }

// shellWords are the same words as mount(8) of util-linux 2.39 takes
// them: "ro=recursive,nosuid=recursive".
func (r recursiveAttrs) shellWords() string {
	words := make([]string, len(r.words))
	for i, w := range r.words {
		words[i] = strings.TrimPrefix(w, "r") + "=recursive"
	}
	return strings.Join(words, ",")
}

// idmapScope says whether, and how deep, a bind is idmapped.
type idmapScope int

const (
	noIdmap        idmapScope = iota
	idmapTop                  // "idmap": the bind's top mount
	idmapRecursive            // "ridmap": every mount of an rbind
)

// optionFlag is a word's effect on a bit set: set the bit, or clear it.
type optionFlag struct {
	clear bool
	flag  uintptr
}

// optionFlags: the words mount(8) turns into mount(2) flags.
var optionFlags = map[string]optionFlag{
	"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY},
	"nosuid": {false, unix.MS_NOSUID}, "suid": {true, unix.MS_NOSUID},
	"nodev": {false, unix.MS_NODEV}, "dev": {true, unix.MS_NODEV},
	"noexec": {false, unix.MS_NOEXEC}, "exec": {true, unix.MS_NOEXEC},
	"sync": {false, unix.MS_SYNCHRONOUS}, "async": {true, unix.MS_SYNCHRONOUS},
	"dirsync": {false, unix.MS_DIRSYNC}, "remount": {false, unix.MS_REMOUNT},
	"mand": {false, unix.MS_MANDLOCK}, "nomand": {true, unix.MS_MANDLOCK},
	"noatime": {false, unix.MS_NOATIME}, "atime": {true, unix.MS_NOATIME},
	"nodiratime": {false, unix.MS_NODIRATIME}, "diratime": {true, unix.MS_NODIRATIME},
	"relatime": {false, unix.MS_RELATIME}, "norelatime": {true, unix.MS_RELATIME},
	"strictatime": {false, unix.MS_STRICTATIME}, "nostrictatime": {true, unix.MS_STRICTATIME},
	"lazytime": {false, unix.MS_LAZYTIME}, "nolazytime": {true, unix.MS_LAZYTIME},
	"iversion": {false, unix.MS_I_VERSION}, "noiversion": {true, unix.MS_I_VERSION},
	"acl": {false, unix.MS_POSIXACL}, "noacl": {true, unix.MS_POSIXACL},
	"silent": {false, unix.MS_SILENT}, "loud": {true, unix.MS_SILENT},
	"nosymfollow": {false, unix.MS_NOSYMFOLLOW}, "symfollow": {true, unix.MS_NOSYMFOLLOW},
	"bind": {false, unix.MS_BIND}, "rbind": {false, unix.MS_BIND | unix.MS_REC},
	"defaults": {false, 0},
}

// propagationFlags: mount --make-private and friends.
var propagationFlags = map[string]uintptr{
	"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
	"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
	"unbindable": unix.MS_UNBINDABLE, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// recursiveFlags: runc's "r" words, MOUNT_ATTR_* bits for mount_setattr(2)
// (util-linux 2.39 writes them ro,X-mount.recursive and so on).
var recursiveFlags = map[string]optionFlag{
	"rro": {false, unix.MOUNT_ATTR_RDONLY}, "rrw": {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid": {false, unix.MOUNT_ATTR_NOSUID}, "rsuid": {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev": {false, unix.MOUNT_ATTR_NODEV}, "rdev": {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec": {false, unix.MOUNT_ATTR_NOEXEC}, "rexec": {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime": {false, unix.MOUNT_ATTR_NODIRATIME}, "rdiratime": {true, unix.MOUNT_ATTR_NODIRATIME},
	"rrelatime": {false, unix.MOUNT_ATTR_RELATIME}, "rnorelatime": {true, unix.MOUNT_ATTR_RELATIME},
	"rnoatime": {false, unix.MOUNT_ATTR_NOATIME}, "ratime": {true, unix.MOUNT_ATTR_NOATIME},
	"rstrictatime": {false, unix.MOUNT_ATTR_STRICTATIME}, "rnostrictatime": {true, unix.MOUNT_ATTR_STRICTATIME},
	"rnosymfollow": {false, unix.MOUNT_ATTR_NOSYMFOLLOW}, "rsymfollow": {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

// parseMountOptions sorts option words into flags, propagation, runc's
// extensions and data. It refuses nothing: CheckMounts says which data
// words a mount may carry.
func parseMountOptions(options []string) mountOptions {
	var mo mountOptions
	for _, o := range options {
		if f, ok := optionFlags[o]; ok {
			mo.flags = apply(mo.flags, f)
		} else if p, ok := propagationFlags[o]; ok {
			mo.propagation |= p
		} else if f, ok := recursiveFlags[o]; ok {
			mo.recursive = mo.recursive.apply(f)
			mo.recursive.words = append(mo.recursive.words, o)
		} else if o == "tmpcopyup" {
			mo.tmpcopyup = true
		} else if o == "idmap" {
			mo.idmap = idmapTop
		} else if o == "ridmap" {
			mo.idmap = idmapRecursive
		} else {
			mo.data = append(mo.data, o)
		}
	}
	return mo
}

// dataString is the data argument of mount(2): the file system's words.
func (mo mountOptions) dataString() string {
	return strings.Join(mo.data, ",")
}

// isBind tells a bind mount (type "bind", or a bind/rbind word) from a
// new file system.
func (mo mountOptions) isBind(fstype string) bool {
	return fstype == "bind" || mo.flags&unix.MS_BIND != 0
}

func apply(flags uintptr, f optionFlag) uintptr {
	if f.clear {
		return flags &^ f.flag
	}
	return flags | f.flag
}

// apply adds one recursive word, as runc does: the last word about a bit
// wins, and an access-time word clears the whole MOUNT_ATTR__ATIME field
// first — mount_setattr(2) takes an atime setting only that way ("must
// also include MOUNT_ATTR__ATIME in the attr_clr field").
func (r recursiveAttrs) apply(f optionFlag) recursiveAttrs {
	bit := uint64(f.flag)
	if f.clear {
		r.clear |= bit
		r.set &^= bit
		return r
	}
	r.set |= bit
	r.clear &^= bit
	if bit&unix.MOUNT_ATTR__ATIME == bit {
		r.clear |= unix.MOUNT_ATTR__ATIME
	}
	return r
}
