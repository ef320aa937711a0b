package tutorial

// Chapter 3, Namespace(名前空間の隔離): what a process can see. The learner
// compares the container's namespace links with the host's, renames the
// container's host, tries to kill its PID 1, and joins it from a second
// terminal as nsenter (and docker exec) do.

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kobako/kobako/runtime"
)

const nsName = Prefix + "ns"

// ensureNamespaceShell starts the chapter's container and remembers its
// PID 1 as it was born: pid and start time, to tell later whether it is
// still the same process.
func ensureNamespaceShell(s *Session) error {
	s.vars["name"] = nsName
	// renaming the host takes CAP_SYS_ADMIN, which docker and kobako drop
	// by default (the article's unshare -r gave its shell all of them)
	c, err := s.ensure(nsName, shellArgs("--cap-add", "SYS_ADMIN")...)
	if err != nil {
		return err
	}
	if born, ok := s.seen["ns.pid1"].([2]uint64); !ok || born[0] != uint64(c.Pid) {
		start, err := runtime.StartTime(c.Pid)
		if err != nil {
			return err
		}
		s.seen["ns.pid1"] = [2]uint64{uint64(c.Pid), start}
	}
	s.seen["ns.hosthostname"] = hostHostname()
	return nil
}

func nsInodes() *Step {
	return &Step{
		ID:      "ns.inodes",
		Article: "ls -l /proc/$$/ns        # «ns.kind»: 'uts:[4026531838]'\nsudo ls -l /proc/1/ns   # «ns.same»",
		Code:    []CodeRef{{File: "runtime/namespaces.go", Func: "cloneFlags"}, {File: "runtime/initproc/namespaces.go", Func: "enterCgroupNamespace"}},
		Trace:   "Namespace",
		Setup:   ensureNamespaceShell,
		Task:    Task{Kind: InShell, Container: nsName},
		Typed:   "ls -l /proc/self/ns",
		Check: func(s *Session) Result {
			c, err := s.k.running(nsName)
			if err != nil {
				return s.broken(err)
			}
			s.ui.box(s.msg.get("box.ns_side_by_side"), nsSideBySide(s, c.Pid))
			var same []string
			for _, kind := range []string{"mnt", "uts", "ipc", "pid", "net", "cgroup"} {
				host, _ := nsInode("self", kind)
				if ctr, _ := nsInode(fmt.Sprint(c.Pid), kind); ctr == host {
					same = append(same, kind)
				}
			}
			if len(same) > 0 {
				return fail(s.msg.get("check.ns.inodes.same", strings.Join(same, " ")))
			}
			return pass(s.msg.get("check.ns.inodes.ok"), s.msg.get("check.ns.inodes.user_time"))
		},
	}
}

// nsSideBySide draws ls -l /proc/self/ns of the host and of the
// container's PID 1 side by side, marking the kinds that differ.
func nsSideBySide(s *Session, pid int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-24s %-24s\n", "", s.msg.get("ns.host"), s.msg.get("ns.container"))
	for _, kind := range namespaceKinds {
		host, _ := nsInode("self", kind)
		ctr, _ := nsInode(fmt.Sprint(pid), kind)
		mark := "≠"
		if host == ctr {
			mark = "="
		}
		fmt.Fprintf(&b, "%-8s %-24s %-24s %s\n", kind, host, ctr, mark)
	}
	return b.String()
}

func nsUTS() *Step {
	return &Step{
		ID:      "ns.uts",
		Article: "sudo unshare -u /bin/sh\nhostname my-new-hostname; uname -n\nexit; hostname           # «ns.host_unchanged»",
		Code:    []CodeRef{{File: "runtime/initproc/hostname.go", Func: "setHostname"}},
		Trace:   "Namespace",
		Setup:   ensureNamespaceShell,
		Task:    Task{Kind: InShell, Container: nsName},
		Typed:   "hostname; hostname kobako-was-here; hostname",
		Check: func(s *Session) Result {
			c, err := s.k.running(nsName)
			if err != nil {
				return s.broken(err)
			}
			inside, err := hostnameOf(c.Pid)
			if err != nil {
				return s.broken(err)
			}
			host, before := hostHostname(), s.seen["ns.hosthostname"]
			evidence := []string{
				fmt.Sprintf("nsenter -u -t %d hostname   → %s", c.Pid, inside),
				fmt.Sprintf("hostname                    → %s", host),
			}
			switch {
			case host != before:
				return fail(append([]string{s.msg.get("check.ns.uts.host_changed")}, evidence...)...)
			case inside == c.Hostname:
				return fail(append([]string{s.msg.get("check.ns.uts.unchanged", c.Hostname)}, evidence...)...)
			}
			return pass(append([]string{s.msg.get("check.ns.uts.ok", inside)}, evidence...)...)
		},
	}
}

func nsPID() *Step {
	return &Step{
		ID:      "ns.pid",
		Article: "sudo unshare --fork --pid --mount-proc /bin/sh\nps; echo $$   # 1\nkill -9 1     # «ns.nothing»",
		Code:    []CodeRef{{File: "runtime/initproc/init.go", Func: "Main"}},
		Trace:   "Namespace",
		Setup:   ensureNamespaceShell,
		Task:    Task{Kind: InShell, Container: nsName},
		Typed:   "ps; echo $$; kill -9 1",
		Check: func(s *Session) Result {
			born, _ := s.seen["ns.pid1"].([2]uint64)
			c, err := s.k.running(nsName)
			if err != nil {
				return s.broken(err)
			}
			start, err := runtime.StartTime(c.Pid)
			if err != nil || uint64(c.Pid) != born[0] || start != born[1] {
				return fail(s.msg.get("check.ns.pid.new_init"))
			}
			argv := cmdline(c.Pid)
			return pass(s.msg.get("check.ns.pid.ok", c.Pid),
				fmt.Sprintf("/proc/%d/cmdline: %s   starttime %d", c.Pid, strings.Join(argv, " "), start),
				s.msg.get("check.ns.pid.why"))
		},
	}
}

func nsEnter() *Step {
	return &Step{
		ID:      "ns.nsenter",
		Article: "unshare -ur /bin/sh -c 'hostname foobar; sleep 15' &\nPID=$(jobs -p)\nsudo nsenter -u -t $PID hostname   # foobar",
		Code:    []CodeRef{{File: "runtime/exec.go", Func: "openNamespaces"}},
		Trace:   "Namespace",
		Setup:   ensureNamespaceShell,
		Task:    Task{Kind: OnHost},
		Perform: func(s *Session) error {
			s.ui.dim("$ sudo kobako exec -i " + nsName + " sh   # " + s.msg.get("yes.second_terminal"))
			return s.background("exec", "-i", nsName, "sh", "-c", "sleep 3600")
		},
		Check: func(s *Session) Result {
			c, err := s.k.running(nsName)
			if err != nil {
				return s.broken(err)
			}
			// a kobako exec just started takes a moment to join
			for wait := 0; wait < 30; wait++ {
				if pid := joinedProcess(c); pid != 0 {
					kinds := []string{"mnt", "uts", "ipc", "pid", "net", "cgroup"}
					note := ""
					if s.cgroupv == "v2" && sameCgroupView(pid, c.Pid) {
						// kobako exec on v2 gives the process a cgroup namespace
						// of its own, rooted at the container's cgroup
						// (runtime/exec.go says why): the same view
						kinds, note = kinds[:5], s.msg.get("check.ns.enter.cgroup_v2")
					}
					if diff := differentNamespaces(pid, c.Pid, kinds); diff != "" {
						return fail(s.msg.get("check.ns.enter.differs", pid, diff))
					}
					r := pass(s.msg.get("check.ns.enter.ok", pid, strings.Join(cmdline(pid), " ")),
						s.msg.get("check.ns.enter.same"))
					if note != "" {
						r.Lines = append(r.Lines, note)
					}
					return r
				}
				time.Sleep(100 * time.Millisecond)
			}
			return fail(s.msg.get("check.ns.enter.none", nsName))
		},
	}
}

// joinedProcess finds a process of the container that entered it from
// outside, or 0.
func joinedProcess(c *Container) int {
	for _, pid := range processesIn(c.Namespaces["pid"]) {
		if pid != c.Pid && joinedFromOutside(pid, c.Namespaces["pid"]) {
			return pid
		}
	}
	return 0
}

// joinedFromOutside says whether pid's parent is outside the PID namespace
// pidns: it came in through setns (kobako exec, nsenter), not as a child
// of the container's own processes.
func joinedFromOutside(pid int, pidns string) bool {
	ppid, err := statusField(pid, "PPid")
	if err != nil {
		return false
	}
	parentNS, err := nsInode(ppid, "pid")
	return err == nil && parentNS != pidns
}

// sameCgroupView says whether two processes see the same /proc/PID/cgroup.
func sameCgroupView(a, b int) bool {
	x, err1 := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", a))
	y, err2 := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", b))
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// differentNamespaces lists the kinds in which two processes differ.
func differentNamespaces(a, b int, kinds []string) string {
	var diff []string
	for _, kind := range kinds {
		x, _ := nsInode(fmt.Sprint(a), kind)
		y, _ := nsInode(fmt.Sprint(b), kind)
		if x != y {
			diff = append(diff, kind)
		}
	}
	return strings.Join(diff, " ")
}
