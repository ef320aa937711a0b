package tests

// The world of a rootless test: a user made for it (useradd, with
// subordinate ids), and kobako run as that user — its own HOME and
// XDG_RUNTIME_DIR, no --root or --data-root — with the same check at the
// end as env's: nothing left, the host's mounts as they were.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testUser is a user made for one test, with subordinate ids.
type testUser struct {
	name             string
	uid, gid, subuid int
}

// newTestUser makes a user (useradd; CI has no learner) with a range of
// subordinate uids and gids, and removes it when the test ends.
func newTestUser(t *testing.T) testUser {
	t.Helper()
	for _, tool := range []string{"useradd", "userdel", "usermod"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing(t, "%s (package passwd)", tool)
		}
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := "kbt-" + hex.EncodeToString(suffix)
	// useradd --user-group --no-create-home NAME — Debian's gives it /etc/subuid lines
	if out, err := exec.Command("useradd", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v: %s", name, err, out)
		}
	})
	u := testUser{name: name, uid: lookupID(t, "-u", name), gid: lookupID(t, "-g", name)}
	u.subuid = subordinateStart(t, "/etc/subuid", name)
	if u.subuid == 0 || subordinateStart(t, "/etc/subgid", name) != u.subuid {
		u.subuid = addSubordinateIDs(t, name)
	}
	return u
}

func lookupID(t *testing.T, flag, name string) int {
	t.Helper()
	out, err := exec.Command("id", flag, name).Output()
	if err != nil {
		t.Fatalf("id %s %s: %v", flag, name, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// subordinateStart is the start of name's range of 65536 in file, or 0.
func subordinateStart(t *testing.T, file, name string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Split(line, ":"); len(f) == 3 && f[0] == name && f[2] == "65536" {
			start, _ := strconv.Atoi(f[1])
			return start
		}
	}
	return 0
}

// addSubordinateIDs gives name the same range of uids and gids, after the
// highest range of both files (where useradd gave it none: the files were
// missing). userdel takes the lines away again.
func addSubordinateIDs(t *testing.T, name string) int {
	t.Helper()
	start := 100000
	for _, file := range []string{"/etc/subuid", "/etc/subgid"} {
		data, err := os.ReadFile(file)
		if os.IsNotExist(err) {
			if err := os.WriteFile(file, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Remove(file) })
		} else if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Split(line, ":"); len(f) == 3 {
				s, _ := strconv.Atoi(f[1])
				n, _ := strconv.Atoi(f[2])
				start = max(start, s+n)
			}
		}
	}
	ids := fmt.Sprintf("%d-%d", start, start+65535)
	// usermod --add-subuids A-B --add-subgids A-B NAME
	if out, err := exec.Command("usermod", "--add-subuids", ids, "--add-subgids", ids, name).CombinedOutput(); err != nil {
		t.Fatalf("usermod --add-subuids %s %s: %v: %s", ids, name, err, out)
	}
	return start
}

// rootless is kobako run by a user who is not root, with its own HOME and
// XDG_RUNTIME_DIR, and no --root or --data-root: kobako's defaults.
type rootless struct {
	t          *testing.T
	uid, gid   int
	bin, home  string
	runtimeDir string
	cgroupFD   int // >= 0: kobako is born in this cgroup (clone3 CLONE_INTO_CGROUP)
	mounts     []string
}

// newRootless makes the user's directories, chowned to it, and a copy of
// kobako it can execute (the tests' own are in 0700 temp dirs). When the
// test ends its containers are removed, and the host must be as it was.
func newRootless(t *testing.T, uid, gid int) *rootless {
	t.Helper()
	base, err := os.MkdirTemp("", "kobako-userns-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	r := &rootless{t: t, uid: uid, gid: gid, bin: filepath.Join(base, "kobako"), home: filepath.Join(base, "home"),
		runtimeDir: filepath.Join(base, "run"), cgroupFD: -1, mounts: readMountinfo(t)}
	copyKobako(t, base)
	for _, dir := range []string{r.home, r.runtimeDir} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.cleanup)
	return r
}

// run runs kobako as the user: setpriv --reuid=UID --regid=GID --clear-groups.
func (r *rootless) run(args ...string) (stdout, stderr string, code int) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir = "/"
	cmd.Env = []string{"HOME=" + r.home, "XDG_RUNTIME_DIR=" + r.runtimeDir, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(r.uid), Gid: uint32(r.gid), Groups: []uint32{}}}
	if r.cgroupFD >= 0 {
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, r.cgroupFD
	}
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code, err := exitCode(cmd, cmd.Run())
	if err != nil {
		r.t.Fatalf("kobako %s as uid %d: %v (stderr: %s)", strings.Join(args, " "), r.uid, err, errb.String())
	}
	return out.String(), errb.String(), code
}

func (r *rootless) mustRun(args ...string) string {
	r.t.Helper()
	stdout, stderr, code := r.run(args...)
	if code != 0 {
		r.t.Fatalf("kobako %s as uid %d: exit %d, stderr:\n%s", strings.Join(args, " "), r.uid, code, stderr)
	}
	return stdout
}

func (r *rootless) inspect(ref string) inspection {
	r.t.Helper()
	var list []inspection
	if err := json.Unmarshal([]byte(r.mustRun("inspect", ref)), &list); err != nil || len(list) != 1 {
		r.t.Fatalf("kobako inspect %s: %v, %d objects", ref, err, len(list))
	}
	return list[0]
}

// cleanup removes what is left, then checks: no container, no state, no
// mount of the host's changed.
func (r *rootless) cleanup() {
	t := r.t
	data := filepath.Join(r.home, ".local", "share", "kobako")
	if ids := dirEntries(t, filepath.Join(data, "containers")); len(ids) > 0 {
		t.Errorf("containers left: %v", ids)
		r.run(append([]string{"rm", "-f"}, ids...)...)
	}
	if entries := dirEntries(t, filepath.Join(r.runtimeDir, "kobako")); len(entries) > 0 {
		t.Errorf("state left in $XDG_RUNTIME_DIR/kobako: %v", entries)
	}
	if added, removed := diffLines(r.mounts, readMountinfo(t)); len(added)+len(removed) > 0 {
		t.Errorf("the host's mountinfo changed\nadded:\n%s\nremoved:\n%s", strings.Join(added, "\n"), strings.Join(removed, "\n"))
	}
}
