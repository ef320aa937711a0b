package chrootdemo

// The demo's init: the child Run starts in fresh mount, PID, UTS, IPC and
// network namespaces. It builds the demo one step at a time, each in its own
// file, then becomes the learner's command. The order is the lesson:
// pivot_root first, so the host is gone before anything weak happens; then
// the chroot that the learner will climb out of.

import (
	"fmt"
	"os"
	goruntime "runtime"
)

// Init is the demo's init ("kobako-tutor chroot-demo-init"). It never
// returns: it becomes the learner's command, or exits 1 with the reason,
// which the tutorial also receives on the sync socket.
func Init() {
	// Capabilities and no_new_privs belong to a thread, and execve keeps
	// the creds of the thread that calls it: everything from here to the
	// exec must happen on this one thread.
	goruntime.LockOSThread()
	conf, sync, err := readConfig()
	if err == nil {
		err = initDemo(conf, sync) // returns only on failure
	}
	sendError(sync, err)
	fmt.Fprintf(os.Stderr, "kobako-tutor: chroot demo: %v\n", err)
	os.Exit(1)
}

// initDemo builds the demo and execs the command; it returns only an error.
func initDemo(conf config, sync *os.File) error {
	// Refuse to touch a mount table that is not our own (see checkFresh).
	if err := checkFresh(); err != nil {
		return err
	}
	// mount --make-rprivate /
	// Before any mount: nothing below may propagate back to the host, and
	// pivot_root refuses a shared parent mount.
	if err := makePrivate(); err != nil {
		return err
	}
	// Open busybox first: the top is about to cover /tmp, where it might be.
	busybox, err := os.Open(conf.Busybox)
	if err != nil {
		return fmt.Errorf("open busybox: %w", err)
	}
	defer busybox.Close()
	// The top: a tmpfs with the marker and a README, the only file system
	// the climb can ever reach (top.go).
	top, err := makeTop(conf.Secret)
	if err != nil {
		return err
	}
	// The image inside it: busybox, /proc, /dev/null, escape (image.go).
	if err := makeImage(top, busybox); err != nil {
		return err
	}
	// mount -o remount,ro $TOP — after the image is mounted on it: from now
	// on nothing under the top but the image can change.
	if err := readOnly(top); err != nil {
		return err
	}
	// pivot_root + umount -l: the host's file systems leave this mount
	// namespace for good, before anything unsafe is allowed (top.go).
	if err := pivotRoot(top); err != nil {
		return err
	}
	// chroot /image — the weak switch, on purpose (chroot.go).
	image, err := chrootImage()
	if err != nil {
		return err
	}
	// hostname chroot-demo; needs CAP_SYS_ADMIN, so before the drop.
	if err := setHostname(); err != nil {
		return err
	}
	// capsh --caps=…cap_sys_chroot+ep, then no_new_privs (capabilities.go).
	if err := dropCapabilities(); err != nil {
		return err
	}
	if err := sendReady(sync, image); err != nil {
		return err
	}
	banner(os.Stderr)
	// exec $COMMAND — on success fd 4 closes and the tutorial reads EOF.
	return execCommand(conf)
}

// checkFresh makes sure this process is the init Run started, PID 1 of a
// PID namespace of its own, which Run makes together with the mount
// namespace: the steps below remount "/" and pivot_root, which run by hand
// in the host's mount namespace ("kobako-tutor chroot-demo-init" typed at
// a root shell) would wreck the host.
func checkFresh() error {
	if os.Getpid() != 1 {
		return fmt.Errorf("%s runs only as PID 1 of the namespaces kobako-tutor makes, not as pid %d", InitCommand, os.Getpid())
	}
	return nil
}
