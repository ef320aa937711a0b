package tests

// kobako exec: the Namespace chapter's nsenter. A process started by exec
// must share every namespace and the cgroup of the container's init, seen
// from outside in /proc/<pid>/ns/* and /proc/<pid>/cgroup.

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestExecJoinsTheContainer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "x", "--hostname", "box", "--memory", "20m", "busybox", "sleep", "1000")
	init := e.waitRunning("x")

	// ps in the same PID namespace lists the container's PID 1.
	if out := e.mustRun("exec", "x", "ps"); !strings.Contains(out, "    1 root     sleep 1000") {
		t.Errorf("exec ps does not list the container's PID 1:\n%s", out)
	}
	if out := strings.TrimSpace(e.mustRun("exec", "x", "hostname")); out != "box" {
		t.Errorf("exec hostname = %q, want box", out)
	}
	// The same root: a file the init's view has, exec's view has.
	if err := os.WriteFile("/proc/"+strconv.Itoa(init.Pid)+"/root/tmp/seen", []byte("yes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := e.mustRun("exec", "x", "cat", "/tmp/seen"); out != "yes" {
		t.Errorf("exec cat /tmp/seen = %q, want yes", out)
	}

	// From outside: a long-running exec'd process, compared with the init.
	e.mustRun("exec", "-d", "x", "sleep", "999")
	var pid int
	waitFor(t, "the exec'd sleep to appear", func() bool {
		pid = childNamed(t, init.Pid, "sleep 999")
		return pid > 0
	})
	namespaces := []string{"mnt", "uts", "ipc", "net", "pid", "cgroup"}
	if inGuest() {
		// On cgroup v2 the exec'd process gets a cgroup namespace of its own,
		// rooted at the container's cgroup (runtime/exec.go says why): same
		// view, another inode. The view is compared below.
		namespaces = namespaces[:5]
	}
	for _, ns := range namespaces {
		want, err1 := os.Readlink("/proc/" + strconv.Itoa(init.Pid) + "/ns/" + ns)
		got, err2 := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + ns)
		if err1 != nil || err2 != nil || got != want {
			t.Errorf("%s namespace of the exec'd process: %s, init's: %s (%v %v)", ns, got, want, err1, err2)
		}
	}
	wantCgroup, _ := os.ReadFile("/proc/" + strconv.Itoa(init.Pid) + "/cgroup")
	gotCgroup, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if string(gotCgroup) != string(wantCgroup) || !strings.Contains(string(gotCgroup), "/kobako/"+init.ID) {
		t.Errorf("cgroup of the exec'd process:\n%s\nwant the init's:\n%s", gotCgroup, wantCgroup)
	}
	// And from inside, the same view: the container's cgroup is "/".
	if out := e.mustRun("exec", "x", "cat", "/proc/self/cgroup"); !strings.HasSuffix(strings.TrimSpace(out), ":/") {
		t.Errorf("exec's /proc/self/cgroup does not show the container's cgroup as /:\n%s", out)
	}
}

// childNamed finds a process whose command line is cmdline and whose pid
// namespace is the init's (the exec'd process is not the init's child: it
// is kobako exec's).
func childNamed(t *testing.T, initPid int, cmdline string) int {
	t.Helper()
	initNS, err := os.Readlink("/proc/" + strconv.Itoa(initPid) + "/ns/pid")
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir("/proc")
	for _, d := range entries {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == initPid {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		ns, _ := os.Readlink("/proc/" + d.Name() + "/ns/pid")
		if strings.ReplaceAll(strings.TrimRight(string(cmd), "\x00"), "\x00", " ") == cmdline && ns == initNS {
			return pid
		}
	}
	return 0
}

func TestExecStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "x", "busybox", "sleep", "1000")
	e.waitRunning("x")
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"true"}, 0},
		{[]string{"sh", "-c", "exit 7"}, 7},
		{[]string{"/etc/passwd"}, 126},
		{[]string{"nothere"}, 127},
	} {
		_, stderr, code := e.run(append([]string{"exec", "x"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("exec %v: exit %d, want %d; stderr: %s", tc.args, code, tc.code, stderr)
		}
	}
	if out := e.mustRun("exec", "-e", "GREETING=hi", "-w", "/tmp", "x", "sh", "-c", "echo $GREETING; pwd"); out != "hi\n/tmp\n" {
		t.Errorf("exec -e -w: %q", out)
	}
	// Not running: a clear error.
	e.mustRun("run", "--name", "done", "busybox", "true")
	if _, stderr, code := e.run("exec", "done", "true"); code != 125 {
		t.Errorf("exec into a stopped container: exit %d, want 125", code)
	} else {
		checkOneLineError(t, stderr, "not running", "stopped")
	}
}

func TestExecTerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "x", "busybox", "sleep", "1000")
	e.waitRunning("x")
	term := e.startOnTerminal(24, 70, "exec", "-it", "x", "sh", "-c", "tty; stty size; test -t 0 && echo TTY")
	out, code := term.wait(t)
	for _, want := range []string{"/dev/pts/0", "24 70", "TTY"} {
		if !strings.Contains(out, want) {
			t.Errorf("exec -it output lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("exec -it: exit %d", code)
	}
}
