package chrootdemo

// The demo's image: what the learner's shell will see as "/". Shell twin:
//
//	mount -t tmpfs -o mode=0755,size=32m kobako-chroot-image $TOP/image
//	cp /bin/busybox $TOP/image/bin/ && ln -s busybox $TOP/image/bin/sh …
//	mount --bind /dev/null $TOP/image/dev/null
//	mount -t proc proc $TOP/image/proc
//	mount --bind -o ro $TOP/image/proc/sys $TOP/image/proc/sys   (and a few more)
//	mount --bind -o ro /proc/self/exe $TOP/image/usr/local/bin/escape
//
// The image is a tmpfs of its own, so it stays writable (the escape needs
// a directory to make) when the top around it becomes read-only.
//
// The demo's root is real root — there is no user namespace — so what it
// could write through /proc matters: kernel.core_pattern or
// kernel.modprobe in /proc/sys name programs the host kernel runs as root,
// and /proc/sysrq-trigger can crash the host. Those paths are made
// read-only exactly as docker's readonlyPaths does, and no capability that
// could undo that (CAP_SYS_ADMIN) survives (capabilities.go).

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// applets are the busybox commands the demo offers; `cd` is the shell's.
var applets = []string{
	"sh", "ash", "ls", "cat", "echo", "pwd", "mkdir", "rmdir", "rm", "touch",
	"ps", "id", "hostname", "grep", "head", "stat", "readlink", "ln",
	"chroot", "env", "sleep", "true", "false", "uname", "wc", "find", "vi",
	"cut", "tty",
}

// procReadOnly are the parts of /proc the demo's root must not write:
// docker's readonlyPaths, plus the two it masks for the same reason.
var procReadOnly = []string{"sys", "sysrq-trigger", "irq", "bus", "fs", "acpi", "scsi"}

// makeImage builds the image under top from the busybox already opened.
func makeImage(top string, busybox *os.File) error {
	image := filepath.Join(top, "image")
	// mount -t tmpfs -o mode=0755,size=32m kobako-chroot-image $TOP/image
	if err := unix.Mount("kobako-chroot-image", image, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,size=32m"); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", image, err)
	}
	// mkdir -p bin dev etc proc tmp usr/local/bin
	for _, dir := range []string{"bin", "dev", "etc", "proc", "tmp", "usr/local/bin"} {
		if err := os.MkdirAll(filepath.Join(image, dir), 0o755); err != nil {
			return fmt.Errorf("mkdir %s: %w", dir, err)
		}
	}
	// chmod 1777 tmp — where escape leaves its report
	if err := os.Chmod(filepath.Join(image, "tmp"), 0o777|os.ModeSticky); err != nil {
		return fmt.Errorf("chmod 1777 %s/tmp: %w", image, err)
	}
	if err := installBusybox(image, busybox); err != nil {
		return err
	}
	if err := writeEtc(image); err != nil {
		return err
	}
	// mount --bind /dev/null $IMAGE/dev/null: a shell wants one
	if err := bindFile("/dev/null", filepath.Join(image, "dev/null"), 0); err != nil {
		return err
	}
	if err := mountProc(filepath.Join(image, "proc")); err != nil {
		return err
	}
	// mount --bind -o ro /proc/self/exe $IMAGE/usr/local/bin/escape: this
	// very binary is the escape tool. Read-only, so the demo's root cannot
	// overwrite the host's kobako-tutor through it (CVE-2019-5736's trick).
	return bindFile("/proc/self/exe", filepath.Join(image, "usr/local/bin/escape"), unix.MS_RDONLY)
}

// installBusybox copies busybox into bin and links the applets to it.
// The links are relative, so they still work from the top after the climb
// (as /image/bin/sh, or /bin/sh through the top's bin link).
func installBusybox(image string, busybox *os.File) error {
	// cp /bin/busybox $IMAGE/bin/busybox
	path := filepath.Join(image, "bin/busybox")
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	_, err = io.Copy(out, busybox)
	if closeErr := out.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("cp %s %s: %w", busybox.Name(), path, err)
	}
	for _, applet := range applets {
		// ln -s busybox $IMAGE/bin/$APPLET
		if err := os.Symlink("busybox", filepath.Join(image, "bin", applet)); err != nil {
			return fmt.Errorf("ln -s busybox bin/%s: %w", applet, err)
		}
	}
	return nil
}

// writeEtc gives root a name, so that id and ps say "root".
func writeEtc(image string) error {
	for name, text := range map[string]string{
		"etc/passwd": "root:x:0:0:root:/:/bin/sh\n",
		"etc/group":  "root:x:0:\n",
	} {
		if err := os.WriteFile(filepath.Join(image, name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// mountProc mounts a proc of the demo's own PID namespace and makes the
// parts of it that reach the host kernel read-only.
func mountProc(proc string) error {
	const flags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	// mount -t proc proc $IMAGE/proc
	if err := unix.Mount("proc", proc, "proc", flags, ""); err != nil {
		return fmt.Errorf("mount -t proc proc %s: %w", proc, err)
	}
	for _, name := range procReadOnly {
		path := filepath.Join(proc, name)
		// mount --bind $P $P
		err := unix.Mount(path, path, "", unix.MS_BIND|unix.MS_REC, "")
		if errors.Is(err, unix.ENOENT) {
			continue // this kernel has no /proc/acpi, /proc/scsi …
		}
		if err != nil {
			return fmt.Errorf("mount --bind %s %s: %w", path, path, err)
		}
		// mount -o remount,bind,ro $P — a remount replaces the flags, so
		// proc's own are given again.
		if err := unix.Mount("", path, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|flags, ""); err != nil {
			return fmt.Errorf("mount -o remount,bind,ro %s: %w", path, err)
		}
	}
	return nil
}

// bindFile binds the file src onto a new empty file dst; with
// unix.MS_RDONLY in extra, read-only.
func bindFile(src, dst string, extra uintptr) error {
	// touch $DST — a bind mount needs something to cover
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	f.Close()
	// mount --bind $SRC $DST
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("mount --bind %s %s: %w", src, dst, err)
	}
	if extra == 0 {
		return nil
	}
	// mount -o remount,bind,ro,nosuid $DST — the read-only flag of a bind
	// mount can only be set by a remount
	if err := unix.Mount("", dst, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_NOSUID|extra, ""); err != nil {
		return fmt.Errorf("mount -o remount,bind,ro %s: %w", dst, err)
	}
	return nil
}
