package tests

// The bridge's faults, in a network namespace of the test's own (see
// network_test.go): its address range used up for real, by a /30 subnet
// with room for one container, and the same injected at the point where
// an address is chosen, for the first container (whose bridge, nft table
// and ip_forward must go again) and beside another one. An init that
// fails once its container is on the bridge leaves no veth, rule or lease.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A /30 holds the network, the gateway, one container and the broadcast
// address: a second container finds none left.
func faultBridgeExhausted(t *testing.T) {
	e, ns := newBridgeEnv(t)
	e.mustRun("run", "--rm", "busybox", "true")
	e.mustRun("run", "-d", "--name", "a", "--network", "bridge", "--subnet", "10.99.77.0/30", "busybox", "sleep", "1000")
	e.waitExeced("a")
	before, netBefore := e.snapshot(), ns.snapshot()
	for _, args := range [][]string{
		{"run", "--rm", "--network", "bridge", "busybox", "true"},
		{"run", "--name", "b", "--network", "bridge", "busybox", "true"},
		{"run", "-d", "--name", "d", "--network", "bridge", "-p", "18080:80", "busybox", "sleep", "1000"},
	} {
		e.expectFailure(before, "", 125, "no free address left in 10.99.77.0/30", args...)
		ns.expectUnchanged(netBefore)
	}
}

// The same, injected; and inits that fail before and after their
// container is on the bridge.
func faultBridgeInjected(t *testing.T, faultBin string) {
	e, ns := newBridgeEnv(t)
	fe := e.withBinary(netnsScript(t, ns, faultBin))
	e.mustRun("run", "--rm", "busybox", "true")
	for _, other := range []bool{false, true} {
		if other {
			e.mustRun("run", "-d", "--name", "a", "--network", "bridge", "busybox", "sleep", "1000")
			e.waitExeced("a")
		}
		before, netBefore := e.snapshot(), ns.snapshot()
		for _, c := range []struct{ fault, want string }{
			{"ipam-exhausted", "no free address left"},
			{"init:pivot_root", "injected fault init:pivot_root"},
			{"init:execve", "injected fault init:execve"},
		} {
			fe.expectFailure(before, c.fault, 125, c.want, "run", "--rm", "--network", "bridge", "-p", "18080:80", "busybox", "true")
			ns.expectUnchanged(netBefore)
		}
	}
}

// netnsScript is a kobako that runs bin in the namespace ns.
func netnsScript(t *testing.T, ns *hostNetns, bin string) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "kobako-in-netns")
	text := fmt.Sprintf("#!/bin/sh\nexec nsenter --net=%s %s \"$@\"\n", ns.path, bin)
	if err := os.WriteFile(script, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

// waitExeced waits until the container's init has become its command:
// until then it is a kobako process, which the host's snapshots count.
func (e *env) waitExeced(ref string) {
	e.t.Helper()
	pid := e.waitRunning(ref).Pid
	waitFor(e.t, ref+"'s command", func() bool {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		return !strings.HasPrefix(filepath.Base(strings.SplitN(string(cmdline), "\x00", 2)[0]), "kobako")
	})
}
