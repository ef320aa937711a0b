package tests

// User namespaces, observed from the host: the article's `unshare -r`.
// The container's root is an unprivileged host id — /proc/<pid>/status and
// uid_map say which — a file it makes is that id's in the overlay's upper
// dir, the image's files are root's inside all the same, and a user who is
// not root runs containers (rootless), with its own state and data dirs,
// leaving nothing behind.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestUsernsRoot: `sudo kobako run --userns`. Each container's root is a
// range of host ids of its own, files it makes belong to that range, the
// image's files are root's inside, and root inside has no power over the
// host's nodes bound into its /dev.
func TestUsernsRoot(t *testing.T) {
	t.Parallel()
	if inGuest() {
		t.Skip("the v2 guest keeps its files on tmpfs under Linux 6.1, which cannot idmap a mount (tmpfs can since 6.3)")
	}
	e := newEnv(t)
	openToOthers(t, filepath.Dir(e.dataRoot))
	l := hostCgroups(t)

	e.mustRun("run", "-d", "--name", "a", "--userns", "busybox", "sh", "-c", "echo made > /root/made; exec sleep 1000")
	e.mustRun("run", "-d", "--name", "b", "--userns", "busybox", "sleep", "1000")
	a, b := e.waitRunning("a"), e.waitRunning("b")
	waitFor(t, "a to exec sleep", func() bool { return processCommIs(a.Pid, "sleep") })
	rootA, rootB := namespaceRoot(t, a.Pid), namespaceRoot(t, b.Pid)
	if rootA == 0 || rootB == 0 {
		t.Fatalf("root in the container is the host's root: uid_map maps 0 to %d and %d", rootA, rootB)
	}
	if d := int64(rootA) - int64(rootB); d > -65536 && d < 65536 {
		t.Errorf("containers a and b share host ids: their roots are %d and %d, less than 65536 apart", rootA, rootB)
	}
	// grep Uid /proc/$PID/status — from the host, the mapped uid.
	if got, want := statusIDs(t, a.Pid, "Uid"), strings.Repeat(strconv.Itoa(rootA)+" ", 4); got != strings.TrimSpace(want) {
		t.Errorf("/proc/%d/status Uid: %q, want %d four times", a.Pid, got, rootA)
	}
	// A file root made in the container is the mapped uid's on the host.
	var st syscall.Stat_t
	made := filepath.Join(a.Overlay.Upper, "root", "made")
	if err := syscall.Stat(made, &st); err != nil {
		t.Fatalf("the container's file in its upper dir: %v", err)
	}
	if int(st.Uid) != rootA {
		t.Errorf("%s is uid %d on the host, want %d (the container's root)", made, st.Uid, rootA)
	}
	l.checkPlacement(t, a.Pid, a.ID)
	// The init carried every capability ambient across its execve (its uid
	// was not mapped yet): the command must hold docker's 14, no more.
	if c := capSetsOf(t, a.Pid); c.Eff != dockerDefault || c.Prm != dockerDefault || c.Inh != 0 || c.Amb != 0 || c.NoNewPrivs != "1" {
		t.Errorf("capabilities of a user-namespaced container: %v; want docker's default, nothing inheritable or ambient", c)
	}

	// Inside, root is 0 and the image's files are root's (idmapped).
	out := e.mustRun("run", "--rm", "--userns", "busybox", "sh", "-c", "id -u; id -g; stat -c %u:%g /bin/busybox /etc/passwd")
	if want := "0\n0\n0:0\n0:0\n"; out != want {
		t.Errorf("inside a user namespace: %q, want %q", out, want)
	}
	// The host's /dev/null is bound in, and is not the container's to chmod.
	if _, _, code := e.run("run", "--rm", "--userns", "busybox", "chmod", "600", "/dev/null"); code == 0 {
		t.Errorf("chmod 600 /dev/null in the container succeeded")
	}
	if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode().Perm() != 0o666 {
		t.Errorf("the host's /dev/null: %v, %v; want mode 0666", fi.Mode(), err)
	}
	// exec cannot join a user namespace: one clear line, nothing started.
	_, stderr, code := e.run("exec", "a", "true")
	if code != 125 {
		t.Errorf("exec into a user-namespaced container: exit %d, want 125", code)
	}
	checkOneLineError(t, stderr, "user namespace")

	e.mustRun("rm", "-f", "a", "b")
	l.expectGone(t, a.ID, "rm -f")
	l.expectGone(t, b.ID, "rm -f")
}

// openToOthers lets the container's root, "others" to the host's root,
// walk through dir and its parents up to the test's temp dir (0700). kobako
// says so when it cannot: see TestUsernsClosedDataRoot.
func openToOthers(t *testing.T, dir string) {
	t.Helper()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUsernsClosedDataRoot: a data root the container's root cannot reach
// is refused in one line, before anything is made.
func TestUsernsClosedDataRoot(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // its temp dirs are 0700
	_, stderr, code := e.run("run", "--rm", "--userns", "busybox", "true")
	if code != 125 {
		t.Errorf("exit %d, want 125", code)
	}
	checkOneLineError(t, stderr, "chmod o+x")
	e.expectNoContainers("run --userns with a closed data root")
}

// namespaceRoot reads the host uid that uid 0 of pid's user namespace is.
func namespaceRoot(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/uid_map", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "0" {
			uid, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return uid
		}
	}
	t.Fatalf("/proc/%d/uid_map maps no root:\n%s", pid, data)
	return -1
}

// statusIDs is the Uid or Gid line of /proc/<pid>/status, its four ids
// (real, effective, saved, file system) space-separated.
func statusIDs(t *testing.T, pid int, key string) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	t.Fatalf("/proc/%d/status has no %s line", pid, key)
	return ""
}

// TestUsernsRootless: a user who is not root runs `kobako run --userns`,
// with kobako's defaults: state in $XDG_RUNTIME_DIR/kobako, data in
// ~/.local/share/kobako. With subordinate ids and newuidmap (package
// uidmap) root inside is the user and ids 1… its /etc/subuid range; with
// neither, root is the user alone, the one line a user may map itself.
func TestUsernsRootless(t *testing.T) {
	requireRoot(t) // to make the user and its directories
	t.Run("subordinate ids", func(t *testing.T) {
		if inGuest() {
			t.Skip("the v2 guest has no passwd tools and no uidmap package")
		}
		if _, err := exec.LookPath("newuidmap"); err != nil {
			missing(t, "newuidmap (apt-get install uidmap)")
		}
		u := newTestUser(t)
		checkRootless(t, newRootless(t, u.uid, u.gid), u.subuid)
	})
	t.Run("one id", func(t *testing.T) {
		// A uid with no passwd entry: newuidmap would refuse it.
		checkRootless(t, newRootless(t, 4242, 4242), 0)
	})
}

func checkRootless(t *testing.T, r *rootless, subuid int) {
	l := hostCgroups(t)
	out := r.mustRun("run", "--rm", "--userns", "busybox", "sh", "-c",
		"id -u; id -g; stat -c %u /bin/busybox; touch /x; stat -c %u /x; cat /proc/self/setgroups /proc/self/uid_map")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 6 || strings.Join(lines[:4], " ") != "0 0 0 0" {
		t.Fatalf("inside: %q, want uid 0, gid 0, image and new files root's", out)
	}
	// A user's own one-id gid map needs setgroups denied first; newgidmap
	// (subordinate ids) writes the map with setgroups allowed.
	wantMap, setgroups := [][]string{{"0", strconv.Itoa(r.uid), "1"}}, "deny"
	if subuid > 0 {
		wantMap, setgroups = append(wantMap, []string{"1", strconv.Itoa(subuid), "65536"}), "allow"
	}
	if lines[4] != setgroups {
		t.Errorf("/proc/self/setgroups inside: %q, want %q", lines[4], setgroups)
	}
	var gotMap [][]string
	for _, line := range lines[5:] {
		gotMap = append(gotMap, strings.Fields(line))
	}
	if !slices.EqualFunc(gotMap, wantMap, slices.Equal) {
		t.Errorf("uid_map inside: %q, want %q", gotMap, wantMap)
	}

	r.mustRun("run", "-d", "--name", "s", "--userns", "busybox", "sh", "-c", "touch /made; exec sleep 1000")
	in := r.inspect("s")
	waitFor(t, "s to exec sleep", func() bool { return processCommIs(in.Pid, "sleep") })
	if got, want := statusIDs(t, in.Pid, "Uid"), strings.TrimSpace(strings.Repeat(strconv.Itoa(r.uid)+" ", 4)); got != want {
		t.Errorf("/proc/%d/status Uid: %q, want %q (the user)", in.Pid, got, want)
	}
	if !strings.HasPrefix(in.Bundle, filepath.Join(r.home, ".local", "share", "kobako")+"/") {
		t.Errorf("bundle %s is not under ~/.local/share/kobako", in.Bundle)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(in.Overlay.Upper, "made"), &st); err != nil || int(st.Uid) != r.uid {
		t.Errorf("the container's file in its upper dir: uid %d, %v; want %d", st.Uid, err, r.uid)
	}
	if !l.v2 {
		if dirs := l.kobakoDirs(t, in.ID); len(dirs) > 0 {
			t.Errorf("a user's container on cgroup v1 has cgroups: %v", dirs)
		}
	}
	_, stderr, code := r.run("exec", "s", "true")
	if code != 125 {
		t.Errorf("exec into a user's container: exit %d, want 125", code)
	}
	checkOneLineError(t, stderr, "user namespace")
	r.mustRun("rm", "-f", "s")

	// What a user cannot have, said in one line before anything is made.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--rm", "busybox", "true"}, "needs root"},
		{[]string{"run", "--rm", "--userns", "--memory", "10m", "busybox", "true"}, map[bool]string{false: "cgroup v1 cannot be delegated", true: "delegated"}[l.v2]},
		{[]string{"--root", "/run/kobako", "ps"}, "sudo"},
	} {
		_, stderr, code := r.run(tc.args...)
		if code == 0 {
			t.Errorf("kobako %s as uid %d: exit 0", strings.Join(tc.args, " "), r.uid)
		}
		checkOneLineError(t, stderr, tc.want)
	}
}

// TestUsernsDelegatedCgroup: on cgroup v2 a user's container gets limits
// inside a subtree delegated to the user, the way systemd delegates
// user@UID.service: the directories and their cgroup.procs,
// cgroup.subtree_control and cgroup.threads are the user's. kobako runs
// from a cgroup in it and makes <delegated>/kobako/<id> next to its own.
func TestUsernsDelegatedCgroup(t *testing.T) {
	requireRoot(t)
	l := hostCgroups(t)
	if !l.v2 {
		t.Skip("cgroup v1: nothing can be delegated to a user there (TestUsernsRootless checks the refusal); run it in the v2 guest: make test-v2 V2_TESTS=TestUsernsDelegatedCgroup")
	}
	const uid, gid = 4243, 4243
	delegated := delegateCgroup(t, l.root, uid, gid)
	shell, err := os.Open(filepath.Join(delegated, "shell"))
	if err != nil {
		t.Fatal(err)
	}
	defer shell.Close()
	r := newRootless(t, uid, gid)
	r.cgroupFD = int(shell.Fd())

	out := r.mustRun("run", "--rm", "--userns", "--memory", "10m", "--pids-limit", "50", "busybox",
		"cat", "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max", "/proc/self/cgroup")
	if want := "10485760\n50\n0::/\n"; out != want {
		t.Errorf("limits inside: %q, want %q", out, want)
	}
	id := strings.TrimSpace(r.mustRun("run", "-d", "--userns", "--memory", "10m", "busybox", "sleep", "1000"))
	dir := filepath.Join(delegated, "kobako", id)
	if got := readCgroupFile(t, dir, "memory.max"); got != "10485760" {
		t.Errorf("%s/memory.max: %q, want 10485760", dir, got)
	}
	if pid := r.inspect(id).Pid; !slices.Contains(strings.Fields(readCgroupFile(t, dir, "cgroup.procs")), strconv.Itoa(pid)) {
		t.Errorf("the container's init %d is not in %s", pid, dir)
	}
	r.mustRun("rm", "-f", id)
	if _, err := os.Stat(filepath.Join(delegated, "kobako")); !os.IsNotExist(err) {
		t.Errorf("%s/kobako left after rm: %v", delegated, err)
	}
}

// delegateCgroup makes <root>/kobako-test-…/shell and gives both to uid,
// as systemd's Delegate=yes does; it removes them when the test ends.
func delegateCgroup(t *testing.T, root string, uid, gid int) string {
	t.Helper()
	suffix := make([]byte, 4)
	rand.Read(suffix)
	top := filepath.Join(root, "kobako-test-delegated-"+hex.EncodeToString(suffix))
	for _, dir := range []string{top, filepath.Join(top, "shell")} {
		// mkdir $DIR && chown $UID:$GID $DIR $DIR/cgroup.{procs,subtree_control,threads}
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			// A detached container's monitor lives in shell too, and may
			// still be exiting after rm: its cgroup empties when it has.
			var err error
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				if err = os.Remove(dir); !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
					break
				}
			}
			if err != nil {
				t.Errorf("rmdir %s: %v", dir, err)
			}
		})
		for _, p := range []string{dir, dir + "/cgroup.procs", dir + "/cgroup.subtree_control", dir + "/cgroup.threads"} {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	return top
}
