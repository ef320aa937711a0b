package rootfs

// Turning the option words of mount(8) and of an OCI config ("nosuid",
// "ro", "mode=755" …) into mount(2)'s flags and its data string.

import "golang.org/x/sys/unix"

// mountOptions is what a list of option words means to mount(2).
type mountOptions struct {
	flags       uintptr // MS_* flags for the mount itself
	propagation uintptr // MS_PRIVATE, MS_SLAVE … applied in a second call
	data        string  // the rest, for the file system: "mode=755,size=65536k"
}

// optionFlags: word → (flag to set, or to clear when clear is true).
var optionFlags = map[string]struct {
	clear bool
	flag  uintptr
}{
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
	"bind": {false, unix.MS_BIND}, "rbind": {false, unix.MS_BIND | unix.MS_REC},
	"defaults": {false, 0},
}

var propagationFlags = map[string]uintptr{
	"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
	"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
	"unbindable": unix.MS_UNBINDABLE, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// parseMountOptions sorts option words into flags, propagation and data.
func parseMountOptions(options []string) mountOptions {
	var mo mountOptions
	var data []byte
	for _, o := range options {
		if f, ok := optionFlags[o]; ok {
			if f.clear {
				mo.flags &^= f.flag
			} else {
				mo.flags |= f.flag
			}
			continue
		}
		if p, ok := propagationFlags[o]; ok {
			mo.propagation |= p
			continue
		}
		if len(data) > 0 {
			data = append(data, ',')
		}
		data = append(data, o...)
	}
	mo.data = string(data)
	return mo
}
