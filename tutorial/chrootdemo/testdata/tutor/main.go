// Command tutor is a stand-in for kobako-tutor in chrootdemo's tests: the
// same dispatch as its main, so the tests can build a small static binary
// without the tutorial's rendering libraries — plus one test-only entry
// that plays the article's container without CAP_SYS_CHROOT.
package main

import (
	"os"
	"path/filepath"
	"runtime"

	"github.com/moby/sys/capability"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/tutorial/chrootdemo"
)

// withoutChroot is the test-only first argument: run escape as root
// without CAP_SYS_CHROOT.
const withoutChroot = "without-cap-sys-chroot"

func main() {
	if filepath.Base(os.Args[0]) == "escape" {
		os.Exit(chrootdemo.Escape(os.Args[1:]))
	}
	if len(os.Args) > 1 && os.Args[1] == chrootdemo.InitCommand {
		chrootdemo.Init()
	}
	if len(os.Args) > 1 && os.Args[1] == withoutChroot {
		os.Exit(escapeWithoutChroot(os.Args[2:]))
	}
	os.Stderr.WriteString("tutor: run as escape, or with " + chrootdemo.InitCommand + "\n")
	os.Exit(2)
}

// escapeWithoutChroot is
//
//	capsh --drop=cap_sys_chroot -- -c 'exec -a escape tutor "$@"'
//
// Root gets its bounding set as its permitted set on execve, so dropping
// the capability from the bounding set is enough; the bounding set belongs
// to a thread, hence the lock.
func escapeWithoutChroot(args []string) int {
	runtime.LockOSThread()
	// capsh --drop=cap_sys_chroot
	if err := capability.DropBound(capability.CAP_SYS_CHROOT); err != nil {
		os.Stderr.WriteString("tutor: prctl PR_CAPBSET_DROP cap_sys_chroot: " + err.Error() + "\n")
		return 2
	}
	// exec -a escape /proc/self/exe "$@"
	err := unix.Exec("/proc/self/exe", append([]string{"escape"}, args...), os.Environ())
	os.Stderr.WriteString("tutor: exec /proc/self/exe: " + err.Error() + "\n")
	return 2
}
