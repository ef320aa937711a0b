// Command kobako-init is the container's init: the first process inside the
// new namespaces, which builds the container from the inside (mounts,
// hostname, pivot_root, privileges) and then becomes its command with
// execve. kobako starts it for every container and every exec; it never
// runs by hand.
//
// It is a binary of its own, not kobako re-executed, because it starts at
// every container start: each package a binary links costs every process
// that starts it (docs/bench.md). So this one links only the init's code
// (runtime/initproc), the mounts (rootfs) and golang.org/x/sys/unix — no
// command line parser, netlink, nftables, eBPF or seccomp compiler. A test
// (TestInitLinksLittle) fails when one of them comes back.
//
// kobako starts it from a handle no one can write through (a detached
// read-only mount of this file, or a sealed copy in memory: see
// runtime/selfexe.go and CVE-2019-5736), with its configuration on fd 3.
//
// With `run --init` it is also the container's PID 1 in front of the
// command: `kobako-init reaper -- CMD…` (initproc/reaper.go).
//
// Go 1.25+ sizes GOMAXPROCS from the cgroup's CPU limit, which keeps
// /sys/fs/cgroup files open — a host handle in a container is how runc's
// CVE-2024-21626 began. The init needs no such tuning.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"os"

	"github.com/kobako/kobako/runtime/initproc"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == initproc.ReaperCommand {
		initproc.Reap(os.Args[2:]) // never returns
	}
	initproc.Main() // never returns
}
