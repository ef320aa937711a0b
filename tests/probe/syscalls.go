package main

// /probe syscalls: the system calls a container has no business making,
// each tried once, and the errno it got — plus the Seccomp: line of
// /proc/self/status (0: no filter, 2: a filter), as
//
//	grep Seccomp: /proc/self/status
//
// shows it. Under kobako's default seccomp profile each call fails with
// EPERM, and clone3 with ENOSYS (so that glibc falls back to clone).
//
// Each call is made so that, even with no filter and every capability
// (--privileged), it changes nothing outside the probe: bad arguments the
// kernel refuses (EINVAL, EFAULT, EBADF, ENOENT), or a key in the
// process's own keyring, which goes when the probe exits.

import (
	"fmt"
	"os"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() {
	register("syscalls", 0, func([]string) (any, error) { return syscalls() })
}

// syscallsResult is the Seccomp: mode and, for each call, the name of the
// errno it failed with ("" if it succeeded).
type syscallsResult struct {
	Seccomp string            `json:"seccomp"`
	Errno   map[string]string `json:"errno"`
}

// attempts are the calls, by the name of the system call.
var attempts = map[string]func() error{
	// The kernel keyring, which is not namespaced: this session's keyring,
	// a key in the process keyring, and a search for a key that is not
	// there (with no callout, so the kernel never runs /sbin/request-key).
	"keyctl": func() error {
		_, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
		return err
	},
	"add_key": func() error {
		_, err := unix.AddKey("user", "kobako-probe", []byte("x"), unix.KEY_SPEC_PROCESS_KEYRING)
		return err
	},
	"request_key": func() error { return requestKeyWithoutCallout("user", "kobako-probe-absent") },
	// bpf(2) with a command no kernel has.
	"bpf": func() error { return syscallErr(unix.SYS_BPF, 0xffff, 0, 0) },
	// perf_event_open(2) with no attributes: EFAULT.
	"perf_event_open": func() error { return syscallErr(unix.SYS_PERF_EVENT_OPEN, 0, 0, ^uintptr(0), ^uintptr(0), 0) },
	// kexec_load(2) of more segments than the kernel takes, with unknown
	// flags: EINVAL (zero segments would unload a loaded kernel).
	"kexec_load": func() error { return syscallErr(unix.SYS_KEXEC_LOAD, 0, 1000, 0, 0x0000fff0) },
	// init_module(2) of an empty image: not an ELF module.
	"init_module": func() error { return unix.InitModule(nil, "") },
	// open_by_handle_at(2), the "Shocker" call, with an empty handle.
	"open_by_handle_at": func() error {
		_, err := unix.OpenByHandleAt(unix.AT_FDCWD, unix.NewFileHandle(0, nil), unix.O_RDONLY)
		return err
	},
	// A new user and mount namespace: a Go program has threads, which a
	// new user namespace refuses (EINVAL).
	"unshare": func() error { return unix.Unshare(unix.CLONE_NEWUSER | unix.CLONE_NEWNS) },
	"mount": func() error {
		return unix.Mount("none", "/kobako-probe-absent", "tmpfs", 0, "")
	},
	"setns": func() error { return unix.Setns(-1, 0) },
	// clone3(NULL, 0): a struct too small, EINVAL.
	"clone3": func() error { return syscallErr(unix.SYS_CLONE3, 0, 0) },
}

func syscalls() (syscallsResult, error) {
	r := syscallsResult{Errno: map[string]string{}}
	for name, attempt := range attempts {
		r.Errno[name] = ""
		if err := attempt(); err != nil {
			r.Errno[name] = errnoName(err) // paths.go
		}
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return r, fmt.Errorf("read /proc/self/status: %w", err)
	}
	for line := range strings.Lines(string(status)) {
		if value, ok := strings.CutPrefix(line, "Seccomp:"); ok {
			r.Seccomp = strings.TrimSpace(value)
		}
	}
	return r, nil
}

// syscallErr makes a raw system call and returns its errno, or nil.
func syscallErr(nr uintptr, args ...uintptr) error {
	var a [6]uintptr
	copy(a[:], args)
	if _, _, errno := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]); errno != 0 {
		return errno
	}
	return nil
}

// requestKeyWithoutCallout is request_key(2) with a NULL callout_info:
// unix.RequestKey always passes a string, and a callout, even empty, has
// the kernel run /sbin/request-key on the host for a missing key.
func requestKeyWithoutCallout(keyType, description string) error {
	t, err := unix.BytePtrFromString(keyType)
	if err != nil {
		return err
	}
	d, err := unix.BytePtrFromString(description)
	if err != nil {
		return err
	}
	_, _, errno := unix.Syscall6(unix.SYS_REQUEST_KEY, uintptr(unsafe.Pointer(t)), uintptr(unsafe.Pointer(d)), 0, 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
