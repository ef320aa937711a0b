package tests

// podman with kobako as its OCI runtime, as a user would set it up in
// containers.conf: podman and conmon call kobako create, start, exec,
// kill, pause, resume and delete, exactly as they call runc. Everything
// podman keeps — its configuration, image store, run and temp dirs, its
// network definitions — is under the test's temp dir; the containers go
// under a cgroup parent of the test's own.
//
// Shell twin: podman --runtime /usr/local/bin/kobako run --rm busybox echo hi

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// podmanImage is the name podman import gives the test's busybox image.
const podmanImage = "localhost/kobako-busybox"

// podmanWorld is podman pointed at a private configuration.
type podmanWorld struct {
	tool
	runtime string // the runtime podman calls
	cgroup  string // --cgroup-parent of every container
	bridge  string // the host side of the private default network
	subnet  string // its addresses
}

// newPodman writes a containers.conf and a storage.conf of the test's own
// and imports the busybox image. When the test ends its containers are
// removed, and nothing of podman's is left running, mounted, or in
// /run/netns.
func newPodman(t *testing.T) *podmanWorld {
	t.Helper()
	requireTools(t, "podman", "podman", "conmon")
	requireTools(t, "iproute2", "ip")
	expectHostMountsUnchanged(t)
	netnsBefore := dirEntries(t, "/run/netns")
	dir := t.TempDir()
	p := &podmanWorld{
		runtime: ociRuntime(t),
		cgroup:  cgroupOfTest(t),
		bridge:  "kbk" + randomHex(t)[:8],
		subnet:  "10.251.77.0/24",
	}
	p.tool = tool{t: t, name: "podman", env: []string{
		"CONTAINERS_CONF=" + filepath.Join(dir, "containers.conf"),
		"CONTAINERS_STORAGE_CONF=" + filepath.Join(dir, "storage.conf"),
	}}
	p.writeConfig(dir)
	t.Cleanup(func() {
		if _, stderr, code, err := p.tryRun("rm", "--all", "--force", "--time", "0"); err != nil || code != 0 {
			t.Errorf("cleanup: podman rm --all --force: exit %d, %v\n%s", code, err, stderr)
		}
		// conmon and the `podman container cleanup` it runs when a
		// container exits carry the temp dir in their arguments
		expectNoProcessesWith(t, dir)
		if exists(filepath.Join("/sys/class/net", p.bridge)) {
			if out, err := runQuiet("ip", "link", "del", p.bridge); err != nil {
				t.Errorf("cleanup: ip link del %s: %v\n%s", p.bridge, err, out)
			}
		}
		if added, _ := diffLines(netnsBefore, dirEntries(t, "/run/netns")); len(added) > 0 {
			t.Errorf("cleanup: podman left network namespaces in /run/netns: %v", added)
		}
	})
	p.mustRun("import", busyboxTarball(t), podmanImage)
	return p
}

// writeConfig writes podman's configuration under dir:
//   - kobako as the runtime, told to write runc's JSON log
//     (runtime_supports_json), cgroupfs (there is no systemd to ask), the
//     event log a file;
//   - default ulimits this host allows: podman's default, nofile
//     1048576, is above the hard limit of many machines (20000 here) and
//     every container would fail to start;
//   - the vfs storage driver, which needs no mounts, under dir;
//   - a default network of the test's own (see below).
func (p *podmanWorld) writeConfig(dir string) {
	t := p.t
	for _, sub := range []string{"tmp", "net", "ipam"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"containers.conf": fmt.Sprintf(`[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "kobako"
runtime_supports_json = ["kobako"]
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = %q

[engine.runtimes]
kobako = [%q]

[network]
network_backend = "cni"
network_config_dir = %q
default_network = "kobako-test"
`, filepath.Join(dir, "tmp"), p.runtime, filepath.Join(dir, "net")),

		"storage.conf": fmt.Sprintf(`[storage]
driver = "vfs"
graphroot = %q
runroot = %q
`, filepath.Join(dir, "graph"), filepath.Join(dir, "run")),

		// The default network, made private: podman's own default is a
		// bridge with the host as gateway, NAT and iptables rules — host
		// traffic and host changes. This one is a bridge of the test's own,
		// with no address on the host side (isGateway false), no NAT, no
		// firewall or port-map plugin, and its address book in dir: a
		// container on it reaches no one but its neighbours on the bridge,
		// and the test sends nothing. The bridge is deleted in cleanup.
		"net/kobako-test.conflist": fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": "kobako-test",
  "plugins": [{
    "type": "bridge", "bridge": %q, "isGateway": false, "ipMasq": false,
    "ipam": {"type": "host-local", "dataDir": %q, "ranges": [[{"subnet": %q}]]}
  }]
}
`, p.bridge, filepath.Join(dir, "ipam"), p.subnet),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runArgs is `podman run` with the flags every container of the test gets.
func (p *podmanWorld) runArgs(flags ...string) []string {
	return append([]string{"run", "--pull=never", "--cgroup-parent", p.cgroup}, flags...)
}

// detached starts a container that runs until SIGTERM, named name.
func (p *podmanWorld) detached(name string, flags ...string) {
	p.t.Helper()
	args := append(p.runArgs(append([]string{"-d", "--name", name}, flags...)...), podmanImage)
	p.mustRun(append(args, sigtermLoop...)...)
}

// inspect reads one field of `podman inspect`, a Go template.
func (p *podmanWorld) inspect(name, field string) string {
	p.t.Helper()
	return strings.TrimSpace(p.mustRun("inspect", "--format", field, name))
}

// inspectInfo reads one field of `podman info`, a Go template.
func (p *podmanWorld) inspectInfo(field string) string {
	p.t.Helper()
	return strings.TrimSpace(p.mustRun("info", "--format", field))
}

// containerCgroup is where the container's cgroup is in the hierarchy of
// controller (the one tree on v2): podman's cgroupsPath is
// <cgroup-parent>/libpod-<id>.
func (p *podmanWorld) containerCgroup(name, controller string) string {
	p.t.Helper()
	layout := hostCgroups(p.t)
	path := filepath.Join(p.cgroup, "libpod-"+p.inspect(name, "{{.Id}}"))
	if layout.v2 {
		return filepath.Join(layout.root, path)
	}
	return filepath.Join(layout.v1[controller], path)
}

// podman run through kobako, case by case, in one private podman.
func TestOCIPodman(t *testing.T) {
	p := newPodman(t)

	// podman info runs the runtime's --version and shows it: the proof
	// that every container below goes through the runtime under test
	t.Run("info", func(t *testing.T) {
		path := p.inspectInfo("{{.Host.OCIRuntime.Path}}")
		version := p.inspectInfo("{{.Host.OCIRuntime.Version}}")
		if path != p.runtime || !strings.Contains(version, " version ") {
			t.Errorf("podman info: runtime %s, version %q; want %s and its --version", path, version, p.runtime)
		}
		if runtimeIsKobako(p.runtime) && !strings.HasPrefix(version, "kobako version ") {
			t.Errorf("podman info: runtime version %q, want kobako's", version)
		}
	})

	t.Run("run --rm echo", func(t *testing.T) {
		stdout, stderr, code := p.run(append(p.runArgs("--rm", "--network", "none"), podmanImage, "echo", "hi")...)
		if code != 0 || stdout != "hi\n" {
			t.Errorf("podman run --rm echo hi: exit %d, stdout %q; stderr:\n%s", code, stdout, stderr)
		}
		if _, _, code := p.run(append(p.runArgs("--rm", "--network", "none"), podmanImage, "sh", "-c", "exit 3")...); code != 3 {
			t.Errorf("podman run of sh -c 'exit 3': exit %d, want 3", code)
		}
		if out := p.mustRun("ps", "--all", "--quiet"); out != "" {
			t.Errorf("containers left after run --rm: %q", out)
		}
	})

	t.Run("run -it", func(t *testing.T) {
		// (conmon sets the window size after the container started: the
		// container may see 0 0 or 30 90, so the size is not checked here)
		term := p.onTerminal(30, 90, append(p.runArgs("-it", "--rm", "--network", "none"), podmanImage,
			"sh", "-c", "tty; test -t 0 && echo TTY")...)
		out, code := term.wait(t)
		if lines := terminalLines(out); code != 0 || !slices.Equal(lines, []string{"/dev/pts/0", "TTY"}) {
			t.Errorf("podman run -it: exit %d, terminal showed %q, want /dev/pts/0 and TTY", code, lines)
		}
	})

	t.Run("exec, ps, pause, stop", func(t *testing.T) {
		p.detached("long", "--network", "none")
		if out := p.mustRun("exec", "long", "sh", "-c", "echo $((6*7))"); out != "42\n" {
			t.Errorf("podman exec: %q, want 42", out)
		}
		if out := p.mustRun("exec", "-t", "long", "tty"); !strings.HasPrefix(out, "/dev/pts/") {
			t.Errorf("podman exec -t tty: %q, want /dev/pts/N", out)
		}
		if out := p.mustRun("ps", "--format", "{{.Names}} {{.Status}}"); !strings.Contains(out, "long Up") {
			t.Errorf("podman ps: %q, want long Up …", out)
		}

		freezer := filepath.Join(p.containerCgroup("long", "freezer"), "freezer.state")
		p.mustRun("pause", "long")
		if got := p.inspect("long", "{{.State.Status}}"); got != "paused" {
			t.Errorf("after podman pause: %s, want paused", got)
		}
		if v1 := !hostCgroups(t).v2; v1 && readString(t, freezer) != "FROZEN\n" {
			t.Errorf("after podman pause: %s says %q, want FROZEN", freezer, readString(t, freezer))
		}
		p.mustRun("unpause", "long")
		if got := p.inspect("long", "{{.State.Status}}"); got != "running" {
			t.Errorf("after podman unpause: %s, want running", got)
		}

		// stop sends SIGTERM, which the container's trap turns into exit 0
		// at once: a stop that waits its 10 s means the signal was lost
		start := time.Now()
		p.mustRun("stop", "--time", "10", "long")
		if took := time.Since(start); took > 8*time.Second {
			t.Errorf("podman stop took %v: SIGTERM did not reach the container", took)
		}
		if got := p.inspect("long", "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 0" {
			t.Errorf("after podman stop: %q, want exited 0", got)
		}
		p.mustRun("rm", "long")
	})

	t.Run("rm -f", func(t *testing.T) {
		p.detached("doomed", "--network", "none")
		cgroup := p.containerCgroup("doomed", "memory")
		pid := p.inspect("doomed", "{{.State.Pid}}")
		p.mustRun("rm", "--force", "doomed")
		if out := p.mustRun("ps", "--all", "--quiet"); out != "" {
			t.Errorf("containers left after rm -f: %q", out)
		}
		if exists("/proc/" + pid) {
			t.Errorf("the container's init %s still runs after rm -f", pid)
		}
		if exists(cgroup) {
			t.Errorf("the container's cgroup %s is left after rm -f", cgroup)
		}
	})

	t.Run("--memory 10m", func(t *testing.T) {
		p.detached("limited", "--network", "none", "--memory", "10m")
		expectMemoryLimit(t, p.containerCgroup("limited", "memory"), p.mustRun("exec", "limited", "sh", "-c", memoryLimitInside))
		p.mustRun("rm", "--force", "limited")
	})

	t.Run("--network none", func(t *testing.T) {
		out := p.mustRun(append(p.runArgs("--rm", "--network", "none"), podmanImage,
			"sh", "-c", "ls /sys/class/net; readlink /proc/self/ns/net")...)
		lines := strings.Fields(out)
		if len(lines) != 2 || lines[0] != "lo" || lines[1] == nsOfPid(t, os.Getpid(), "net") {
			t.Errorf("--network none: %q, want only lo, in a namespace not the host's", lines)
		}
	})

	t.Run("--network ns:path", func(t *testing.T) {
		netns := netnsOfTest(t)
		out := p.mustRun(append(p.runArgs("--rm", "--network", "ns:"+netns), podmanImage,
			"readlink", "/proc/self/ns/net")...)
		if got, want := strings.TrimSpace(out), nsLink(t, "net", netns); got != want {
			t.Errorf("--network ns:%s: the container is in %s, want %s", netns, got, want)
		}
	})

	t.Run("default network", func(t *testing.T) {
		out := p.mustRun(append(p.runArgs("--rm"), podmanImage,
			"sh", "-c", "ip -o -4 addr show eth0; readlink /proc/self/ns/net")...)
		prefix := strings.TrimSuffix(p.subnet, "0/24")
		if !strings.Contains(out, "inet "+prefix) || strings.Contains(out, nsOfPid(t, os.Getpid(), "net")) {
			t.Errorf("the default network: %q, want eth0 with an address in %s, in a namespace not the host's", out, p.subnet)
		}
	})
}
