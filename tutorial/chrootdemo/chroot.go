package chrootdemo

// The unsafe part, on purpose: the switch into the image with chroot
// alone, then the learner's command. Shell twin:
//
//	chroot /image
//	cd /
//	hostname chroot-demo
//	exec env -i PATH=/usr/local/bin:/bin HOME=/ … $COMMAND
//
// chroot(2) changes one thing: where path lookups of this process start
// for "/". The top is still mounted around the image, and a process that
// may call chroot again (CAP_SYS_CHROOT) can leave its working directory
// outside its new root and climb out with "..": escape.go does exactly
// that. kobako's containers never rely on chroot (rootfs/pivot_root.go).

import (
	"fmt"
	"io"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"
)

// hostname is the demo's, so the learner's prompt says where they are.
const hostname = "chroot-demo"

// chrootImage switches the root to /image and returns an O_PATH handle on
// it for the tutorial (close-on-exec: the command never sees it).
func chrootImage() (int, error) {
	// chroot /image
	if err := unix.Chroot("/image"); err != nil {
		return -1, fmt.Errorf("chroot /image: %w", err)
	}
	// cd / — the working directory must follow, or this process could
	// already climb out; the learner's escape makes exactly this mistake.
	if err := unix.Chdir("/"); err != nil {
		return -1, fmt.Errorf("chdir / in /image: %w", err)
	}
	image, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open / in /image: %w", err)
	}
	return image, nil
}

// setHostname names the demo's UTS namespace.
func setHostname() error {
	// hostname chroot-demo
	if err := unix.Sethostname([]byte(hostname)); err != nil {
		return fmt.Errorf("sethostname %s: %w", hostname, err)
	}
	return nil
}

// banner says, loudly and in both languages, what this is.
func banner(w io.Writer) {
	fmt.Fprint(w,
		"!!! UNSAFE DEMONSTRATION: a root switched with chroot alone, still holding CAP_SYS_CHROOT. It exists only inside kobako's tutorial; kobako never runs a container like this. !!!\n"+
			"!!! 危険なデモです: chroot で切り替えただけで CAP_SYS_CHROOT を持ったままのルートです。kobako のチュートリアルの中にしかなく、kobako はコンテナをこのようには動かしません。 !!!\n")
}

// execCommand becomes the learner's command, with an environment made
// here: nothing of the tutorial's own leaks in.
func execCommand(conf config) error {
	env := []string{
		"PATH=/usr/local/bin:/bin",
		"HOME=/",
		"HOSTNAME=" + hostname,
		`PS1=chroot-demo:\w# `,
	}
	for _, v := range []struct{ name, value string }{{"TERM", conf.Term}, {"LANG", conf.Lang}} {
		if v.value != "" {
			env = append(env, v.name+"="+v.value)
		}
	}
	// LookPath reads PATH from this process's environment, and resolves it
	// inside the chroot, where the command will run.
	os.Setenv("PATH", "/usr/local/bin:/bin")
	path, err := exec.LookPath(conf.Command[0])
	if err != nil {
		return fmt.Errorf("exec %s: %w", conf.Command[0], err)
	}
	// exec $COMMAND
	if err := unix.Exec(path, conf.Command, env); err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	return nil // not reached
}
