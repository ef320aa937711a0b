package tests

// Capabilities and no_new_privs (the catalogue's B7 and B15): what root in
// the container may still do, read from outside in /proc/<pid>/status of
// the container's process — CapEff, CapPrm, CapBnd, CapInh, CapAmb,
// NoNewPrivs — the way `grep Cap /proc/$PID/status` shows it; a setuid
// copy of the probe for what only the process itself can tell (its euid);
// and the article's lesson, capsh --drop=cap_sys_chroot: without
// CAP_SYS_CHROOT, chroot fails.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// dockerDefault is docker's 14 default capabilities as the kernel prints
// them (capsh --decode=00000000a80425fb): chown dac_override fowner fsetid
// kill setgid setuid setpcap net_bind_service net_raw sys_chroot mknod
// audit_write setfcap.
const dockerDefault = 0x00000000a80425fb

// Capability numbers of capabilities(7) that the tests name.
const (
	capChown     = 0
	capNetAdmin  = 12
	capSysChroot = 18
)

// capSets are the masks of /proc/<pid>/status, and NoNewPrivs.
type capSets struct {
	Eff, Prm, Bnd, Inh, Amb uint64
	NoNewPrivs              string
}

func (c capSets) String() string {
	return fmt.Sprintf("CapEff %016x CapPrm %016x CapBnd %016x CapInh %016x CapAmb %016x NoNewPrivs %s",
		c.Eff, c.Prm, c.Bnd, c.Inh, c.Amb, c.NoNewPrivs)
}

// parseCapSets reads the Cap* and NoNewPrivs lines of a /proc/<pid>/status.
func parseCapSets(status string) (capSets, error) {
	var c capSets
	masks := map[string]*uint64{"CapEff": &c.Eff, "CapPrm": &c.Prm, "CapBnd": &c.Bnd, "CapInh": &c.Inh, "CapAmb": &c.Amb}
	for _, line := range strings.Split(status, "\n") {
		key, value, _ := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		if key == "NoNewPrivs" {
			c.NoNewPrivs = value
		}
		if mask, ok := masks[key]; ok {
			n, err := strconv.ParseUint(value, 16, 64)
			if err != nil {
				return c, fmt.Errorf("%s: %q is not a hex mask", key, value)
			}
			*mask = n
			delete(masks, key)
		}
	}
	if len(masks) > 0 || c.NoNewPrivs == "" {
		return c, fmt.Errorf("lines missing from status (left: %v)", masks)
	}
	return c, nil
}

// capSetsOf reads /proc/<pid>/status of a process, from outside.
func capSetsOf(t *testing.T, pid int) capSets {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseCapSets(string(data))
	if err != nil {
		t.Fatalf("/proc/%d/status: %v", pid, err)
	}
	return c
}

// ownBoundingSet is the tests' own CapBnd, which kobako, started by them,
// inherits: all a container can ever get. Where root lacks a capability
// (these hosts take CAP_SYS_RESOURCE away), so does every container.
func ownBoundingSet(t *testing.T) uint64 {
	t.Helper()
	return capSetsOf(t, os.Getpid()).Bnd
}

// runSleeping runs `sleep 1000` detached with the flags, and returns the
// pid of the container's process once it is sleep — no longer kobako's
// init, which holds root's full power until its very last step.
func (e *env) runSleeping(name string, flags ...string) int {
	e.t.Helper()
	args := append(append([]string{"run", "-d", "--name", name}, flags...), "busybox", "sleep", "1000")
	e.mustRun(args...)
	pid := e.waitRunning(name).Pid
	waitFor(e.t, name+"'s init to exec sleep", func() bool { return processCommIs(pid, "sleep") })
	return pid
}

// B7: the bounding, effective and permitted sets are what the flags make
// of docker's list, and the inheritable and ambient sets are empty
// (CVE-2022-29162); no_new_privs is on unless turned off.
func TestCapsSets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	all := ownBoundingSet(t)
	for _, tc := range []struct {
		name  string
		flags []string
		caps  uint64 // CapEff = CapPrm = CapBnd
		nnp   string
	}{
		{"default", nil, dockerDefault, "1"},
		{"drop-all", []string{"--cap-drop", "ALL"}, 0, "1"},
		{"add-net-admin", []string{"--cap-add", "net_admin"}, dockerDefault | 1<<capNetAdmin, "1"},
		{"only-chown", []string{"--cap-drop", "ALL", "--cap-add", "CAP_CHOWN"}, 1 << capChown, "1"},
		{"privileged", []string{"--privileged"}, all, "0"},
		{"nnp-false", []string{"--security-opt", "no-new-privileges=false"}, dockerDefault, "0"},
		{"nnp-colon", []string{"--security-opt", "no-new-privileges:false"}, dockerDefault, "0"},
		{"nnp-bare", []string{"--privileged", "--security-opt", "no-new-privileges"}, all, "1"},
	} {
		got := capSetsOf(t, e.runSleeping(tc.name, tc.flags...))
		want := capSets{Eff: tc.caps, Prm: tc.caps, Bnd: tc.caps, NoNewPrivs: tc.nnp}
		if got != want {
			t.Errorf("run %s:\n got %v\nwant %v", strings.Join(tc.flags, " "), got, want)
		}
	}
}

// --privileged says on stderr what it turns off.
func TestCapsPrivilegedWarns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, stderr, code := e.run("run", "--rm", "--privileged", "busybox", "true")
	if code != 0 || !strings.Contains(stderr, "kobako: warning: --privileged") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("run --privileged: exit %d, want 0 and one warning line; stderr:\n%s", code, stderr)
	}
}

// B7 for exec: a process started by `kobako exec` holds exactly what the
// container's own process holds, not the full power of the kobako that
// started it.
func TestCapsExec(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	initPid := e.runSleeping("x", "--cap-add", "NET_ADMIN", "--cap-drop", "SYS_CHROOT")
	e.mustRun("exec", "-d", "x", "sleep", "999")
	var pid int
	waitFor(t, "the exec'd sleep to appear", func() bool {
		pid = childNamed(t, initPid, "sleep 999")
		return pid > 0 && processCommIs(pid, "sleep")
	})
	want := capSets{Eff: (dockerDefault | 1<<capNetAdmin) &^ (1 << capSysChroot), NoNewPrivs: "1"}
	want.Prm, want.Bnd = want.Eff, want.Eff
	if got := capSetsOf(t, initPid); got != want {
		t.Errorf("the container's process:\n got %v\nwant %v", got, want)
	}
	if got := capSetsOf(t, pid); got != want {
		t.Errorf("the exec'd process:\n got %v\nwant %v", got, want)
	}
}

// creds is what `/probe creds` prints.
type creds struct {
	UID    int               `json:"uid"`
	EUID   int               `json:"euid"`
	Status map[string]string `json:"status"`
}

// B15: a root-owned setuid copy of the probe, run by uid 1000. With
// no_new_privs (the default) exec ignores the setuid bit: euid stays 1000,
// with no capabilities. Without it — the proof that the flag is what
// matters — euid becomes 0, and still gets no more than the bounding set.
func TestCapsNoNewPrivs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.importImage("probe", append(probeTar(t), tarFile("probe-setuid", 0o4755, probeBinary(t))))
	for _, tc := range []struct {
		flags  []string
		euid   int
		capEff string
		nnp    string
	}{
		{nil, 1000, "0000000000000000", "1"},
		{[]string{"--security-opt", "no-new-privileges=false"}, 0, fmt.Sprintf("%016x", dockerDefault), "0"},
	} {
		args := append(append([]string{"run", "--rm", "-u", "1000"}, tc.flags...), "probe", "/probe-setuid", "creds")
		var got creds
		decodeProbe(t, strings.Join(args, " "), e.mustRun(args...), &got)
		if got.UID != 1000 || got.EUID != tc.euid || got.Status["CapEff"] != tc.capEff || got.Status["NoNewPrivs"] != tc.nnp {
			t.Errorf("%s: uid %d euid %d CapEff %s NoNewPrivs %s; want uid 1000 euid %d CapEff %s NoNewPrivs %s",
				strings.Join(args, " "), got.UID, got.EUID, got.Status["CapEff"], got.Status["NoNewPrivs"], tc.euid, tc.capEff, tc.nnp)
		}
	}
}

// The article's lesson: capsh --drop=cap_sys_chroot takes chroot(2) away
// from root. busybox chroot works by default, and fails with EPERM once
// --cap-drop SYS_CHROOT has dropped it; --trace shows the shell twins.
func TestCapsDropSysChroot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, stderr, code := e.run("run", "--rm", "busybox", "chroot", "/", "true"); code != 0 {
		t.Errorf("run busybox chroot / true: exit %d, want 0; stderr:\n%s", code, stderr)
	}
	_, stderr, code := e.run("--trace", "run", "--rm", "--cap-drop", "SYS_CHROOT", "busybox", "chroot", "/", "true")
	if code == 0 || !strings.Contains(stderr, "Operation not permitted") {
		t.Errorf("run --cap-drop SYS_CHROOT busybox chroot / true: exit %d, want a failure with \"Operation not permitted\"; stderr:\n%s", code, stderr)
	}
	for _, twin := range []string{"capsh --drop=", ",cap_sys_chroot,", "capsh --keep=1", "setpriv --reuid=0",
		"capsh --keep=0", `capsh --caps="cap_chown,`, "capsh --noamb", "setpriv --no-new-privs"} {
		if !strings.Contains(stderr, twin) {
			t.Errorf("--trace does not show %q:\n%s", twin, stderr)
		}
	}
}

// Wrong flags are refused in one line, exit 125, before any container
// exists; so is a capability kobako itself does not hold.
func TestCapsBadFlags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		flags []string
		want  []string
	}{
		{[]string{"--cap-add", "NOPE"}, []string{"--cap-add NOPE", "no such capability", "ALL"}},
		{[]string{"--cap-drop", "cap_sys_chroott"}, []string{"--cap-drop cap_sys_chroott", "no such capability"}},
		{[]string{"--security-opt", "apparmor=unconfined"}, []string{"apparmor=unconfined", "no-new-privileges", "seccomp="}},
		{[]string{"--security-opt", "no-new-privileges=maybe"}, []string{"no-new-privileges=maybe", "true or false"}},
	}
	if lacking, ok := capNotIn(ownBoundingSet(t)); ok {
		cases = append(cases, struct {
			flags []string
			want  []string
		}{[]string{"--cap-add", lacking}, []string{"--cap-add " + lacking, "does not hold it", "CapBnd"}})
	}
	for _, tc := range cases {
		args := append(append([]string{"run", "--rm"}, tc.flags...), "busybox", "true")
		_, stderr, code := e.run(args...)
		if code != 125 {
			t.Errorf("run %s: exit %d, want 125; stderr:\n%s", strings.Join(tc.flags, " "), code, stderr)
			continue
		}
		checkOneLineError(t, stderr, tc.want...)
	}
	e.expectNoContainers("refused flags")
}

// capNotIn names a capability of the running kernel missing from bounding
// (SYS_RESOURCE on these hosts), if there is one that the tests know by name.
func capNotIn(bounding uint64) (string, bool) {
	for _, c := range []struct {
		number int
		name   string
	}{{24, "SYS_RESOURCE"}, {25, "SYS_TIME"}, {21, "SYS_ADMIN"}, {16, "SYS_MODULE"}} {
		if bounding&(1<<c.number) == 0 {
			return c.name, true
		}
	}
	return "", false
}
