package initproc

// AppArmor: the profile the container's process runs under
// (process.apparmorProfile). On a host where AppArmor is on — Ubuntu's,
// the lab's — Docker asks for "docker-default" and podman for
// "containers-default-…"; kobako asks the kernel to switch to that profile
// at the command's execve, as runc does:
//
//	echo "exec docker-default" > /proc/thread-self/attr/apparmor/exec
//	(aa-exec -p docker-default -- $CMD does the same from a shell)
//
// The write goes to the container's own /proc, mounted by kobako; it is
// checked to be a real procfs first, since a file that only looks like
// the attr file would swallow the profile silently (CVE-2019-16884).

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// appArmorEnabled says whether the host's kernel enforces AppArmor.
func AppArmorEnabled() bool {
	// cat /sys/module/apparmor/parameters/enabled
	data, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.TrimSpace(string(data)) == "Y"
}

// applyAppArmor sets the profile the next execve enters. It runs in the
// init before its privileges go (the change needs the init's own).
func applyAppArmor(profile string, tr *trace.Tracer) error {
	if profile == "" {
		return nil
	}
	// Newer kernels have an apparmor directory of their own under attr;
	// older ones only the shared attr/exec.
	path := "/proc/thread-self/attr/apparmor/exec"
	if _, err := os.Stat(path); err != nil {
		path = "/proc/thread-self/attr/exec"
	}
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("apparmor profile %s: %w", profile, err)
	}
	defer f.Close()
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &fs); err != nil || fs.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("apparmor profile %s: %s is not on a procfs", profile, path)
	}
	_, err = f.WriteString("exec " + profile)
	tr.Step("confine the command with AppArmor", fmt.Sprintf("echo 'exec %s' > %s", profile, path),
		fmt.Sprintf("os.WriteFile(%q, \"exec %s\")", path, profile), err)
	if err != nil {
		return fmt.Errorf("apparmor profile %s: %w (is it loaded? aa-status lists the profiles)", profile, err)
	}
	return nil
}
