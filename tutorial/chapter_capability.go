package tutorial

// Chapter 5, Capability(権限の隔離): root's power in pieces. The learner pings
// the container's own loopback with CAP_NET_RAW, then in a container
// without it; kobako reads each container's loopback counters and CapEff.
// The pings stay inside each container's own network namespace.

import (
	"fmt"
	"os"
	"strings"
)

const capName, noCapName = Prefix + "cap", Prefix + "nocap"

// ensurePingShell starts a container and remembers how many packets its
// loopback had received.
func ensurePingShell(s *Session, name string, flags ...string) error {
	s.vars["name"] = name
	c, err := s.ensure(name, shellArgs(flags...)...)
	if err != nil {
		return err
	}
	n, err := loopbackPackets(c.Pid)
	s.seen[name+".lo"] = n
	return err
}

func capPing() *Step {
	return &Step{
		ID:      "cap.ping",
		Article: "cp /bin/ping . && ./ping -c1 127.0.0.1   # Operation not permitted\nsudo setcap cap_net_raw+p ./ping\n./ping -c1 127.0.0.1                     # «cap.works»",
		Code:    []CodeRef{{File: "runtime/initproc/capabilities.go", Func: "setCapabilities"}},
		Trace:   "Capability",
		Setup:   func(s *Session) error { return ensurePingShell(s, capName) },
		Task:    Task{Kind: InShell, Container: capName},
		Typed:   "ping -c 3 127.0.0.1",
		Check: func(s *Session) Result {
			c, err := s.k.running(capName)
			if err != nil {
				return s.broken(err)
			}
			before, _ := s.seen[capName+".lo"].(uint64)
			after, err := loopbackPackets(c.Pid)
			if err != nil {
				return s.broken(err)
			}
			capEff, _ := statusField(c.Pid, "CapEff")
			evidence := []string{
				fmt.Sprintf("/proc/%d/net/dev lo: %d → %d packets", c.Pid, before, after),
				fmt.Sprintf("/proc/%d/status CapEff: %s (cap_net_raw: %v)", c.Pid, capEff, hasCapability(capEff, capNetRaw)),
			}
			if after < before+2 {
				return fail(append([]string{s.msg.get("check.cap.ping.none")}, evidence...)...)
			}
			return pass(append([]string{s.msg.get("check.cap.ping.ok")}, evidence...)...)
		},
	}
}

func capNoPing() *Step {
	return &Step{
		ID:      "cap.noping",
		Article: "sudo capsh --drop=cap_net_raw -- -c 'ping -c1 127.0.0.1'\nsysctl net.ipv4.ping_group_range   # Ubuntu 20.04+: '0 2147483647'",
		Code:    []CodeRef{{File: "runtime/initproc/capabilities.go", Func: "dropBoundingSet"}},
		Trace:   "Capability",
		Setup:   func(s *Session) error { return ensurePingShell(s, noCapName, "--cap-drop", "NET_RAW") },
		Task:    Task{Kind: InShell, Container: noCapName},
		Typed:   "ping -c 1 127.0.0.1; echo $? > /answer",
		Check: func(s *Session) Result {
			c, err := s.k.running(noCapName)
			if err != nil {
				return s.broken(err)
			}
			out, err := s.exec(noCapName, "cat", "/answer")
			status := strings.TrimSpace(out)
			if err != nil || status == "" {
				return fail(s.msg.get("check.no_answer"))
			}
			before, _ := s.seen[noCapName+".lo"].(uint64)
			after, _ := loopbackPackets(c.Pid)
			capEff, _ := statusField(c.Pid, "CapEff")
			hostRange, _ := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
			ctrRange, _ := netSysctl(c.Pid, "net.ipv4.ping_group_range")
			evidence := []string{
				fmt.Sprintf("ping: exit status %s; /proc/%d/net/dev lo: %d → %d packets", status, c.Pid, before, after),
				fmt.Sprintf("/proc/%d/status CapEff: %s (cap_net_raw: %v)", c.Pid, capEff, hasCapability(capEff, capNetRaw)),
				s.msg.get("check.cap.range", strings.Join(strings.Fields(string(hostRange)), " "), strings.Join(strings.Fields(ctrRange), " ")),
			}
			if status == "0" || after > before || hasCapability(capEff, capNetRaw) {
				return fail(append([]string{s.msg.get("check.cap.noping.worked")}, evidence...)...)
			}
			return pass(append([]string{s.msg.get("check.cap.noping.ok")}, evidence...)...)
		},
	}
}
