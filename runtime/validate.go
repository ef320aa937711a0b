package runtime

// Checking a config before anything is made. Whatever kobako cannot do is
// refused here, at create, in one line that says what and why — never
// found out after the engine was told "created", and never quietly left
// undone (a sysctl written to the host instead of the container, a seccomp
// agent nobody listens for). runc's libcontainer/configs/validate does the
// same job; the rules below are its rules where it has one.
//
// Fields that runc accepts and ignores are accepted and ignored here too;
// IgnoredFields lists them (`kobako features` shows the list).

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/rootfs"
	"github.com/kobako/kobako/runtime/initproc"
)

// IgnoredFields are the config fields kobako accepts and does nothing
// with, each for the reason given.
var IgnoredFields = []string{
	"linux.personality.flags",         // none is defined for Linux; runc ignores them too
	"linux.mountLabel",                // SELinux, which kobako does not apply; runc ignores it where SELinux is off
	"process.commandLine",             // Windows only
	"process.user.username",           // Windows only
	"solaris", "windows", "vm", "zos", // other platforms
}

// Validate refuses, in one line, the first thing in spec that kobako does
// not support or that cannot work as written.
func Validate(spec *specs.Spec) error {
	for _, check := range []func(*specs.Spec) error{
		checkProcess,
		checkNamespaces,
		checkUTS,
		checkSysctl,
		checkSecurity,
		checkLinuxExtras,
		checkHooks,
		checkMounts,
	} {
		if err := check(spec); err != nil {
			return oneLine(err)
		}
	}
	return nil
}

// oneLine keeps an error on one line whatever the config's strings hold
// (a sysctl key, a path, a system call name with a newline in it): an
// engine shows the message as it is, and a second line could pass for one
// of its own.
func oneLine(err error) error {
	if !strings.ContainsAny(err.Error(), "\n\r") {
		return err
	}
	return lineError{err}
}

// lineError is an error with its line breaks written as \n and \r.
type lineError struct{ err error }

func (e lineError) Error() string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(e.err.Error())
}

func (e lineError) Unwrap() error { return e.err }

// checkProcess: there is a command, where to run it, and only limits and
// scheduling that kobako sets.
func checkProcess(spec *specs.Spec) error {
	p := spec.Process
	if p == nil {
		return errors.New("config has no process: say what to run in process.args")
	}
	if len(p.Args) == 0 {
		return errors.New("process.args is empty: say what to run")
	}
	if !filepath.IsAbs(p.Cwd) {
		return fmt.Errorf("process.cwd %q must be an absolute path", p.Cwd)
	}
	seen := map[string]bool{}
	for _, l := range p.Rlimits {
		if _, ok := initproc.RlimitResource(l.Type); !ok {
			return fmt.Errorf("process.rlimits: unknown type %q: use names of getrlimit(2), like RLIMIT_NOFILE", l.Type)
		}
		if seen[l.Type] {
			return fmt.Errorf("process.rlimits: %s is given twice", l.Type)
		}
		seen[l.Type] = true
	}
	if p.OOMScoreAdj != nil && (*p.OOMScoreAdj < -1000 || *p.OOMScoreAdj > 1000) {
		return fmt.Errorf("process.oomScoreAdj %d: the kernel takes -1000 to 1000", *p.OOMScoreAdj)
	}
	// A capability no kernel knows is a typo; one this kernel does not
	// know yet is skipped at exec, as runc does.
	if _, err := initproc.CapabilitiesOf(p.Capabilities, nil); err != nil {
		return err
	}
	switch {
	case p.Scheduler != nil:
		return errors.New("process.scheduler is not supported by kobako: remove it (sched_setattr(2) is not applied)")
	case p.IOPriority != nil:
		return errors.New("process.ioPriority is not supported by kobako: remove it (ioprio_set(2) is not applied)")
	case p.ExecCPUAffinity != nil:
		return errors.New("process.execCPUAffinity is not supported by kobako: use linux.resources.cpu.cpus instead")
	}
	return nil
}

// checkNamespaces: types kobako knows, each once; a path for every type
// but user; a mount namespace; a user namespace with its maps, and maps
// only with one.
func checkNamespaces(spec *specs.Spec) error {
	linux := spec.Linux
	if linux == nil {
		return errors.New("config has no linux section: kobako needs at least linux.namespaces with a mount namespace")
	}
	seen := map[specs.LinuxNamespaceType]bool{}
	for _, ns := range linux.Namespaces {
		if _, ok := cloneFlag[ns.Type]; !ok {
			return fmt.Errorf("namespace type %q is not supported by kobako: use mount, uts, ipc, network, pid, cgroup or user", ns.Type)
		}
		if seen[ns.Type] {
			return fmt.Errorf("namespace %s is listed twice", ns.Type)
		}
		seen[ns.Type] = true
		if ns.Path == "" {
			continue
		}
		if ns.Type == specs.UserNamespace {
			return fmt.Errorf("joining the user namespace %s is not supported: setns(2) into a user namespace needs a single-threaded process, "+
				"and a Go program never is one (runc joins it in C before its Go starts); let kobako create a user namespace instead", ns.Path)
		}
		if !filepath.IsAbs(ns.Path) {
			return fmt.Errorf("namespace %s: path %q must be absolute", ns.Type, ns.Path)
		}
	}
	hasMaps := len(linux.UIDMappings) > 0 || len(linux.GIDMappings) > 0
	switch {
	case !seen[specs.MountNamespace]:
		// The init mounts the container's /proc, /dev … and pivots its
		// root: in the runtime's mount namespace that would be the host's.
		return errors.New("kobako needs a mount namespace: add {\"type\": \"mount\"} to linux.namespaces")
	case seen[specs.UserNamespace] && (len(linux.UIDMappings) == 0 || len(linux.GIDMappings) == 0):
		return errors.New("a user namespace needs linux.uidMappings and linux.gidMappings: without them no one in it is root")
	case hasMaps && !seen[specs.UserNamespace]:
		return errors.New("linux.uidMappings and gidMappings need a user namespace: add {\"type\": \"user\"} to linux.namespaces")
	}
	return nil
}

// checkUTS: a host name or domain name is set in a UTS namespace of the
// container's (made or joined), never in the host's.
func checkUTS(spec *specs.Spec) error {
	if initproc.HasNamespace(spec.Linux, specs.UTSNamespace) {
		return nil
	}
	if spec.Hostname != "" {
		return fmt.Errorf("hostname %q needs a UTS namespace of its own: add {\"type\": \"uts\"} to linux.namespaces", spec.Hostname)
	}
	if spec.Domainname != "" {
		return fmt.Errorf("domainname %q needs a UTS namespace of its own: add {\"type\": \"uts\"} to linux.namespaces", spec.Domainname)
	}
	return nil
}

// ipcSysctls are the keys of kernel.* that belong to an IPC namespace
// (ipc_namespaces(7)); fs.mqueue.* do too.
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// checkSysctl accepts a key only where writing it changes the container's
// own namespace, never the host's — runc's rule: the IPC keys with an IPC
// namespace, net.* with a network namespace that is not the runtime's.
func checkSysctl(spec *specs.Spec) error {
	if spec.Linux == nil {
		return nil
	}
	for key := range spec.Linux.Sysctl {
		switch {
		case ipcSysctls[key] || strings.HasPrefix(key, "fs.mqueue."):
			if !initproc.HasNamespace(spec.Linux, specs.IPCNamespace) {
				return fmt.Errorf("sysctl %s needs an IPC namespace of the container's: add {\"type\": \"ipc\"} to linux.namespaces", key)
			}
		case strings.HasPrefix(key, "net."):
			if err := checkNetSysctl(spec.Linux, key); err != nil {
				return err
			}
		case key == "kernel.hostname" || key == "kernel.domainname":
			return fmt.Errorf("sysctl %s is refused, as runc refuses it: use the config's %s field", key, strings.TrimPrefix(key, "kernel."))
		default:
			return fmt.Errorf("sysctl %s is not in a namespace of the container's: writing it would change the host, so kobako refuses it", key)
		}
	}
	return nil
}

// checkNetSysctl: net.* needs a network namespace made for the container,
// or one joined by path that is not the one kobako itself runs in.
func checkNetSysctl(linux *specs.Linux, key string) error {
	for _, ns := range linux.Namespaces {
		if ns.Type != specs.NetworkNamespace {
			continue
		}
		if ns.Path == "" {
			return nil
		}
		same, err := sameNamespace(ns.Path, "/proc/self/ns/net")
		if err != nil {
			return fmt.Errorf("sysctl %s: %w", key, err)
		}
		if same {
			return fmt.Errorf("sysctl %s: the network namespace %s is the host's: writing it would change the host", key, ns.Path)
		}
		return nil
	}
	return fmt.Errorf("sysctl %s needs a network namespace of the container's: add {\"type\": \"network\"} to linux.namespaces", key)
}

// sameNamespace says whether two namespace files name one namespace: the
// same inode on the nsfs (readlink shows it as net:[4026531840]).
func sameNamespace(a, b string) (bool, error) {
	var sa, sb unix.Stat_t
	// stat -L -c %d:%i $A $B
	if err := unix.Stat(a, &sa); err != nil {
		return false, fmt.Errorf("stat %s: %w", a, err)
	}
	if err := unix.Stat(b, &sb); err != nil {
		return false, fmt.Errorf("stat %s: %w", b, err)
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino, nil
}

// checkSecurity: the confinement asked for is the one the container gets.
// A label or profile kobako cannot apply is refused, not dropped.
func checkSecurity(spec *specs.Spec) error {
	p, linux := spec.Process, spec.Linux
	if p.ApparmorProfile != "" && !initproc.AppArmorEnabled() {
		return fmt.Errorf("process.apparmorProfile %q: AppArmor is not enabled on this host; remove the profile (docker and podman: --security-opt apparmor=unconfined)", p.ApparmorProfile)
	}
	if p.SelinuxLabel != "" {
		return fmt.Errorf("process.selinuxLabel %q: kobako does not apply SELinux labels; run the container with label=disable", p.SelinuxLabel)
	}
	if linux == nil {
		return nil
	}
	if s := linux.Seccomp; s != nil && s.ListenerPath != "" {
		return fmt.Errorf("linux.seccomp.listenerPath %s: seccomp agents (SCMP_ACT_NOTIFY) are not supported by kobako", s.ListenerPath)
	}
	// The profile itself is compiled once, at create (seccomp.go), and
	// refused there, still before the engine is told "created".
	return nil
}

// rootfsPropagations are the words linux.rootfsPropagation may hold.
var rootfsPropagations = map[string]bool{
	"": true, "private": true, "rprivate": true, "slave": true, "rslave": true,
	"shared": true, "rshared": true, "unbindable": true, "runbindable": true,
}

// checkLinuxExtras refuses the rest of linux.* that kobako does not do.
func checkLinuxExtras(spec *specs.Spec) error {
	linux := spec.Linux
	if linux == nil {
		return nil
	}
	switch {
	case !rootfsPropagations[linux.RootfsPropagation]:
		return fmt.Errorf("linux.rootfsPropagation %q: use private, slave or shared (r… for recursive), or unbindable", linux.RootfsPropagation)
	case linux.Personality != nil && linux.Personality.Domain != specs.PerLinux && linux.Personality.Domain != specs.PerLinux32:
		return fmt.Errorf("linux.personality.domain %q: use LINUX or LINUX32", linux.Personality.Domain)
	case linux.IntelRdt != nil:
		return errors.New("linux.intelRdt is not supported by kobako: remove it (resctrl is not applied)")
	case linux.MemoryPolicy != nil:
		return errors.New("linux.memoryPolicy is not supported by kobako: remove it (set_mempolicy(2) is not applied)")
	case len(linux.NetDevices) > 0:
		return errors.New("linux.netDevices is not supported by kobako: move the devices into the network namespace before start, as CNI does")
	case len(linux.TimeOffsets) > 0:
		return errors.New("linux.timeOffsets is not supported by kobako: it makes no time namespace")
	}
	return nil
}

// checkHooks: every hook is an absolute path with a positive timeout, as
// the runtime-spec asks (config.md, "POSIX-platform Hooks").
func checkHooks(spec *specs.Spec) error {
	for _, stage := range initproc.HookStages(spec.Hooks) {
		for i, h := range stage.Hooks {
			if !filepath.IsAbs(h.Path) {
				return fmt.Errorf("hooks.%s[%d]: path %q must be absolute", stage.Name, i, h.Path)
			}
			if h.Timeout != nil && *h.Timeout <= 0 {
				return fmt.Errorf("hooks.%s[%d]: timeout %d must be more than 0 seconds", stage.Name, i, *h.Timeout)
			}
		}
	}
	return nil
}

// checkMounts: every option word of every mount is one kobako knows
// (rootfs/mount_check.go), so none reaches the kernel as unknown data.
func checkMounts(spec *specs.Spec) error {
	return rootfs.CheckMounts(spec.Mounts)
}
