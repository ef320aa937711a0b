package tests

// Chapter ネットワーク: --network none, host, bridge and container:NAME,
// published ports, the generated /etc files, and the clean-up.
//
// Traffic goes only between namespaces the test made — containers, the
// bridge, the host ends of the veths — and loopback, never to any other
// address: the NAT rule is read back with nft, never tried. A bridge test
// runs kobako inside a network namespace of its own, made with `unshare
// --net` to stand in for the host (kobako is started through `nsenter
// --net=`; `ip netns exec` would remount /sys and hide the cgroups), so the
// real host's ip_forward and ruleset are never touched. Only
// TestNetworkOnTheHost uses the real host, and checks it gets everything
// back. After each test the namespace's links, its ruleset, ip_forward and
// kobako's allocation file are what they were before.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// stateDir is where kobako keeps its bridge's allocations, one file per
// network namespace.
const stateDir = "/run/kobako-network"

// hostNetns is a network namespace a test made to stand in for the host.
// A sleeping process holds it (`unshare --net sleep …`), rather than a
// bind mount under /run/netns (`ip netns add`): a mount would show in the
// host's mountinfo, which every other test compares before and after.
type hostNetns struct {
	t    *testing.T
	path string // /proc/<holder>/ns/net, for nsenter --net=
}

// newHostNetns makes a namespace with lo up, gone when the test ends.
func newHostNetns(t *testing.T) *hostNetns {
	t.Helper()
	requireRoot(t)
	for _, tool := range []string{"ip", "nft", "nsenter", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing(t, "%s (apt-get install iproute2 nftables util-linux)", tool)
		}
	}
	holder := exec.Command("unshare", "--net", hostBusybox, "sleep", "1000000")
	if err := holder.Start(); err != nil {
		t.Fatalf("unshare --net: %v", err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	ns := &hostNetns{t: t, path: fmt.Sprintf("/proc/%d/ns/net", holder.Process.Pid)}
	own := inodeOf(t, "/proc/self/ns/net")
	waitFor(t, "unshare --net", func() bool { return inodeOf(t, ns.path) != own })
	ns.ip("link", "set", "lo", "up")
	return ns
}

func inodeOf(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// mustCommand runs a command of the host and returns its output.
func mustCommand(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ip runs `ip ARGS…` in the namespace.
func (ns *hostNetns) ip(args ...string) string {
	ns.t.Helper()
	return mustCommand(ns.t, "nsenter", append([]string{"--net=" + ns.path, "ip"}, args...)...)
}

// inside runs a command in the namespace; it returns its output and error.
func (ns *hostNetns) inside(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + ns.path}, args...)...).CombinedOutput()
	return string(out), err
}

// ruleset is `nft list ruleset` in the namespace.
func (ns *hostNetns) ruleset() string {
	ns.t.Helper()
	out, err := ns.inside("nft", "list", "ruleset")
	if err != nil {
		ns.t.Fatalf("nft list ruleset: %v\n%s", err, out)
	}
	return out
}

// links are the names `ip link` lists.
func (ns *hostNetns) links() []string {
	ns.t.Helper()
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(ns.ip("-o", "link")), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			names = append(names, strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0])
		}
	}
	slices.Sort(names)
	return names
}

func (ns *hostNetns) ipForward() string {
	ns.t.Helper()
	out, err := ns.inside("cat", "/proc/sys/net/ipv4/ip_forward")
	if err != nil {
		ns.t.Fatalf("read ip_forward: %v\n%s", err, out)
	}
	return strings.TrimSpace(out)
}

// stateFile is kobako's allocation file for this namespace's bridge.
func (ns *hostNetns) stateFile() string {
	ns.t.Helper()
	return fmt.Sprintf("%s/net-%d-kobako0.json", stateDir, inodeOf(ns.t, ns.path))
}

// netSnapshot is what kobako may change in a namespace, and must put back.
type netSnapshot struct {
	links      []string
	ruleset    string
	ipForward  string
	stateFile  bool
	stateBytes string
}

func (ns *hostNetns) snapshot() netSnapshot {
	data, err := os.ReadFile(ns.stateFile())
	return netSnapshot{ns.links(), ns.ruleset(), ns.ipForward(), err == nil, string(data)}
}

func (ns *hostNetns) expectUnchanged(before netSnapshot) {
	t := ns.t
	after := ns.snapshot()
	if !slices.Equal(after.links, before.links) {
		t.Errorf("ip link: %v, was %v", after.links, before.links)
	}
	if after.ruleset != before.ruleset {
		t.Errorf("nft list ruleset changed:\n%s\nwas:\n%s", after.ruleset, before.ruleset)
	}
	if after.ipForward != before.ipForward {
		t.Errorf("ip_forward is %s, was %s", after.ipForward, before.ipForward)
	}
	if after.stateFile != before.stateFile || after.stateBytes != before.stateBytes {
		t.Errorf("the allocation file %s changed:\n%s\nwas:\n%s", ns.stateFile(), after.stateBytes, before.stateBytes)
	}
}

// newBridgeEnv is an env whose kobako runs inside a namespace of the
// test's own. When the test ends its containers are force-removed there,
// and the namespace must be as it was.
func newBridgeEnv(t *testing.T) (*env, *hostNetns) {
	t.Helper()
	ns := newHostNetns(t)
	e := newEnv(t)
	script := filepath.Join(t.TempDir(), "kobako-in-netns")
	text := fmt.Sprintf("#!/bin/sh\nexec nsenter --net=%s %s \"$@\"\n", ns.path, kobako)
	if err := os.WriteFile(script, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	inNetns := e.withBinary(script)
	before := ns.snapshot()
	t.Cleanup(func() {
		// Before newEnv's clean-up, which would run rm outside the namespace.
		if ids := inNetns.containerIDs(); len(ids) > 0 {
			_, stderr, code, err := inNetns.exec(nil, append([]string{"rm", "-f"}, ids...)...)
			if err != nil || code != 0 {
				t.Errorf("cleanup: kobako rm -f: exit %d, %v, stderr:\n%s", code, err, stderr)
			}
		}
		ns.expectUnchanged(before)
	})
	return inNetns, ns
}

// netInspection is the network part of `kobako inspect`.
type netInspection struct {
	Pid        int               `json:"pid"`
	Namespaces map[string]string `json:"namespaces"`
	Network    struct {
		Mode      string `json:"mode"`
		Namespace string `json:"namespace"`
		IP        string `json:"ip"`
		Bridge    string `json:"bridge"`
		HostVeth  string `json:"hostVeth"`
		Interface string `json:"interface"`
		Address   string `json:"address"`
		Gateway   string `json:"gateway"`
		MAC       string `json:"mac"`
	} `json:"network"`
}

func (e *env) netInspect(ref string) netInspection {
	e.t.Helper()
	var list []netInspection
	if err := json.Unmarshal([]byte(e.mustRun("inspect", ref)), &list); err != nil || len(list) != 1 {
		e.t.Fatalf("kobako inspect %s: %v", ref, err)
	}
	return list[0]
}

// --network none, the default: an empty namespace with lo up, and the
// generated files bound over the image's without entering its layer.
func TestNetworkNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.mustRun("run", "--name", "quiet", "--add-host", "db:10.0.0.5", "--dns", "10.0.0.53", "busybox",
		"sh", "-c", "ip -o link; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf /etc/hostname")
	parts := strings.Split(out, "---\n")
	if len(parts) != 3 {
		t.Fatalf("unexpected output:\n%s", out)
	}
	if links := strings.Split(strings.TrimSpace(parts[0]), "\n"); len(links) != 1 || !strings.HasPrefix(links[0], "1: lo: <LOOPBACK,UP") {
		t.Errorf("--network none: ip link lists\n%s\nwant only lo, up", parts[0])
	}
	id := e.netInspect("quiet")
	short := e.inspect("quiet").ID[:12]
	for _, want := range []string{"127.0.0.1\tlocalhost\n", "127.0.1.1\t" + short + " quiet\n", "10.0.0.5\tdb\n"} {
		if !strings.Contains(parts[1], want) {
			t.Errorf("/etc/hosts lacks %q:\n%s", want, parts[1])
		}
	}
	if parts[2] != "nameserver 10.0.0.53\n"+short+"\n" {
		t.Errorf("resolv.conf and hostname:\n%s\nwant the --dns server and the short id", parts[2])
	}
	if id.Network.Mode != "none" {
		t.Errorf("inspect: network mode %q, want none", id.Network.Mode)
	}
	upper := e.inspect("quiet").Overlay.Upper
	if entries := dirEntries(t, filepath.Join(upper, "etc")); len(entries) > 0 {
		t.Errorf("the generated files reached the container's layer: %s/etc holds %v", upper, entries)
	}
}

// --network host: the host's interfaces (here, the stand-in's), the host's
// name, and /sys a read-only bind of the host's.
func TestNetworkHost(t *testing.T) {
	t.Parallel()
	e, ns := newBridgeEnv(t)
	ns.ip("link", "add", "kbtprobe0", "type", "veth", "peer", "name", "kbtprobe1")
	t.Cleanup(func() { ns.ip("link", "del", "kbtprobe0") }) // before the snapshot check
	out := e.mustRun("run", "--rm", "--network", "host", "busybox", "sh", "-c",
		"ip -o link | cut -d: -f2; hostname; touch /sys/kobako-test 2>&1; true")
	host, _ := os.Hostname()
	for _, want := range []string{"kbtprobe0", "kbtprobe1", host, "Read-only file system"} {
		if !strings.Contains(out, want) {
			t.Errorf("--network host: output lacks %q:\n%s", want, out)
		}
	}
	if _, stderr, code := e.run("run", "--rm", "--network", "host", "-p", "80:80", "busybox", "true"); code != 125 {
		t.Errorf("-p with --network host: exit %d, want 125; stderr: %s", code, stderr)
	} else {
		checkOneLineError(t, stderr, "-p", "--network bridge")
	}
}

// Two bridged containers ping each other and the host; inspect shows the
// address, MAC, both veth ends and the namespace; the NAT rule is there
// (read back, never tried); --trace narrates the netlink steps.
func TestNetworkBridge(t *testing.T) {
	t.Parallel()
	e, ns := newBridgeEnv(t)
	e.mustRun("run", "-d", "--name", "a", "--network", "bridge", "busybox", "sleep", "1000")
	e.mustRun("run", "-d", "--name", "b", "--network", "bridge", "busybox", "sleep", "1000")
	a, b := e.netInspect("a"), e.netInspect("b")
	if a.Network.IP == "" || a.Network.IP == b.Network.IP {
		t.Fatalf("addresses of a and b: %q, %q", a.Network.IP, b.Network.IP)
	}
	if a.Network.Namespace != fmt.Sprintf("/proc/%d/ns/net", a.Pid) || a.Network.Interface != "eth0" || a.Network.Bridge != "kobako0" {
		t.Errorf("inspect a: %+v", a.Network)
	}
	if !regexp.MustCompile(`^02:42(:[0-9a-f]{2}){4}$`).MatchString(a.Network.MAC) {
		t.Errorf("inspect a: MAC %q, want 02:42 and the address", a.Network.MAC)
	}
	if plugged := ns.ip("-o", "link", "show", "master", "kobako0"); !strings.Contains(plugged, a.Network.HostVeth+"@") || !strings.Contains(plugged, b.Network.HostVeth+"@") {
		t.Errorf("ip link show master kobako0 lacks %s or %s:\n%s", a.Network.HostVeth, b.Network.HostVeth, plugged)
	}
	if out := e.mustRun("exec", "a", "ip", "-o", "-4", "addr", "show", "eth0"); !strings.Contains(out, a.Network.Address) {
		t.Errorf("eth0 in a: %s, want %s", out, a.Network.Address)
	}
	if out, stderr, code := e.run("exec", "a", "ping", "-c", "1", "-W", "5", b.Network.IP); code != 0 {
		t.Errorf("a cannot ping b at %s: exit %d\n%s%s", b.Network.IP, code, out, stderr)
	}
	if out, err := ns.inside(hostBusybox, "ping", "-c", "1", "-W", "5", a.Network.IP); err != nil {
		t.Errorf("the host cannot ping a at %s: %v\n%s", a.Network.IP, err, out)
	}
	if out, stderr, code := e.run("exec", "b", "ping", "-c", "1", "-W", "5", a.Network.Gateway); code != 0 {
		t.Errorf("b cannot ping the bridge at %s: exit %d\n%s%s", a.Network.Gateway, code, out, stderr)
	}
	subnet := strings.TrimSuffix(a.Network.Gateway, "1") + "0/" + strings.SplitN(a.Network.Address, "/", 2)[1]
	if rules, _ := ns.inside("nft", "list", "table", "ip", "kobako"); !strings.Contains(rules, `ip saddr `+subnet+` oifname != "kobako0" masquerade`) {
		t.Errorf("no masquerade rule for %s in kobako's table:\n%s", subnet, rules)
	}
	if got := ns.ipForward(); got != "1" {
		t.Errorf("ip_forward = %s while containers are bridged, want 1", got)
	}
	_, stderr, _ := e.run("--trace", "run", "--rm", "--network", "bridge", "busybox", "true")
	for _, want := range []string{"ip link add veth", "type veth peer name eth0", "master kobako0", "ip addr add", "ip route add default via"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--trace lacks %q", want)
		}
	}
	e.mustRun("rm", "-f", "a")
	if links := ns.links(); slices.Contains(links, a.Network.HostVeth) || !slices.Contains(links, "kobako0") {
		t.Errorf("after rm -f a: links %v, want a's veth gone and the bridge kept for b", links)
	}
}

// A published port is reachable from the host at 127.0.0.1 and at the
// bridge's address, and from another container; a host port in use is a
// one-line error before anything is made.
func TestNetworkPublish(t *testing.T) {
	t.Parallel()
	e, ns := newBridgeEnv(t)
	serve := "mkdir -p /www && echo kobako-page > /www/index.html && exec httpd -f -p 80 -h /www"
	e.mustRun("run", "-d", "--name", "web", "--network", "bridge", "-p", "8080:80", "-p", "127.0.0.1:8081:80", "busybox", "sh", "-c", serve)
	web := e.netInspect("web")
	fetch := func(url string) (string, error) { return ns.inside(hostBusybox, "wget", "-q", "-O", "-", url) }
	waitFor(t, "httpd in web", func() bool {
		out, err := fetch("http://" + web.Network.IP + "/")
		return err == nil && out == "kobako-page\n"
	})
	for _, url := range []string{"http://127.0.0.1:8080/", "http://127.0.0.1:8081/", "http://" + web.Network.Gateway + ":8080/"} {
		if out, err := fetch(url); err != nil || out != "kobako-page\n" {
			t.Errorf("the host fetched %s: %q, %v", url, out, err)
		}
	}
	out, stderr, code := e.run("run", "--rm", "--network", "bridge", "busybox", "wget", "-q", "-O", "-", "http://"+web.Network.Gateway+":8080/")
	if code != 0 || out != "kobako-page\n" {
		t.Errorf("another container fetched the published port: %q, exit %d, %s", out, code, stderr)
	}
	rules, _ := ns.inside("nft", "list", "table", "ip", "kobako")
	if want := "tcp dport 8080 dnat to " + web.Network.IP + ":80"; strings.Count(rules, want) != 2 {
		t.Errorf("want the rule %q in prerouting and output:\n%s", want, rules)
	}
	if want := "ip daddr 127.0.0.1 tcp dport 8081"; strings.Count(rules, want) != 1 {
		t.Errorf("want the 127.0.0.1 rule %q in output only:\n%s", want, rules)
	}

	_, stderr, code = e.run("run", "--rm", "--network", "bridge", "-p", "8080:80", "busybox", "true")
	if code != 125 {
		t.Errorf("a port web publishes: exit %d, want 125", code)
	}
	checkOneLineError(t, stderr, "8080/tcp", "already published")
	listener := exec.Command("nsenter", "--net="+ns.path, hostBusybox, "nc", "-l", "-p", "9090")
	if err := listener.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { listener.Process.Kill(); listener.Wait() }()
	waitFor(t, "nc to listen", func() bool {
		out, _ := ns.inside("cat", "/proc/net/tcp", "/proc/net/tcp6")
		return strings.Contains(out, ":2382 ")
	})
	_, stderr, code = e.run("run", "--rm", "--network", "bridge", "-p", "9090:80", "busybox", "true")
	if code != 125 {
		t.Errorf("a port the host listens on: exit %d, want 125", code)
	}
	checkOneLineError(t, stderr, "9090/tcp", "not free")
	if ids := e.containerIDs(); len(ids) != 1 {
		t.Errorf("refused runs left containers: %v", ids)
	}
}

// 20 containers started at once get 20 addresses.
func TestNetworkConcurrentAddresses(t *testing.T) {
	t.Parallel()
	e, _ := newBridgeEnv(t)
	const n = 20
	commands := make([][]string, n)
	for i := range commands {
		commands[i] = []string{"run", "-d", "--name", fmt.Sprintf("c%d", i), "--network", "bridge", "busybox", "sleep", "1000"}
	}
	for _, r := range e.runAll(commands) {
		if r.err != nil || r.code != 0 {
			t.Fatalf("kobako %s: exit %d, %v\n%s", strings.Join(r.args, " "), r.code, r.err, r.stderr)
		}
	}
	seen := map[string]string{}
	for i := range n {
		name := fmt.Sprintf("c%d", i)
		ip := e.netInspect(name).Network.IP
		if other, dup := seen[ip]; dup || ip == "" {
			t.Errorf("%s got address %q, as %s did", name, ip, other)
		}
		seen[ip] = name
	}
}

// --ip gives the asked-for address; a taken one is refused; --subnet
// chooses the bridge's subnet when the bridge is made, and only then.
func TestNetworkAddressFlags(t *testing.T) {
	t.Parallel()
	e, ns := newBridgeEnv(t)
	// The first container fails after the bridge, the table and ip_forward
	// were made for it: they go again (the clean-up checks).
	if _, stderr, code := e.run("run", "--rm", "--network", "bridge", "--subnet", "10.123.0.0/24", "--ip", "10.200.0.5", "busybox", "true"); code != 125 {
		t.Errorf("--ip outside --subnet: exit %d, want 125", code)
	} else {
		checkOneLineError(t, stderr, "not in the bridge's subnet")
	}
	if links := ns.links(); slices.Contains(links, "kobako0") || ns.ipForward() != "0" {
		t.Errorf("after a failed first run: links %v, ip_forward %s; want no bridge, 0", links, ns.ipForward())
	}
	e.mustRun("run", "-d", "--name", "first", "--network", "bridge", "--subnet", "10.123.0.0/24", "--ip", "10.123.0.50", "busybox", "sleep", "1000")
	if got := e.netInspect("first").Network.Address; got != "10.123.0.50/24" {
		t.Errorf("--ip 10.123.0.50 --subnet 10.123.0.0/24: address %s", got)
	}
	if addrs := ns.ip("-o", "-4", "addr", "show", "kobako0"); !strings.Contains(addrs, "10.123.0.1/24") {
		t.Errorf("the bridge's address: %s, want 10.123.0.1/24", addrs)
	}
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--ip", "10.123.0.50"}, "already in use"},
		{[]string{"--subnet", "10.124.0.0/24"}, "already uses 10.123.0.0/24"},
		{[]string{"--ip", "10.200.0.5"}, "not in the bridge's subnet"},
		{[]string{"--ip", "nowhere"}, "--ip"},
	} {
		args := append(append([]string{"run", "--rm", "--network", "bridge"}, tc.flags...), "busybox", "true")
		_, stderr, code := e.run(args...)
		if code != 125 {
			t.Errorf("run %s: exit %d, want 125", strings.Join(tc.flags, " "), code)
		}
		checkOneLineError(t, stderr, tc.want)
	}
	if ids := e.containerIDs(); len(ids) != 1 {
		t.Errorf("refused runs left containers: %v", ids)
	}
}

// A `kobako run` killed with SIGKILL leaves its container running, with
// its veth, lease and port rules: rm -f removes them all (the clean-up
// checks) — run in the right network namespace. One whose container then
// ended by itself is swept by the next bridged run.
func TestNetworkKilledRun(t *testing.T) {
	t.Parallel()
	e, ns := newBridgeEnv(t)
	killed := e.start("run", "--name", "k", "--network", "bridge", "-p", "8090:80", "busybox", "sleep", "1000")
	e.waitRunning("k")
	killed.cmd.Process.Kill()
	killed.wait(t)
	if !strings.Contains(ns.ruleset(), "dport 8090") {
		t.Errorf("k's port rule is missing while k runs:\n%s", ns.ruleset())
	}
	// From another network namespace (the real host's), rm cannot reach
	// k's veth and rules: it says where to run instead, and keeps k.
	_, stderr, code := e.withBinary(kobako).run("rm", "-f", "k")
	if code != 1 {
		t.Errorf("rm -f k outside k's host namespace: exit %d, want 1", code)
	}
	checkOneLineError(t, stderr, "nsenter --net=")
	if in := e.inspect("k"); in.Status != "running" {
		t.Errorf("k after a refused rm -f: %s, want still running", in.Status)
	}
	e.mustRun("rm", "-f", "k")

	ended := e.start("run", "--name", "ended", "--network", "bridge", "-p", "8091:80", "busybox", "sleep", "1000")
	in := e.waitRunning("ended")
	ended.cmd.Process.Kill()
	ended.wait(t)
	syscall.Kill(in.Pid, syscall.SIGKILL) // the container dies, nobody notices
	waitFor(t, "ended's veth to go", func() bool { return !slices.Contains(ns.links(), e.netInspect("ended").Network.HostVeth) })
	e.mustRun("run", "--rm", "--network", "bridge", "-p", "8091:80", "busybox", "true")
	if links := ns.links(); slices.Contains(links, "kobako0") {
		t.Errorf("after the last live bridged container: links %v, want no bridge", links)
	}
	e.mustRun("rm", "ended")
}

// --network container:NAME shares another container's namespace: the same
// net inode, its address, in its own /etc/hosts.
func TestNetworkContainerMode(t *testing.T) {
	t.Parallel()
	e, _ := newBridgeEnv(t)
	e.mustRun("run", "-d", "--name", "a", "--network", "bridge", "busybox", "sleep", "1000")
	e.mustRun("run", "-d", "--name", "j", "--network", "container:a", "busybox", "sleep", "1000")
	a, j := e.netInspect("a"), e.netInspect("j")
	if j.Namespaces["net"] == "" || j.Namespaces["net"] != a.Namespaces["net"] {
		t.Errorf("net namespaces: j %q, a %q; want the same", j.Namespaces["net"], a.Namespaces["net"])
	}
	if j.Namespaces["uts"] == a.Namespaces["uts"] {
		t.Errorf("j shares a's uts namespace too: only the network is shared")
	}
	out := e.mustRun("exec", "j", "sh", "-c", "ip -o -4 addr show eth0; grep j /etc/hosts")
	if !strings.Contains(out, "inet "+a.Network.Address) || !strings.Contains(out, a.Network.IP+"\t") {
		t.Errorf("j's eth0 and /etc/hosts, want a's address %s:\n%s", a.Network.IP, out)
	}
	_, stderr, code := e.run("run", "--rm", "--network", "container:nobody", "busybox", "true")
	if code != 125 {
		t.Errorf("--network container:nobody: exit %d, want 125", code)
	}
	checkOneLineError(t, stderr, "container:nobody")
}

// B9: an image whose /etc/resolv.conf and /etc/hosts are symlinks to host
// files: the host files stay as they were, the container sees kobako's.
func TestNetworkFilesHostile(t *testing.T) {
	t.Parallel()
	e, _ := newBridgeEnv(t)
	resolv, resolvContent := writeMarker(t)
	hosts, hostsContent := writeMarker(t)
	entries, _ := busyboxTar(t)
	e.importImage("hostile-etc", append(entries, tarSymlink("etc/resolv.conf", resolv), tarSymlink("etc/hosts", hosts)))
	out := e.mustRun("run", "--rm", "--network", "bridge", "--dns", "10.0.0.53", "hostile-etc", "sh", "-c",
		"cat /etc/resolv.conf /etc/hosts; echo pwned > /etc/resolv.conf; echo pwned >> /etc/hosts")
	if !strings.Contains(out, "nameserver 10.0.0.53") || !strings.Contains(out, "localhost") || strings.Contains(out, "host only") {
		t.Errorf("the container's files:\n%s\nwant kobako's", out)
	}
	for path, content := range map[string]string{resolv: resolvContent, hosts: hostsContent} {
		if got := readString(t, path); got != content {
			t.Errorf("the host's %s became %q", path, got)
		}
	}
}

// The real host, once: a bridged container reaches its gateway, and after
// rm the host's links, ruleset and ip_forward are what they were.
func TestNetworkOnTheHost(t *testing.T) {
	e := newEnv(t)
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing(t, "%s (apt-get install iproute2 nftables)", tool)
		}
	}
	snapshot := func() (links, ruleset, forward string) {
		links = mustCommand(t, "ip", "-o", "link")
		links = regexp.MustCompile(`(?m)^\d+: `).ReplaceAllString(links, "")
		return links, mustCommand(t, "nft", "list", "ruleset"), readString(t, "/proc/sys/net/ipv4/ip_forward")
	}
	links, ruleset, forward := snapshot()
	if strings.Contains(links, "kobako0") {
		t.Fatalf("this host already has a kobako0 bridge: remove its containers (or ip link del kobako0) first")
	}
	out, stderr, code := e.run("run", "--rm", "--network", "bridge", "busybox", "sh", "-c",
		"ping -c 1 -W 5 $(ip route | awk '/default/ {print $3}')")
	if code != 0 {
		t.Errorf("a bridged container on the host cannot ping its gateway: exit %d\n%s%s", code, out, stderr)
	}
	l, r, f := snapshot()
	if l != links || r != ruleset || f != forward {
		t.Errorf("the host changed:\nlinks %s\nwas %s\nruleset %s\nwas %s\nip_forward %s, was %s", l, links, r, ruleset, f, forward)
	}
}

// CVE-2020-8558: route_localnet on the bridge (for 127.0.0.1:PORT) must not
// let a container reach what the host serves on its loopback only. A probe
// with CAP_NET_RAW — docker's default — sends a SYN for 127.0.0.1 straight
// to the bridge's MAC: nothing answers. The same SYN for a port the host
// serves on every address is answered, so the probe is not blind.
func TestNetworkLocalhostGuard(t *testing.T) {
	t.Parallel()
	e, ns := newBridgeEnv(t)
	e.importImage("probe", probeTar(t))
	for _, addr := range []string{"127.0.0.1:7777", "0.0.0.0:7778"} {
		server := exec.Command("nsenter", "--net="+ns.path, hostBusybox, "httpd", "-f", "-p", addr, "-h", t.TempDir())
		if err := server.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { server.Process.Kill(); server.Wait() })
	}
	waitFor(t, "the host's servers", func() bool {
		out, _ := ns.inside("cat", "/proc/net/tcp", "/proc/net/tcp6")
		return strings.Contains(out, ":1E61 ") && strings.Contains(out, ":1E62 ")
	})
	e.mustRun("run", "-d", "--name", "keep", "--network", "bridge", "busybox", "sleep", "1000")
	gateway := e.netInspect("keep").Network.Gateway
	fields := strings.Fields(ns.ip("-o", "link", "show", "kobako0"))
	mac := fields[slices.Index(fields, "link/ether")+1]
	for _, tc := range []struct {
		dst, port string
		answered  bool
	}{
		{gateway, "7778", true},
		{"127.0.0.1", "7777", false},
	} {
		out := e.mustRun("run", "--rm", "--network", "bridge", "probe", "/probe", "syn-to", "eth0", mac, tc.dst, tc.port)
		var reply struct {
			Answered bool   `json:"answered"`
			Flags    string `json:"flags"`
		}
		decodeProbe(t, "syn-to", out, &reply)
		if reply.Answered != tc.answered {
			t.Errorf("a SYN from a container for %s:%s: answered %v (%s), want %v", tc.dst, tc.port, reply.Answered, reply.Flags, tc.answered)
		}
	}
}
