package tests

// Seccomp (the catalogue's B19, and the last guard of B16): every container
// runs under a system call filter, docker's default profile in effect. It
// is seen from outside in /proc/<pid>/status, as
//
//	grep Seccomp: /proc/$PID/status     # 0: none, 2: a filter
//
// shows it, and from inside by /probe syscalls, which tries the calls the
// profile refuses. --security-opt seccomp=unconfined runs without a
// filter, --security-opt seccomp=FILE with a profile in docker's format.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seccompMode is the Seccomp: line of /proc/<pid>/status, read from outside.
func seccompMode(t *testing.T, pid int) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if value, ok := strings.CutPrefix(line, "Seccomp:"); ok {
			return strings.TrimSpace(value)
		}
	}
	t.Fatalf("/proc/%d/status has no Seccomp: line", pid)
	return ""
}

// syscallsReport is what /probe syscalls prints: the Seccomp: mode, and
// each call's errno ("" if it succeeded).
type syscallsReport struct {
	Seccomp string            `json:"seccomp"`
	Errno   map[string]string `json:"errno"`
}

// probeSyscalls runs /probe syscalls in a container of the probe image,
// made with flags.
func (e *env) probeSyscalls(flags ...string) syscallsReport {
	e.t.Helper()
	args := append(append([]string{"run", "--rm"}, flags...), "probe", "/probe", "syscalls")
	var r syscallsReport
	decodeProbe(e.t, "run "+strings.Join(flags, " ")+" probe /probe syscalls", e.mustRun(args...), &r)
	return r
}

// checkErrnos compares the errno of each call named in want.
func checkErrnos(t *testing.T, what string, r syscallsReport, want map[string]string) {
	t.Helper()
	for name, errno := range want {
		if got, ok := r.Errno[name]; !ok || got != errno {
			t.Errorf("%s: %s failed with %q, want %q", what, name, got, errno)
		}
	}
}

// refusedByDefault is what the default profile answers each call of
// /probe syscalls: EPERM, but ENOSYS for clone3, so that glibc falls back
// to clone.
var refusedByDefault = map[string]string{
	"keyctl": "EPERM", "add_key": "EPERM", "request_key": "EPERM", "bpf": "EPERM",
	"perf_event_open": "EPERM", "kexec_load": "EPERM", "init_module": "EPERM",
	"open_by_handle_at": "EPERM", "unshare": "EPERM", "mount": "EPERM", "setns": "EPERM",
	"clone3": "ENOSYS",
}

// B19: the default profile is on the container's process and on what
// kobako exec starts in it — with no_new_privs off too, when installing a
// filter needs CAP_SYS_ADMIN — and refuses each call as the profile says.
func TestSeccompDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.importImage("probe", probeTar(t))

	for name, flags := range map[string][]string{"default": nil, "nnp-false": {"--security-opt", "no-new-privileges=false"}} {
		if got := seccompMode(t, e.runSleeping(name, flags...)); got != "2" {
			t.Errorf("run %s: /proc/<pid>/status says Seccomp: %s, want 2 (a filter)", strings.Join(flags, " "), got)
		}
	}
	if out := e.mustRun("exec", "default", "grep", "Seccomp:", "/proc/self/status"); !strings.Contains(out, "Seccomp:\t2") {
		t.Errorf("exec: %q, want Seccomp: 2", out)
	}

	r := e.probeSyscalls()
	if r.Seccomp != "2" {
		t.Errorf("probe syscalls: Seccomp: %s, want 2", r.Seccomp)
	}
	checkErrnos(t, "default profile", r, refusedByDefault)

	// CAP_SYS_ADMIN unlocks the namespace calls, as in docker: they reach
	// the kernel, which refuses the probe's bad arguments itself. The
	// keyring stays out of reach.
	r = e.probeSyscalls("--cap-add", "SYS_ADMIN")
	checkErrnos(t, "--cap-add SYS_ADMIN", r, map[string]string{
		"unshare": "EINVAL", "mount": "ENOENT", "setns": "EBADF", "clone3": "EINVAL", "bpf": "EINVAL",
		"keyctl": "EPERM", "add_key": "EPERM", "kexec_load": "EPERM",
	})
}

// --security-opt seccomp=unconfined, and --privileged, run without a
// filter: the calls reach the kernel.
func TestSeccompUnconfined(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.importImage("probe", probeTar(t))

	for name, flags := range map[string][]string{
		"unconfined": {"--security-opt", "seccomp=unconfined"},
		"privileged": {"--privileged"},
	} {
		if got := seccompMode(t, e.runSleeping(name, flags...)); got != "0" {
			t.Errorf("run %s: /proc/<pid>/status says Seccomp: %s, want 0 (no filter)", strings.Join(flags, " "), got)
		}
	}
	r := e.probeSyscalls("--security-opt", "seccomp=unconfined")
	if r.Seccomp != "0" {
		t.Errorf("probe syscalls, unconfined: Seccomp: %s, want 0", r.Seccomp)
	}
	checkErrnos(t, "unconfined", r, map[string]string{"keyctl": "", "request_key": "ENOKEY", "bpf": "EINVAL", "clone3": "EINVAL"})
}

// --security-opt seccomp=FILE: a docker profile that allows everything but
// mkdir, which fails with EACCES (errnoRet 13); the default profile's
// refusals are gone. A profile kobako cannot read or express is a kobako
// error, before any container starts.
func TestSeccompProfile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.importImage("probe", probeTar(t))
	dir := t.TempDir()
	profile := filepath.Join(dir, "no-mkdir.json")
	writeProfile(t, profile, `{
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]
	}`)

	stdout, stderr, code := e.run("run", "--rm", "--security-opt", "seccomp="+profile, "busybox",
		"sh", "-c", "grep Seccomp: /proc/self/status; mkdir /made-here")
	if code != 1 || !strings.Contains(stderr, "Permission denied") {
		t.Errorf("mkdir under %s: exit %d, stderr %q; want exit 1 and EACCES (Permission denied)", profile, code, stderr)
	}
	if !strings.Contains(stdout, "Seccomp:\t2") {
		t.Errorf("under %s: %q, want Seccomp: 2", profile, stdout)
	}
	r := e.probeSyscalls("--security-opt", "seccomp="+profile)
	checkErrnos(t, "no-mkdir profile", r, map[string]string{"keyctl": "", "clone3": "EINVAL"})

	unknownAction := filepath.Join(dir, "unknown-action.json")
	writeProfile(t, unknownAction, `{"defaultAction": "SCMP_ACT_SOMETIMES"}`)
	for _, bad := range []string{filepath.Join(dir, "absent.json"), unknownAction} {
		_, stderr, code := e.run("run", "--rm", "--security-opt", "seccomp="+bad, "busybox", "true")
		if code != 125 {
			t.Errorf("seccomp=%s: exit %d, want 125 (a kobako error)", bad, code)
		}
		checkOneLineError(t, stderr, bad)
	}
	e.expectNoContainers("runs refused for their seccomp profile")
}

func writeProfile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
