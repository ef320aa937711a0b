package tutorial

// The checks read the kernel, as a learner would with ls -l /proc/PID/ns,
// cat /proc/PID/status or nsenter: never a file kobako wrote about itself.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The tutorial joins containers' namespaces on threads of its own
// (inNamespace), and a goroutine locked to a thread that ends while locked
// takes the thread with it — except the main thread, which Go keeps, out of
// use, in whatever namespace it was left in. /proc/self names the main
// thread, so the main goroutine keeps it: no other goroutine ever runs on
// it, and /proc/self/net and the like stay the host's.
func init() {
	goruntime.LockOSThread()
}

// namespaceKinds are the entries of /proc/PID/ns that name a namespace.
var namespaceKinds = []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}

// nsInode reads one namespace link: "uts:[4026532301]".
// Shell twin: readlink /proc/PID/ns/KIND
func nsInode(pid, kind string) (string, error) {
	link, err := os.Readlink(filepath.Join("/proc", pid, "ns", kind))
	if err != nil {
		return "", err
	}
	return link, nil
}

// statusField reads one field of /proc/PID/status ("CapEff", "NSpid" …).
// Shell twin: grep ^FIELD: /proc/PID/status
func statusField(pid int, field string) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == field {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("/proc/%d/status: no %s", pid, field)
}

// cmdline is a process's argv. Shell twin: tr '\0' ' ' < /proc/PID/cmdline
func cmdline(pid int) []string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
}

// processesIn lists the host pids of the processes in the PID namespace
// whose link is pidns. Shell twin: for p in /proc/[0-9]*; do readlink $p/ns/pid; done
func processesIn(pidns string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if link, err := nsInode(e.Name(), "pid"); err == nil && link == pidns {
			pids = append(pids, pid)
		}
	}
	return pids
}

// inNamespace runs fn on a thread that has joined one of pid's namespaces:
// what nsenter does. The thread is locked and never unlocked, so Go ends
// it with the goroutine instead of reusing a thread that lives elsewhere.
// Shell twin: nsenter --KIND -t PID …
func inNamespace(pid int, kind string, nstype int, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		goruntime.LockOSThread() // setns changes this thread only; never unlocked
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, kind), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- err
			return
		}
		defer unix.Close(fd)
		if kind == "mnt" {
			// a thread shares its root and cwd with the process unless it
			// unshares them first (setns(2), CLONE_NEWNS)
			if err := unix.Unshare(unix.CLONE_FS); err != nil {
				done <- fmt.Errorf("unshare CLONE_FS: %w", err)
				return
			}
		}
		if err := unix.Setns(fd, nstype); err != nil { // nsenter --KIND -t PID
			done <- fmt.Errorf("setns %s of %d: %w", kind, pid, err)
			return
		}
		done <- fn()
	}()
	return <-done
}

// hostnameOf reads the hostname in pid's UTS namespace.
// Shell twin: nsenter -u -t PID hostname
func hostnameOf(pid int) (string, error) {
	var name string
	err := inNamespace(pid, "uts", unix.CLONE_NEWUTS, func() error {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			return err
		}
		name = unix.ByteSliceToString(u.Nodename[:])
		return nil
	})
	return name, err
}

// hostHostname is the hostname in the tutorial's own UTS namespace.
func hostHostname() string {
	name, _ := os.Hostname()
	return name
}

// netSysctl reads a net.* sysctl as pid's network namespace has it: those
// files are per namespace, and /proc/sys shows the reader's own.
// Shell twin: nsenter -n -t PID cat /proc/sys/net/…
func netSysctl(pid int, key string) (string, error) {
	var value string
	err := inNamespace(pid, "net", unix.CLONE_NEWNET, func() error {
		data, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(key, ".", "/"))
		value = strings.TrimSpace(string(data))
		return err
	})
	return value, err
}

// packets counts what one interface received and sent, in the network
// namespace of process pid ("self": the tutorial's own, the host's).
// /proc/PID/net/dev is per namespace; /sys/class/net would show the
// namespace that mounted /sys instead.
// Shell twin: grep IFACE: /proc/PID/net/dev
func packets(pid, iface string) (rx, tx uint64, err error) {
	data, err := os.ReadFile(filepath.Join("/proc", pid, "net", "dev"))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, counters, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || name != iface {
			continue
		}
		// receive: bytes packets errs drop fifo frame compressed multicast,
		// then transmit: bytes packets …
		f := strings.Fields(counters)
		if len(f) < 10 {
			break
		}
		if rx, err = strconv.ParseUint(f[1], 10, 64); err != nil {
			return 0, 0, err
		}
		tx, err = strconv.ParseUint(f[9], 10, 64)
		return rx, tx, err
	}
	return 0, 0, fmt.Errorf("/proc/%s/net/dev: no %s", pid, iface)
}

// loopbackPackets counts the packets lo received in pid's network namespace.
func loopbackPackets(pid int) (uint64, error) {
	rx, _, err := packets(strconv.Itoa(pid), "lo")
	return rx, err
}

// hasCapability says whether bit n is set in a /proc/PID/status mask.
func hasCapability(mask string, n uint) bool {
	v, err := strconv.ParseUint(mask, 16, 64)
	return err == nil && v&(1<<n) != 0
}

// capNetRaw is CAP_NET_RAW's number (capability.h).
const capNetRaw = 13
