package tests

// Chapter "privileges", the devices cgroup (B18): a container may make
// (mknod, with CAP_MKNOD) and open only the devices of its allow list —
// null, zero, full, random, urandom, tty, ptmx and the ptys — and those
// --device adds, with the access it gives. Anything else is EPERM, even
// the mknod (docker allows that, and refuses only the open). From the host: on v1 the devices cgroup's
// devices.list is the allow list; on v2 (the qemu guest) a
// BPF_CGROUP_DEVICE program is attached to the container's cgroup.

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// probeDevices is a shell function for the container: it runs a command
// line and prints "NAME ok", or NAME and the shell's error.
const probeDevices = `probe() { name=$1; shift; if err=$(sh -c "$*" 2>&1); then echo "$name ok"; else echo "$name $err"; fi; }; `

const notPermitted = "Operation not permitted"

// defaultAllowList is kobako's default linux.resources.devices, as the
// kernel lists it: the devices in /dev, nothing else.
var defaultAllowList = []string{"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
	"c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm"}

// The default list: /dev/mem (1:1), /dev/kmsg (1:11) and the first disk
// (b 8:0) cannot even be made in /tmp (EPERM, though the container holds
// CAP_MKNOD); another null device can, and works.
func TestCgroupDevicesDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := hostCgroups(t)
	script := probeDevices + `
		probe mknod-mem mknod /tmp/mem c 1 1
		probe mknod-kmsg mknod /tmp/kmsg c 1 11
		probe mknod-sda mknod /tmp/sda b 8 0
		probe mknod-null 'mknod /tmp/null c 1 3 && echo x > /tmp/null'
		probe null 'echo x > /dev/null && true < /dev/null'
		probe zero 'head -c 4 /dev/zero > /dev/null && true > /dev/zero'
		probe full 'true < /dev/full && true > /dev/full'
		probe random 'head -c 4 /dev/random > /dev/null && head -c 4 /dev/urandom > /dev/null'
		probe ptmx 'true < /dev/ptmx'
		echo dev $(ls /dev)
		echo DONE; exec sleep 1000`
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "devs", "busybox", "sh", "-c", script))
	var out string
	waitFor(t, "the device probes", func() bool {
		out = e.mustRun("logs", "devs")
		return strings.Contains(out, "DONE")
	})
	expectProbes(t, out, map[string]string{
		"mknod-mem": notPermitted, "mknod-kmsg": notPermitted, "mknod-sda": notPermitted, "mknod-null": "ok",
		"null": "ok", "zero": "ok", "full": "ok", "random": "ok", "ptmx": "ok",
		"dev": "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero",
	})
	if !l.v2 {
		expectDevicesList(t, l.dir(t, "devices", id), defaultAllowList)
		e.mustRun("rm", "-f", "devs")
		l.expectGone(t, id, "rm -f")
		return
	}
	ids := expectDeviceProgram(t, l.dir(t, "devices", id))
	e.mustRun("rm", "-f", "devs")
	l.expectGone(t, id, "rm -f")
	// The attachment held the program; the cgroup's removal frees it.
	waitFor(t, "the device program to go with the cgroup", func() bool {
		for _, progID := range ids {
			if prog, err := ebpf.NewProgramFromID(progID); err == nil {
				prog.Close()
				return false
			}
		}
		return true
	})
}

// On a terminal (-t): the container's pty, /dev/tty and /dev/console
// (the pty bound there) can be opened.
func TestCgroupDevicesTerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	term := e.startOnTerminal(24, 80, "run", "-it", "--rm", "busybox", "sh", "-c", probeDevices+`
		probe tty 'echo x > /dev/tty'; probe pts 'true < $(tty)'; probe console 'echo x > /dev/console'
		probe ptmx 'true < /dev/ptmx'; echo dev $(ls /dev)`)
	out, code := term.wait(t)
	if code != 0 {
		t.Errorf("exit %d, want 0; output:\n%s", code, out)
	}
	expectProbes(t, strings.ReplaceAll(out, "\r\n", "\n"), map[string]string{
		"tty": "ok", "pts": "ok", "console": "ok", "ptmx": "ok",
		"dev": "console fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero",
	})
}

// --device HOST:CTR:PERMS allows that device with PERMS, and no more:
// /dev/kmsg (1:11, on every Linux) opens for writing under w, not under r.
// (Opening it for reading needs CAP_SYSLOG besides, where dmesg_restrict
// is on, as on Debian: reads are no test of the cgroup here.)
func TestCgroupDevicesFlag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := hostCgroups(t)
	for _, tc := range []struct{ perms, want string }{{"w", "ok"}, {"r", notPermitted}} {
		name := "kmsg-" + tc.perms
		script := probeDevices + `probe write 'true > /dev/x'; echo DONE; exec sleep 1000`
		id := strings.TrimSpace(e.mustRun("run", "-d", "--name", name, "--device", "/dev/kmsg:/dev/x:"+tc.perms, "busybox", "sh", "-c", script))
		var out string
		waitFor(t, "the probe of --device /dev/kmsg:/dev/x:"+tc.perms, func() bool {
			out = e.mustRun("logs", name)
			return strings.Contains(out, "DONE")
		})
		expectProbes(t, out, map[string]string{"write": tc.want})
		if !l.v2 {
			// m too: the init makes the node inside the cgroup.
			expectDevicesList(t, l.dir(t, "devices", id), append(slices.Clone(defaultAllowList), "c 1:11 "+tc.perms+"m"))
		}
		e.mustRun("rm", "-f", name)
		l.expectGone(t, id, "rm -f")
	}
}

// expectProbes checks the probes' lines: "ok", or an error containing want.
func expectProbes(t *testing.T, out string, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if name, result, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			got[name] = result
		}
	}
	for name, w := range want {
		result, ok := got[name]
		switch {
		case !ok:
			t.Errorf("probe %s printed nothing; output:\n%s", name, out)
		case w == "ok" && result != "ok", w == notPermitted && !strings.Contains(result, notPermitted),
			w != "ok" && w != notPermitted && result != w:
			t.Errorf("probe %s: %q, want %q", name, result, w)
		}
	}
}

// expectDevicesList compares the container's v1 devices.list with want.
func expectDevicesList(t *testing.T, dir string, want []string) {
	t.Helper()
	got := strings.Split(readCgroupFile(t, dir, "devices.list"), "\n")
	if !slices.Equal(got, want) {
		t.Errorf("%s/devices.list:\n%s\nwant:\n%s", dir, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// expectDeviceProgram checks, by BPF_PROG_QUERY on the cgroup's directory
// (bpftool cgroup show DIR), that kobako's device program is attached —
// though kobako run -d has exited — and nothing else. It returns the
// programs' ids.
func expectDeviceProgram(t *testing.T, dir string) []ebpf.ProgramID {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := link.QueryPrograms(link.QueryOptions{Target: int(f.Fd()), Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		t.Fatalf("query the device programs of %s: %v", dir, err)
	}
	var names []string
	var ids []ebpf.ProgramID
	for _, p := range res.Programs {
		names, ids = append(names, programName(t, p.ID)), append(ids, p.ID)
	}
	if !slices.Equal(names, []string{"kobako_devices"}) {
		t.Errorf("device programs attached to %s: %q, want kobako's one", dir, names)
	}
	return ids
}

// programName is the name of the program with kernel id id.
func programName(t *testing.T, id ebpf.ProgramID) string {
	t.Helper()
	prog, err := ebpf.NewProgramFromID(id)
	if err != nil {
		t.Fatalf("program %d: %v", id, err)
	}
	defer prog.Close()
	info, err := prog.Info()
	if err != nil {
		t.Fatalf("program %d: %v", id, err)
	}
	if info.Type != ebpf.CGroupDevice {
		return fmt.Sprintf("%s (type %v)", info.Name, info.Type)
	}
	return info.Name
}
