// Package runtime creates, starts, signals and deletes containers: the OCI
// runtime's lifecycle (create/start/state/kill/delete). The init process
// that builds the container from the inside is kobako-init
// (runtime/initproc), which this package starts.
//
// A container's whole configuration is an OCI runtime spec (specs.Spec),
// the same config.json that runc reads. `kobako run` builds one from its
// flags; engines such as podman hand kobako one in a bundle.
//
// This file is the article's one long command, written down as data:
//
//	unshare -muinpf   → Linux.Namespaces
//	mount -t proc …   → Mounts
//	hostname $UUID    → Hostname
//	exec $CMD         → Process.Args, Env, Cwd
package runtime

import (
	"slices"
	"strings"

	"github.com/kobako/kobako/runtime/initproc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Spec is the OCI runtime spec, the type of config.json.
type Spec = specs.Spec

// DefaultPath is the PATH a container gets when neither the image nor -e
// sets one (docker's default).
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// DefaultSpec returns the configuration of a plain container: the
// namespaces of `unshare -muinpf` plus a network and a cgroup namespace,
// the mounts every container needs, and docker's defaults for what root in
// it may do: capabilities, no_new_privs, masked paths, device rules. The
// seccomp profile and cgroup limits come from the flags.
func DefaultSpec(rootfs string, args []string) *specs.Spec {
	return &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: rootfs},
		Process: &specs.Process{
			Args: args,
			Cwd:  "/",
			User: specs.User{UID: 0, GID: 0},
			// capsh --drop=…: root in the container keeps only these.
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  slices.Clone(DefaultCapabilities),
				Effective: slices.Clone(DefaultCapabilities),
				Permitted: slices.Clone(DefaultCapabilities),
			},
			// setpriv --no-new-privs: a setuid binary cannot raise them again.
			NoNewPrivileges: true,
		},
		Mounts: defaultMounts(),
		Linux: &specs.Linux{
			MaskedPaths:   slices.Clone(DefaultMaskedPaths),
			ReadonlyPaths: slices.Clone(DefaultReadonlyPaths),
			Resources:     &specs.LinuxResources{Devices: DefaultDeviceRules()},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.MountNamespace},   // unshare -m
				{Type: specs.UTSNamespace},     // unshare -u
				{Type: specs.IPCNamespace},     // unshare -i
				{Type: specs.NetworkNamespace}, // unshare -n
				{Type: specs.PIDNamespace},     // unshare -p (-f: the init is the fork)
				{Type: specs.CgroupNamespace},  // unshare -C, not in the article's command
			},
		},
	}
}

// DefaultCapabilities are docker's default set for a container's root:
// enough to chown, bind low ports and switch users, not enough to mount,
// load modules, trace other processes or change the clock.
var DefaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// DefaultMaskedPaths are hidden from the container (docker's list): kernel
// memory, keys, timers and firmware that tell about — or act on — the host.
var DefaultMaskedPaths = []string{
	"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
}

// DefaultReadonlyPaths can be read, not written: /proc/sys is the host's
// kernel settings, and /proc/sysrq-trigger would reboot the host.
var DefaultReadonlyPaths = []string{
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

// DefaultDeviceRules are the devices cgroup's list: deny everything, then
// allow the devices kobako makes in /dev — to use, and to make again.
// Docker also allows mknod of any node (and refuses only its use); kobako
// refuses the mknod too, so that a node of the host's disk or memory
// cannot even appear in the container.
func DefaultDeviceRules() []specs.LinuxDeviceCgroup {
	char := func(major, minor int64, access string) specs.LinuxDeviceCgroup {
		rule := specs.LinuxDeviceCgroup{Allow: true, Type: "c", Access: access}
		if major >= 0 {
			rule.Major = &major
		}
		if minor >= 0 {
			rule.Minor = &minor
		}
		return rule
	}
	const any = -1
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},                           // all devices, to begin with
		char(1, 3, "rwm"), char(1, 5, "rwm"), char(1, 7, "rwm"), // null zero full
		char(1, 8, "rwm"), char(1, 9, "rwm"), char(5, 0, "rwm"), // random urandom tty
		char(5, 2, "rwm"), char(136, any, "rwm"), // ptmx, and the ptys of /dev/pts
	}
}

// defaultMounts are the file systems a container sees besides its root.
// The article mounts only proc and binds /dev/null, the tty and ptmx; a
// real runtime gives the container a /dev of its own instead.
func defaultMounts() []specs.Mount {
	return []specs.Mount{
		// mount -t proc proc $ROOTFS/proc: a procfs of the new PID namespace.
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		// A tmpfs /dev that holds only the devices kobako creates.
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		// A private devpts instance: ptys of this container only.
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		// sysfs can be mounted because the container has its own network
		// namespace; read-only, so /sys is something to look at, not to tune.
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		// The container's own cgroup, read-only: it can read its limits,
		// not change them (see rootfs/cgroupfs.go).
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
	}
}

// FillEnv adds the variables every container gets unless the image or the
// user already set them: PATH, HOME, HOSTNAME, and TERM with a terminal.
func FillEnv(env []string, hostname string, terminal bool) []string {
	defaults := []string{"PATH=" + DefaultPath, "HOSTNAME=" + hostname, "HOME=/root"}
	if terminal {
		defaults = append(defaults, "TERM=xterm")
	}
	for _, kv := range defaults {
		if !initproc.HasEnv(env, kv[:strings.IndexByte(kv, '=')]) {
			env = append(env, kv)
		}
	}
	return env
}
