package tutorial

// Chapter 0, コンテナとは: a container is a process of the host. The learner
// starts a sleep in a container's shell; kobako finds it among the host's
// processes, with its two PIDs: the host's and the container's.

import (
	"fmt"
	"slices"
	"strings"
)

func introProcess() *Step {
	const name = Prefix + "intro"
	return &Step{
		ID:      "intro.process",
		Article: "sudo kobako run -it --rm busybox sh   # «intro.in»\nps -ef | grep sleep                   # «intro.host»",
		Code:    []CodeRef{{File: "runtime/create.go", Func: "Runtime.startInit", Around: `shell := "unshare -muinpf"`}},
		Trace:   "Namespace",
		Setup: func(s *Session) error {
			s.vars["name"] = name
			_, err := s.ensure(name, shellArgs()...)
			return err
		},
		Task:  Task{Kind: InShell, Container: name},
		Typed: "sleep 1234 &",
		Check: func(s *Session) Result {
			c, err := s.k.running(name)
			if err != nil {
				return s.broken(err)
			}
			for _, pid := range processesIn(c.Namespaces["pid"]) {
				if !slices.Equal(cmdline(pid), []string{"sleep", "1234"}) {
					continue
				}
				nspid, err := statusField(pid, "NSpid") // "12345	7": host, then container
				if err != nil {
					return s.broken(err)
				}
				ids := strings.Fields(nspid)
				return pass(s.msg.get("check.intro.ok"),
					fmt.Sprintf("ps -p %d -o pid,cmd   # %s", pid, s.msg.get("check.intro.host_pid", pid)),
					s.msg.get("check.intro.nspid", strings.Join(ids, " "), ids[len(ids)-1]))
			}
			return fail(s.msg.get("check.intro.no_sleep"))
		},
	}
}
