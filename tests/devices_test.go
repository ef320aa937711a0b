package tests

// run --device HOST[:CTR][:PERMS]: the host's node made again in the
// container's /dev — same type and numbers, mode and owner — under any
// name, and refused before anything is created when the flag is wrong.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// /dev/null exists on every host: under new names, one of them nested in
// directories that kobako has to make, it is still the null device.
func TestDeviceFromHost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.mustRun("--trace", "run", "--name", "dev",
		"--device", "/dev/null:/dev/mynull", "--device", "/dev/null:/dev/sub/dir/x:rw",
		"busybox", "sh", "-c", "ls -l /dev/mynull /dev/sub/dir/x && echo hi > /dev/mynull && echo hi > /dev/sub/dir/x && echo written")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[2] != "written" {
		t.Fatalf("ls -l and writes to the devices:\n%s", out)
	}
	for _, line := range lines[:2] {
		// crw-rw-rw-    1 root     root        1,   3 Jan  1 00:00 /dev/mynull
		f := strings.Fields(line)
		if len(f) < 6 || f[0] != "crw-rw-rw-" || f[2] != "root" || f[4] != "1," || f[5] != "3" {
			t.Errorf("want the char device 1, 3, mode 666, root's: %q", line)
		}
	}
	// The allow rules follow the default list in linux.resources.devices,
	// for the devices cgroup: rwm by default, or what the flag says.
	rules := strings.TrimSpace(e.mustRun("inspect", "--format",
		"{{range .Cgroup.Resources.Devices}}{{.Allow}} {{.Type}} {{.Major}}:{{.Minor}} {{.Access}};{{end}}", "dev"))
	// rw becomes rwm: the init itself makes the node, inside the cgroup.
	if !strings.HasPrefix(rules, "false  <nil>:<nil> rwm;") || !strings.HasSuffix(rules, ";true c 1:3 rwm;true c 1:3 rwm;") {
		t.Errorf("linux.resources.devices: %q", rules)
	}
}

// A node of the host's with its own mode and owner, reached through a
// symlink as /dev/disk/by-id/… names are: the container's copy has the
// node's mode and owner, and the trace shows the shell twin of each step.
func TestDeviceModeAndOwner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	node, link := filepath.Join(dir, "node"), filepath.Join(dir, "link")
	if err := unix.Mknod(node, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 7))); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(node, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(node, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(node, link); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := e.run("--trace", "run", "--rm", "--device", link+":/dev/myfull",
		"busybox", "stat", "-c", "%F %t,%T %a %u:%g", "/dev/myfull")
	if code != 0 || strings.TrimSpace(stdout) != "character special file 1,7 640 4242:4343" {
		t.Errorf("stat /dev/myfull: exit %d, %q; want character special file 1,7 640 4242:4343\n%s", code, stdout, stderr)
	}
	for _, shell := range []string{"mknod -m 640 $ROOTFS/dev/myfull c 1 7", "chown 4242:4343 $ROOTFS/dev/myfull"} {
		if !strings.Contains(stderr, shell) {
			t.Errorf("--trace does not show %q:\n%s", shell, stderr)
		}
	}
}

// A wrong flag is refused in one line, with exit status 125, before any
// container exists.
func TestDeviceBadFlags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct{ flag, says string }{
		{"/etc/passwd", "--device /etc/passwd: /etc/passwd is not a device node"},
		{"/dev/kobako-missing", "stat /dev/kobako-missing: no such file or directory"},
		{"/dev/null:relative", "must be absolute and under /dev"},
		{"/dev/null:/etc/null", "must be absolute and under /dev"},
		{"/dev/null:/dev/x:rwz", `PERMS "rwz" must be letters of rwm`},
		{"/dev/null:/dev/x:rw:m", "use HOST[:CTR][:PERMS]"},
	} {
		_, stderr, code := e.run("run", "--name", "bad", "--device", tc.flag, "busybox", "true")
		if lines := strings.Split(strings.TrimSpace(stderr), "\n"); code != 125 || len(lines) != 1 || !strings.Contains(stderr, tc.says) {
			t.Errorf("--device %s: exit %d, stderr %q; want 125 and one line saying %q", tc.flag, code, stderr, tc.says)
		}
		e.expectNoContainers("--device %s", tc.flag)
	}
}
