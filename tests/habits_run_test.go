package tests

// A docker user's habits with `run` (issue 17): named volumes and the
// volume command, relative -v ./dir, --mount, -p without --network,
// --pull, and what ctrl-p ctrl-q does. Each habit is run end to end as a
// docker user types it; each error is one line, compared exactly. No test
// here touches a registry: --pull is tested with local images and with
// its refusals only.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// expectError checks a refusal: its exit status and its one line, exactly.
func expectError(t *testing.T, what string, stderr string, code, wantCode int, want string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("%s: exit %d, want %d; stderr:\n%s", what, code, wantCode, stderr)
	}
	if stderr != want+"\n" {
		t.Errorf("%s: stderr\n%q\nwant\n%q", what, stderr, want+"\n")
	}
}

// docker volume create|ls|inspect|rm, and -v NAME:/path: the data stays
// between containers, in <data-root>/volumes/NAME/_data, and a volume a
// container uses (even a stopped one) is not removed.
func TestHabitsNamedVolume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if out := e.mustRun("volume", "create", "data"); out != "data\n" {
		t.Errorf("volume create data printed %q", out)
	}
	e.mustRun("volume", "create", "data") // again: nothing happens, as in docker
	if out := e.mustRun("volume", "ls", "-q"); out != "data\n" {
		t.Errorf("volume ls -q: %q, want data", out)
	}
	e.mustRun("run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept > /data/f")
	if out := e.mustRun("run", "--rm", "-v", "data:/srv:ro", "busybox", "cat", "/srv/f"); out != "kept\n" {
		t.Errorf("a second container reads %q from the volume, want kept", out)
	}
	var inspected []struct{ Name, Driver, Mountpoint string }
	if err := json.Unmarshal([]byte(e.mustRun("volume", "inspect", "data")), &inspected); err != nil || len(inspected) != 1 {
		t.Fatalf("volume inspect data: %v, %v", inspected, err)
	}
	mountpoint := filepath.Join(e.dataRoot, "volumes", "data", "_data")
	if v := inspected[0]; v.Name != "data" || v.Driver != "local" || v.Mountpoint != mountpoint {
		t.Errorf("volume inspect data = %+v, want its Mountpoint %s", v, mountpoint)
	}
	if b, err := os.ReadFile(filepath.Join(mountpoint, "f")); err != nil || string(b) != "kept\n" {
		t.Errorf("the volume's file on the host: %q, %v", b, err)
	}

	// In use by a stopped container: refused, naming it.
	e.mustRun("run", "--name", "user", "-v", "data:/data", "busybox", "true")
	_, stderr, code := e.run("volume", "rm", "data")
	expectError(t, "volume rm of a used volume", stderr, code, 1,
		"kobako: volume data is in use by container user: remove the container first (kobako rm user)")
	_, stderr, code = e.run("volume", "prune", "-a")
	if code != 0 || !slices.Contains(strings.Fields(e.mustRun("volume", "ls", "-q")), "data") {
		t.Errorf("volume prune -a removed a used volume: exit %d, %s", code, stderr)
	}
	e.mustRun("rm", "user")
	if out := e.mustRun("volume", "rm", "data"); out != "data\n" {
		t.Errorf("volume rm data printed %q", out)
	}
	if _, err := os.Stat(filepath.Dir(mountpoint)); err == nil {
		t.Errorf("volume rm left %s", filepath.Dir(mountpoint))
	}
	_, stderr, code = e.run("volume", "inspect", "data")
	expectError(t, "volume inspect of a removed volume", stderr, code, 1, "kobako: no such volume: data")
	_, stderr, code = e.run("volume", "create", "a/b")
	expectError(t, "volume create a/b", stderr, code, 1,
		`kobako: invalid volume name "a/b": use [a-zA-Z0-9][a-zA-Z0-9_.-], at least 2 characters`)
	e.mustRun("volume", "rm", "-f", "data") // gone already: -f says nothing
}

// -v NAME:/path made on first use starts with what the image has at /path,
// owners kept; a volume with data in it is not filled again. An image whose
// /path is a symlink fills it from inside the image, never from the host
// (security-tests.md B4/B5: the same resolution as the mount's).
func TestHabitsVolumeCopyUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base, _ := busyboxTar(t)
	seed := tarFile("data/seed", 0o640, []byte("from the image\n"))
	seed.hdr.Uid, seed.hdr.Gid = 1000, 1000
	e.importImage("seeded", append(slices.Clone(base), tarDir("data", 0o755), seed))
	if out := e.mustRun("run", "--rm", "-v", "fresh:/data", "seeded", "cat", "/data/seed"); out != "from the image\n" {
		t.Errorf("a new volume at /data holds %q, want the image's /data/seed", out)
	}
	fi, err := os.Stat(filepath.Join(e.dataRoot, "volumes", "fresh", "_data", "seed"))
	if err != nil || fi.Sys().(*syscall.Stat_t).Uid != 1000 || fi.Mode().Perm() != 0o640 {
		t.Errorf("the copied seed on the host: %v, %v; want uid 1000, mode 0640", fi, err)
	}
	// Not empty any more: the next container sees what the last one left.
	e.mustRun("run", "--rm", "-v", "fresh:/data", "seeded", "sh", "-c", "rm /data/seed; echo mine > /data/own")
	if out := e.mustRun("run", "--rm", "-v", "fresh:/data", "seeded", "ls", "/data"); out != "own\n" {
		t.Errorf("a used volume was filled again: ls /data = %q, want own", out)
	}
	// nocopy: docker's opt-out.
	if out := e.mustRun("run", "--rm", "-v", "bare:/data:nocopy", "seeded", "ls", "/data"); out != "" {
		t.Errorf("-v bare:/data:nocopy holds %q, want nothing", out)
	}

	// The image's /data points out of the root: resolved inside it.
	marker, _ := writeMarker(t)
	for i, target := range []string{filepath.Dir(marker), "../../../../../../.." + filepath.Dir(marker), "/etc"} {
		image := fmt.Sprintf("sym%d", i)
		e.importImage(image, append(slices.Clone(base), tarSymlink("data", target)))
		vol := fmt.Sprintf("symvol%d", i)
		// A dangling symlink may be refused as a mount point (125): the
		// volume, made before, must still hold nothing of the host's.
		if _, stderr, code := e.run("run", "--rm", "-v", vol+":/data", image, "true"); code != 0 && (code != 125 || target == "/etc") {
			t.Errorf("/data -> %s: exit %d, stderr:\n%s", target, code, stderr)
		}
		got := dirEntries(t, filepath.Join(e.dataRoot, "volumes", vol, "_data"))
		if slices.Contains(got, filepath.Base(marker)) {
			t.Errorf("/data -> %s: the host's marker was copied into the volume", target)
		}
		if target == "/etc" && !slices.Contains(got, "passwd") {
			t.Errorf("/data -> /etc: the volume holds %v, want the image's /etc", got)
		}
	}
}

// -v ./dir:/path is relative to where kobako runs (docker's CLI makes it
// absolute the same way); a bare word is a volume's name, and anything
// else is refused.
func TestHabitsRelativeVolume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	here := t.TempDir()
	cmd := e.command(context.Background(), "run", "--rm", "-v", "./sub:/x", "busybox", "sh", "-c", "echo rel > /x/f")
	cmd.Dir = here
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run -v ./sub:/x: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(here, "sub", "f")); err != nil || string(b) != "rel\n" {
		t.Errorf("./sub/f: %q, %v", b, err)
	}
	_, stderr, code := e.run("run", "--rm", "-v", "a/b:/x", "busybox", "true")
	expectError(t, "-v a/b:/x", stderr, code, 125,
		`kobako: -v "a/b:/x": "a/b" is neither a volume name nor a host path: give NAME ([a-zA-Z0-9][a-zA-Z0-9_.-]+), /absolute/path or ./relative/path`)
	e.expectNoContainers("refused -v")
}

// -v /path alone is an anonymous volume; volume prune removes it once
// its container is gone, and keeps named ones unless -a.
func TestHabitsAnonymousVolumePrune(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--name", "anon", "-v", "/scratch", "busybox", "sh", "-c", "echo x > /scratch/f")
	e.mustRun("volume", "create", "named")
	vols := strings.Fields(e.mustRun("volume", "ls", "-q"))
	if len(vols) != 2 || len(vols[0]) != 64 {
		t.Fatalf("volume ls after -v /scratch: %v, want a 64-digit name and named", vols)
	}
	if out := e.mustRun("volume", "prune"); out != "" {
		t.Errorf("volume prune removed %q while its container exists", out)
	}
	e.mustRun("rm", "anon")
	if out := e.mustRun("volume", "prune"); out != vols[0]+"\n" {
		t.Errorf("volume prune: %q, want the anonymous volume %s", out, vols[0])
	}
	if out := e.mustRun("volume", "prune", "-a"); out != "named\n" {
		t.Errorf("volume prune -a: %q, want named", out)
	}
}

// --mount, docker's long form: bind (readonly), volume, tmpfs (size), and
// its refusals in one line.
func TestHabitsMountFlag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hostDir := t.TempDir()
	_, stderr, code := e.run("run", "--rm", "--mount", "type=bind,source="+hostDir+",target=/x,readonly",
		"busybox", "sh", "-c", "touch /x/f")
	if code == 0 || !strings.Contains(stderr, "Read-only file system") {
		t.Errorf("a write to --mount …,readonly: exit %d, %q", code, stderr)
	}
	out := e.mustRun("run", "--rm", "--mount", "type=volume,src=mv,dst=/v", "--mount", "type=tmpfs,destination=/t,tmpfs-size=1m",
		"busybox", "sh", "-c", "echo v > /v/f; cat /proc/self/mountinfo")
	if f := mountFields(t, out, "/t"); !strings.Contains(strings.Join(f, " "), "size=1024k") {
		t.Errorf("--mount type=tmpfs,tmpfs-size=1m: %v", f)
	}
	if b, err := os.ReadFile(filepath.Join(e.dataRoot, "volumes", "mv", "_data", "f")); err != nil || string(b) != "v\n" {
		t.Errorf("--mount type=volume,src=mv: %q, %v", b, err)
	}
	missing := filepath.Join(hostDir, "missing")
	for _, tc := range []struct{ mount, want string }{
		{"type=bind,src=" + missing + ",dst=/x", "kobako: --mount: bind source path does not exist: " + missing},
		{"type=nfs,dst=/x", `kobako: --mount "type=nfs,dst=/x": type "nfs": give bind, volume or tmpfs`},
		{"type=tmpfs,dst=/x,color=red", `kobako: --mount "type=tmpfs,dst=/x,color=red": unknown key "color": give type, source, target, readonly, bind-propagation, volume-nocopy, tmpfs-size or tmpfs-mode`},
		{"type=bind,src=" + hostDir, `kobako: --mount "type=bind,src=` + hostDir + `": give target=CTR, the path in the container`},
		{"type=volume,src=/etc,dst=/x", `kobako: --mount "type=volume,src=/etc,dst=/x": volume source "/etc": give a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+), or type=bind for a host path`},
	} {
		_, stderr, code := e.run("run", "--rm", "--mount", tc.mount, "busybox", "true")
		expectError(t, "--mount "+tc.mount, stderr, code, 125, tc.want)
	}
	if _, err := os.Lstat(missing); err == nil {
		t.Errorf("--mount type=bind made its missing source, which docker's does not")
	}
	e.expectNoContainers("refused --mount")
}

// -p alone means the bridge, said once on stderr; the default is still
// none, and run --help says why. In a network namespace the test made.
func TestHabitsPublishImpliesBridge(t *testing.T) {
	t.Parallel()
	e, _ := newBridgeEnv(t)
	out, stderr, code := e.run("run", "--rm", "-p", "8090:80", "busybox", "ls", "/sys/class/net")
	if code != 0 || !slices.Contains(strings.Fields(out), "eth0") {
		t.Errorf("run -p 8090:80 without --network: exit %d, interfaces %q; want eth0 (the bridge)", code, out)
	}
	if stderr != "kobako: -p publishes on the bridge: using --network bridge (the default is none)\n" {
		t.Errorf("run -p without --network said %q", stderr)
	}
	if out := e.mustRun("run", "--rm", "busybox", "ls", "/sys/class/net"); strings.Fields(out)[0] != "lo" || len(strings.Fields(out)) != 1 {
		t.Errorf("run without -p or --network: interfaces %q, want lo only", out)
	}
	_, stderr, code = e.run("run", "--rm", "--network", "none", "-p", "8090:80", "busybox", "true")
	expectError(t, "-p with --network none", stderr, code, 125, "kobako: -p needs --network bridge (the network is none)")
	help := e.mustRun("run", "--help")
	for _, want := range []string{"none (the default, as in the article", "-p alone implies"} {
		if !strings.Contains(strings.Join(strings.Fields(help), " "), want) {
			t.Errorf("run --help does not say %q", want)
		}
	}
}

// --pull never|missing|always, with local images only: no registry is
// reached.
func TestHabitsPull(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base, _ := busyboxTar(t)
	e.importImage("local1", base)
	for _, policy := range []string{"missing", "never"} {
		out, stderr, code := e.run("run", "--rm", "--pull", policy, "local1", "echo", "ran")
		if code != 0 || out != "ran\n" || stderr != "" {
			t.Errorf("--pull %s of a local image: exit %d, %q, stderr %q", policy, code, out, stderr)
		}
	}
	if out := e.mustRun("run", "--rm", "--pull", "always", "busybox", "echo", "built"); out != "built\n" {
		t.Errorf("--pull always busybox (built, never pulled): %q", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pull", "never", "nosuch"}, `kobako: no such image "nosuch" here, and --pull never forbids pulling it: kobako pull nosuch, or kobako import`},
		{[]string{"--pull", "never", "registry.example:5000/team/nosuch:2"}, `kobako: no such image "nosuch:2" here, and --pull never forbids pulling it: kobako pull registry.example:5000/team/nosuch:2, or kobako import`},
		{[]string{"--pull", "always", "local1"}, `kobako: --pull always: image "local1" was made here, not pulled, and a pull would replace it: kobako rmi local1 first, or use --pull missing`},
		{[]string{"--pull", "sometimes", "local1"}, `kobako: --pull "sometimes": give missing, never or always`},
	} {
		_, stderr, code := e.run(append(append([]string{"run", "--rm"}, tc.args...), "true")...)
		expectError(t, "run "+strings.Join(tc.args, " "), stderr, code, 125, tc.want)
	}
	e.expectNoContainers("refused --pull")
}

// ctrl-p ctrl-q: run --help says plainly that only -dit + attach detach.
func TestHabitsDetachKeysHelp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	help := strings.Join(strings.Fields(e.mustRun("run", "--help")), " ")
	for _, want := range []string{"ctrl-p ctrl-q detaches only from kobako attach", "started with -dit", "A foreground run -it"} {
		if !strings.Contains(help, want) {
			t.Errorf("run --help does not say %q", want)
		}
	}
}
