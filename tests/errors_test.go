package tests

// Mistakes on the command line, as a docker user makes them: each gets one
// line that says what to do, compared here exactly, and the status
// design.md gives it: 125 for run and exec (their other codes are the
// container's), 1 for every other command. Nothing is made.

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestErrorsOneLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cpus := goruntime.NumCPU()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		// Unknown flags, named as typed.
		{[]string{"run", "--isolation", "default", "busybox", "true"}, 125, "kobako: unknown flag --isolation: see kobako run --help"},
		{[]string{"run", "-itz", "busybox", "true"}, 125, "kobako: unknown flag -z in -itz: see kobako run --help"},
		{[]string{"run", "--memroy", "10m", "busybox", "true"}, 125, "kobako: unknown flag --memroy: did you mean --memory? see kobako run --help"},
		{[]string{"exec", "--bogus", "c", "true"}, 125, "kobako: unknown flag --bogus: see kobako exec --help"},
		{[]string{"ps", "--bogus"}, 1, "kobako: unknown flag --bogus: see kobako ps --help"},
		{[]string{"--bogus", "ps"}, 1, "kobako: unknown flag --bogus: see kobako --help"},
		{[]string{"run", "--memory"}, 125, "kobako: --memory needs a value: see kobako run --help"},
		// Unknown commands: only visible ones are suggested (never the
		// hidden monitor), and kobako's way where it has one.
		{[]string{"frobnicate"}, 1, `kobako: unknown command "frobnicate": see kobako --help`},
		{[]string{"monitr"}, 1, `kobako: unknown command "monitr": see kobako --help`},
		{[]string{"imgaes"}, 1, `kobako: unknown command "imgaes": did you mean images? see kobako --help`},
		{[]string{"network", "create", "--driver", "bridge", "net1"}, 1, "kobako: kobako has no network command: give a container its network with kobako run --network none|bridge|host|container:NAME"},
		{[]string{"container", "bogus"}, 1, `kobako: unknown command "container bogus": see kobako container --help`},
		// Numbers and sizes, in kobako's words.
		{[]string{"run", "--cpus", "abc", "busybox", "true"}, 125, "kobako: --cpus abc: want a number of CPUs like 0.5"},
		{[]string{"run", "--cpus", "99", "busybox", "true"}, 125, fmt.Sprintf("kobako: --cpus 99: want a number of CPUs from 0.01 to %d (this machine has %d), like 0.5", cpus, cpus)},
		{[]string{"run", "--pids-limit", "many", "busybox", "true"}, 125, "kobako: --pids-limit many: want a whole number of processes like 100, or -1 for no limit"},
		{[]string{"run", "--cpu-period", "-5", "busybox", "true"}, 125, "kobako: --cpu-period -5: want a whole number of µs from 1000 to 1000000, like 100000"},
		{[]string{"stop", "-t", "soon", "c"}, 1, "kobako: -t soon: want a whole number of seconds like 10"},
		{[]string{"logs", "--tail", "x", "c"}, 1, "kobako: --tail x: want a whole number of lines like 20"},
		{[]string{"--trace=zz", "ps"}, 1, "kobako: want --trace, --trace=all or --trace=time, not --trace=zz"},
		{[]string{"run", "--memory", "-1", "busybox", "true"}, 125, "kobako: --memory -1: want a size of at least 6m, like 10m (units b, k, m, g, t); leave --memory out for no limit"},
		{[]string{"run", "--memory", "10x", "busybox", "true"}, 125, "kobako: --memory 10x: want a size of at least 6m, like 10m (units b, k, m, g, t); leave --memory out for no limit"},
		{[]string{"run", "--memory", "10m", "--memory-swap", "5m", "busybox", "true"}, 125, "kobako: --memory-swap 5m: want a size of at least --memory 10m (it counts memory plus swap), or -1 for unlimited swap"},
		{[]string{"run", "--memory-swap", "20m", "busybox", "true"}, 125, "kobako: --memory-swap 20m needs --memory too: it limits memory plus swap, like --memory 10m --memory-swap 20m"},
	} {
		stdout, stderr, code := e.run(tc.args...)
		if got := strings.TrimSuffix(stderr, "\n"); code != tc.code || got != tc.want || stdout != "" {
			t.Errorf("kobako %s:\n exit %d, stderr %q, stdout %q\nwant exit %d, stderr %q", strings.Join(tc.args, " "), code, stderr, stdout, tc.code, tc.want)
		}
	}
	e.expectNoContainers("the mistakes")
}

// Help is still there when asked for, and kobako alone shows it.
func TestErrorsHelp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "COMMANDS:"},
		{[]string{"--help"}, "COMMANDS:"},
		{[]string{"help"}, "COMMANDS:"},
		{[]string{"help", "run"}, "kobako run - run a command in a new container"},
		{[]string{"run", "--help"}, "kobako run - run a command in a new container"},
		{[]string{"container"}, "kobako container - manage containers as a whole"},
	} {
		stdout, stderr, code := e.run(tc.args...)
		if code != 0 || !strings.Contains(stdout, tc.want) {
			t.Errorf("kobako %s: exit %d, stdout has no %q; stderr:\n%s", strings.Join(tc.args, " "), code, tc.want, stderr)
		}
	}
}

// --memory-swap -1 is docker's "unlimited swap": the cgroup's swap limit
// is the kernel's "no limit" (v1 memsw -1, read back as the largest
// page-aligned number; v2 memory.swap.max "max").
func TestErrorsMemorySwapUnlimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := hostCgroups(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "swap", "--memory", "10m", "--memory-swap", "-1", "busybox", "sleep", "1000"))
	e.waitRunning("swap")
	unlimited := strconv.FormatInt(math.MaxInt64&^int64(os.Getpagesize()-1), 10)
	files := []cgroupFile{{"memory", "memory.limit_in_bytes", strconv.Itoa(10 << 20), false}, {"memory", "memory.memsw.limit_in_bytes", unlimited, true}}
	if l.v2 {
		files = []cgroupFile{{"memory", "memory.max", strconv.Itoa(10 << 20), false}, {"memory", "memory.swap.max", "max", true}}
	}
	l.checkFiles(t, id, files, "--memory 10m --memory-swap -1")
	e.mustRun("rm", "-f", "swap")
	if _, stderr, code := e.run("run", "--rm", "--memory-swap", "-1", "busybox", "true"); code != 0 {
		t.Errorf("run --memory-swap -1 alone: exit %d, %s", code, stderr)
	}
}

// A user without a login session (sudo -u, su, cron) has no
// XDG_RUNTIME_DIR, and /run/user/<uid> is not there: the state dir cannot
// be made, and kobako says what to do instead of "permission denied".
func TestErrorsRootlessNoRuntimeDir(t *testing.T) {
	requireRoot(t)
	// a uid with no session open (no /run/user/<uid>), from 4242 up
	uid := uint32(4242)
	for ; ; uid++ {
		if _, err := os.Stat(fmt.Sprintf("/run/user/%d", uid)); err != nil {
			break
		}
	}
	runUser := fmt.Sprintf("/run/user/%d", uid)
	failed := runUser // mkdir fails on the first missing directory
	if _, err := os.Stat("/run/user"); err != nil {
		failed = "/run/user"
	}
	r := newRootless(t, int(uid), int(uid))
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, "run", "--rm", "--userns", "busybox", "true")
	cmd.Dir = "/"
	cmd.Env = []string{"HOME=" + r.home, "PATH=/usr/bin:/bin"} // no XDG_RUNTIME_DIR
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}}}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	code, err := exitCode(cmd, cmd.Run())
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("kobako: no state dir %s/kobako: mkdir %s: permission denied (XDG_RUNTIME_DIR is not set): "+
		"pass --root DIR, a directory of your own, or log in with a session that sets XDG_RUNTIME_DIR (ssh, or machinectl shell USER@)", runUser, failed)
	if got := strings.TrimSuffix(stderr.String(), "\n"); code != 125 || got != want {
		t.Errorf("run without XDG_RUNTIME_DIR: exit %d, %q\nwant exit 125, %q", code, got, want)
	}
}
