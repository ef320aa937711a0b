package tutorial

// Chapter 8, ネットワーク: two containers on kobako's bridge, as the article
// cables ns0 to br0 with a veth pair. The learner pings one from the other
// and fetches a published port from the host; kobako reads the packet
// counters of both host-side veths and the web server's own log. All the
// traffic stays between these containers and the host's loopback.

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

const clientName, webName = Prefix + "client", Prefix + "web"

// webServer is the page the second container serves: busybox httpd,
// logging each request (-v) to its stderr, which kobako logs keeps.
const webServer = "mkdir -p /www && echo '<h1>hello from kobako</h1>' > /www/index.html && exec httpd -f -v -p 80 -h /www"

// ensureBridgedPair starts the chapter's two containers on the bridge,
// the web server's port 80 published on 127.0.0.1, and fills in the
// lesson's placeholders.
func ensureBridgedPair(s *Session) (client, web *Container, err error) {
	if _, err := s.k.inspect(webName); err != nil || s.vars["port"] == "" {
		port, err := freePort()
		if err != nil {
			return nil, nil, err
		}
		s.vars["port"] = strconv.Itoa(port)
	}
	web, err = s.ensure(webName, "--network", "bridge", "-p", "127.0.0.1:"+s.vars["port"]+":80", "busybox", "sh", "-c", webServer)
	if err != nil {
		return nil, nil, err
	}
	client, err = s.ensure(clientName, shellArgs("--network", "bridge")...)
	if err != nil {
		return nil, nil, err
	}
	if client.Network == nil || web.Network == nil {
		return nil, nil, fmt.Errorf("kobako inspect: no network for %s or %s", clientName, webName)
	}
	s.vars["name"], s.vars["name2"] = clientName, webName
	s.vars["ip"], s.vars["ip2"] = client.Network.IP, web.Network.IP
	return client, web, nil
}

// freePort asks the kernel for a free TCP port on the loopback.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func netBridge() *Step {
	return &Step{
		ID: "net.bridge",
		Article: shellLines(
			"sudo ip link add name br0 type bridge",
			"sudo ip addr add 192.168.77.1/24 dev br0 && sudo ip link set dev br0 up",
			"sudo ip netns add ns0",
			"sudo ip link add veth0 type veth peer name veth0_peer",
			"sudo ip link set dev veth0 master br0 && sudo ip link set dev veth0 up",
			"sudo ip link set dev veth0_peer netns ns0",
			"sudo ip netns exec ns0 ip addr add 192.168.77.2/24 dev veth0_peer",
			"sudo ip netns exec ns0 ip route add default via 192.168.77.1"),
		Code:  []CodeRef{{File: "netns/bridge.go", Func: "addBridge"}, {File: "netns/veth.go", Func: "addVeth"}},
		Trace: "ネットワーク",
		Setup: func(s *Session) error {
			client, web, err := ensureBridgedPair(s)
			if err != nil {
				return err
			}
			s.ui.box(s.msg.get("box.bridge"), bridgePicture(client, web, s.vars["port"], s.msg.get("ns.host"), s.msg.get("net.bridge")))
			for _, c := range []*Container{client, web} {
				rx, tx, err := packets("self", c.Network.HostVeth)
				if err != nil {
					return err
				}
				s.seen[c.Network.HostVeth] = [2]uint64{rx, tx}
			}
			return nil
		},
		Task:  Task{Kind: InShell, Container: clientName},
		Typed: "ip addr show eth0; ping -c 3 {ip2}",
		Check: func(s *Session) Result {
			var lines []string
			moved := true
			for _, name := range []string{clientName, webName} {
				c, err := s.k.running(name)
				if err != nil {
					return s.broken(err)
				}
				veth := c.Network.HostVeth
				before, _ := s.seen[veth].([2]uint64)
				rx, tx, err := packets("self", veth)
				if err != nil {
					return s.broken(err)
				}
				lines = append(lines, fmt.Sprintf("/proc/net/dev %s: rx %d → %d, tx %d → %d packets  (%s)", veth, before[0], rx, before[1], tx, name))
				moved = moved && rx >= before[0]+3 && tx >= before[1]+3
			}
			if !moved {
				return fail(append([]string{s.msg.get("check.net.bridge.none", s.vars["ip2"])}, lines...)...)
			}
			return pass(append([]string{s.msg.get("check.net.bridge.ok")}, lines...)...)
		},
	}
}

// bridgePicture draws the bridge, its two veths and the containers behind
// them, from what kobako inspect read.
func bridgePicture(client, web *Container, port, host, bridge string) string {
	return fmt.Sprintf(`%[9]s
 └─ %[1]s (%[10]s)
     ├─ %[2]s ══ eth0 %[3]s  %[4]s
     └─ %[5]s ══ eth0 %[6]s  %[7]s :80 ← 127.0.0.1:%[8]s (dnat)
`, client.Network.Bridge, client.Network.HostVeth, client.Network.IP, client.Name,
		web.Network.HostVeth, web.Network.IP, web.Name, port, host, bridge)
}

func netPort() *Step {
	return &Step{
		ID:      "net.port",
		Article: "sudo sysctl -w net.ipv4.ip_forward=1\nsudo iptables -t nat -A POSTROUTING -s 192.168.77.0/24 ! -o br0 -j MASQUERADE\nsudo nft list table ip kobako   # «net.kobako»",
		Code:    []CodeRef{{File: "netns/ports.go", Func: "natTable.publishPorts"}},
		Trace:   "ネットワーク",
		Setup: func(s *Session) error {
			if _, _, err := ensureBridgedPair(s); err != nil {
				return err
			}
			n, err := s.requestsLogged()
			s.seen["net.requests"] = n
			return err
		},
		Task: Task{Kind: OnHost},
		Perform: func(s *Session) error {
			s.ui.dim("$ wget -qO- http://127.0.0.1:" + s.vars["port"] + "/")
			page, err := fetch("127.0.0.1:" + s.vars["port"])
			s.ui.say(page)
			return err
		},
		Check: func(s *Session) Result {
			before, _ := s.seen["net.requests"].(int)
			var after int
			var err error
			for i := 0; i < 10; i++ { // the log reaches kobako logs through a pipe
				if after, err = s.requestsLogged(); err != nil || after > before {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				return s.broken(err)
			}
			evidence := fmt.Sprintf("kobako logs %s: %d → %d requests", webName, before, after)
			if after <= before {
				return fail(s.msg.get("check.net.port.none", s.vars["port"]), evidence)
			}
			return pass(s.msg.get("check.net.port.ok"), evidence)
		},
	}
}

// requestsLogged counts the requests busybox httpd -v has logged on its
// stderr (kobako logs prints that on its own stderr, as docker logs does).
func (s *Session) requestsLogged() (int, error) {
	out, err := s.k.command("logs", webName).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("kobako logs %s: %s", webName, lastLine(string(out)))
	}
	return strings.Count(string(out), "response:"), nil
}

// fetch GETs / from addr, as wget would, and returns the page.
func fetch(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", fmt.Errorf("connect %s: %w", addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", addr)
	var page strings.Builder
	sc := bufio.NewScanner(conn)
	body := false
	for sc.Scan() {
		if body {
			page.WriteString(sc.Text() + "\n")
		}
		body = body || sc.Text() == ""
	}
	return strings.TrimSpace(page.String()), sc.Err()
}
