// Package runtime creates, starts, signals and deletes containers: the OCI
// runtime's lifecycle (create/start/state/kill/delete), and the re-executed
// init process that builds the container from the inside.
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
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Spec is the OCI runtime spec, the type of config.json.
type Spec = specs.Spec

// DefaultPath is the PATH a container gets when neither the image nor -e
// sets one (docker's default).
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// DefaultSpec returns the configuration of a plain container: the
// namespaces of `unshare -muinpf` plus a network and a cgroup namespace,
// and the mounts every container needs. It is what `runc spec` writes,
// minus what later chapters add (capabilities, seccomp, cgroup limits).
func DefaultSpec(rootfs string, args []string) *specs.Spec {
	return &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: rootfs},
		Process: &specs.Process{
			Args: args,
			Cwd:  "/",
			User: specs.User{UID: 0, GID: 0},
		},
		Mounts: defaultMounts(),
		Linux: &specs.Linux{
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
		if !hasEnv(env, kv[:strings.IndexByte(kv, '=')]) {
			env = append(env, kv)
		}
	}
	return env
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

// envValue returns the value of key in env, as the container will see it.
func envValue(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}
