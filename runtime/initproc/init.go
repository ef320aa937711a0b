package initproc

// The container's init: kobako-init (cmd/kobako-init), started by kobako
// from a sealed handle inside the new namespaces. It is the inside half of
// the article's
//
//	unshare -muinpf /bin/sh -c "
//	    mount -t proc proc $ROOTFS/proc && … &&
//	    hostname $UUID &&
//	    exec capsh --chroot=$ROOTFS --drop=cap_sys_chroot -- -c 'exec $CMD'"
//
// and reads as that command does: one step per line, in this order.

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	goruntime "runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fault"
	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/rootfs"
	"github.com/kobako/kobako/runtime/seccomp/program"
)

// Main builds the container from the inside and execs its command. It never
// returns: it becomes the command, or exits reporting why not.
func Main() {
	// Capabilities, the cgroup namespace and the final execve belong to one
	// thread: keep this goroutine on its thread for good.
	goruntime.LockOSThread()
	// Until exec, this process is Go, and Go dies from a signal like TERM
	// by re-raising it — which a PID-namespace init ignores, so Go falls
	// back to exit(2). A signal forwarded by `kobako run` right after
	// `start` (the container counts as running before the exec) must not
	// end the container that way: catch them; exec resets the handlers.
	signal.Notify(make(chan os.Signal, 1), unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2)

	sync := int(FDSync)
	err := runInit(sync)
	// Only failures get here. Before "ready" the parent is listening and
	// tells the user; after it, the container's stderr is the only voice.
	code := 125
	var ie *InitError
	if errors.As(err, &ie) {
		code = ie.Code
	}
	// A parent that closed the sync socket failed on its side and says
	// so itself: a second line from here would only repeat it.
	if SendMessage(sync, Message{Type: MsgError, Error: err.Error(), Code: code}) != nil && !errors.Is(err, ErrPeerGone) {
		fmt.Fprintf(os.Stderr, "kobako: %v\n", err)
	}
	os.Exit(code)
}

// runInit reads the config and does what it asks: build a container, or
// start a process in a running one (kobako exec).
func runInit(sync int) error {
	// Close-on-exec for every descriptor we were given: a hook the init
	// runs must not inherit the protocol's (the sync socket, the fifo's
	// handle …), and the command's execve closes them all.
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close_range: %w", err)
	}
	configFile := childFile(FDConfig, "config")
	// Open until execve, its number taken (see preserve_fds.go): an
	// *os.File that is garbage would be closed by its finalizer.
	defer goruntime.KeepAlive(configFile)
	cfg, err := readConfig(configFile)
	if err != nil {
		return err
	}
	// fault point init:config (internal/fault): a test build fails here —
	// once the config is read, since the list of faults arrives in it
	if err := fault.Check("init:config"); err != nil {
		return fmt.Errorf("read init config: %w", err)
	}
	// In a user namespace, only once the maps are written (initContainer):
	// a parent that is not root must open /proc/<pid>/uid_map, which a
	// non-dumpable process keeps root's. No process of the container exists
	// before that, nothing can trace the init meanwhile but its own user.
	if !HasNamespace(cfg.Spec.Linux, specs.UserNamespace) {
		if err := makeUndumpable(); err != nil {
			return err
		}
	}
	tr := initTracer(cfg)
	if err := joinSessionKeyring(cfg.ID, tr); err != nil {
		return err
	}
	if cfg.Exec {
		return initProcess(sync, cfg, tr)
	}
	return initContainer(sync, cfg, tr)
}

func initContainer(sync int, cfg *Config, tr *trace.Tracer) error {
	spec := cfg.Spec
	// Wait for the parent: it may still be writing our uid and gid maps,
	// putting us into our cgroup.
	if err := awaitParent(sync, cfg, tr); err != nil {
		return err
	}
	// unshare -C: now that we sit in our cgroup, it becomes our "/".
	if err := enterCgroupNamespace(spec.Linux, tr); err != nil {
		return err
	}
	// mount …; ip link set lo up; hostname $UUID
	if err := buildContainer(cfg, tr); err != nil {
		return err
	}
	// The engine's hooks, while the host's root is still in reach:
	// prestart and createRuntime by the parent, then createContainer here.
	if err := createHooks(sync, cfg, tr); err != nil {
		return err
	}
	// Masked paths, read-only paths, and with --read-only the root itself.
	if err := rootfs.Seal(spec.Root.Path, setupOf(cfg), tr); err != nil {
		return fmt.Errorf("seal rootfs: %w", err)
	}
	// cd $ROOTFS && pivot_root . . && umount -l . — the robust chroot.
	if err := rootfs.PivotRoot(spec.Root.Path, tr); err != nil {
		return fmt.Errorf("change root: %w", err)
	}
	// mount --make-rshared / — when the config asks for it (rootfsPropagation)
	if err := rootfs.SetRootPropagation(setupOf(cfg).Propagation, tr); err != nil {
		return err
	}
	// With -t: a pty from the container's own /dev/pts, its master to the parent.
	if spec.Process.Terminal {
		if err := setupConsole(sync, spec.Process.ConsoleSize, tr); err != nil {
			return err
		}
	}
	// The user (from the container's /etc/passwd), rlimits, the command and
	// its working directory: all inside the new root, so that the image's
	// files, PATH and symlinks are the ones that count.
	argv0, err := prepareProcess(spec, tr)
	if err != nil {
		return err
	}
	if err := SendMessage(sync, Message{Type: MsgReady}); err != nil {
		return err
	}
	// Block here until `kobako start`.
	if err := awaitStart(tr); err != nil {
		return err
	}
	// The engine's startContainer hooks, in the container, right before
	// its command: a failure stops the container.
	if err := startHooks(cfg, tr); err != nil {
		return err
	}
	p := spec.Process
	if spec.Annotations[InitAnnotation] == "true" {
		// exec kobako-init -- $CMD: a PID 1 that reaps and passes signals on
		argv0, p = withReaper(argv0, p)
	}
	// exec $CMD — only returns on failure.
	filter, err := seccompOf(cfg)
	if err != nil {
		return err
	}
	return execCommand(argv0, p, spec.Linux, filter, cfg.PreserveFDs, tr)
}

// awaitParent waits for the parent's "continue", then takes what its steps
// gave: the image's idmapped layers (sent along, in a user namespace), and
// root of the user namespace, now mapped.
func awaitParent(sync int, cfg *Config, tr *trace.Tracer) error {
	idmapped, err := awaitContinue(sync)
	if err != nil {
		return err
	}
	if cfg.Overlay != nil {
		cfg.Overlay.IDMapped = inheritedFiles(idmapped, "idmapped layer")
	}
	// setpriv --reuid=0 --regid=0: root of our user namespace, now mapped.
	if err := becomeNamespaceRoot(cfg.Spec.Linux, tr); err != nil {
		return err
	}
	if HasNamespace(cfg.Spec.Linux, specs.UserNamespace) {
		return makeUndumpable()
	}
	return nil
}

// buildContainer makes the container from the inside, before pivot_root:
// its file system, its loopback, its names.
func buildContainer(cfg *Config, tr *trace.Tracer) error {
	spec := cfg.Spec
	// mount --make-rslave /; mount overlay; mount proc, /dev, … under the
	// rootfs; mknod the devices in /dev; sysctl -w the namespaced keys.
	if err := rootfs.Prepare(spec.Root.Path, setupOf(cfg), tr); err != nil {
		return fmt.Errorf("prepare rootfs: %w", err)
	}
	// fault point init:mounts (internal/fault): a test build fails here —
	// after the mounts, not before, so that they are all made, and must
	// vanish with the init's mount namespace
	if err := fault.Check("init:mounts"); err != nil {
		return fmt.Errorf("prepare rootfs: %w", err)
	}
	// ip link set lo up: the article's `unshare -n` leaves lo down; docker
	// brings it up, and so do we, so that 127.0.0.1 works in the container.
	// Not in a namespace joined by path: whoever made it (podman, CNI) set
	// it up, and it is not ours to change.
	if NewNamespace(spec.Linux, specs.NetworkNamespace) {
		if err := loopbackUp(tr); err != nil {
			return err
		}
	}
	// hostname $UUID
	if err := setHostname(spec, tr); err != nil {
		return err
	}
	// domainname $NAME
	return setDomainname(spec, tr)
}

// initProcess is the init of `kobako exec`: born in the container's
// namespaces and cgroup, it has nothing to build, only its process to
// prepare — the same steps, user, rlimits, capabilities and all, as the
// container's own init took for its command.
func initProcess(sync int, cfg *Config, tr *trace.Tracer) error {
	spec := cfg.Spec
	if spec.Process.Terminal {
		// A pty from the container's own /dev/pts: the thread that started
		// us had joined its mount namespace.
		slave, err := newTerminal(sync, spec.Process.ConsoleSize, tr)
		if err != nil {
			return err
		}
		defer slave.Close()
		if err := becomeTerminalOwner(int(slave.Fd()), tr); err != nil {
			return err
		}
	}
	argv0, err := prepareProcess(spec, tr)
	if err != nil {
		return err
	}
	// exec $CMD — only returns on failure.
	filter, err := seccompOf(cfg)
	if err != nil {
		return err
	}
	return execCommand(argv0, spec.Process, spec.Linux, filter, cfg.PreserveFDs, tr)
}

// makeUndumpable: until its execve this process holds kobako's descriptors
// and memory; not dumpable means not ptraceable, and its /proc/<pid> files
// are root's only (CVE-2016-9962). execve of the command undoes it.
func makeUndumpable() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl PR_SET_DUMPABLE: %w", err)
	}
	return nil
}

// inheritedFiles wraps descriptors received on the sync socket.
func inheritedFiles(fds []int, name string) []*os.File {
	var files []*os.File
	for _, fd := range fds {
		files = append(files, os.NewFile(uintptr(fd), name))
	}
	return files
}

// initTracer narrates the child's steps on the caller's stderr (fd 6), as
// the parent narrates its own: same mode, same $ID and $ROOTFS.
func initTracer(cfg *Config) *trace.Tracer {
	if cfg.Trace == nil {
		return nil
	}
	return trace.FromConfig(childFile(FDTrace, "trace"), cfg.Trace)
}

// linuxDevices is the config's linux.devices; a config without a linux
// section has none.
func linuxDevices(linux *specs.Linux) []specs.LinuxDevice {
	if linux == nil {
		return nil
	}
	return linux.Devices
}

// seccompOf is the config's compiled filter; nil when it has none.
func seccompOf(cfg *Config) (*program.Program, error) {
	if len(cfg.Seccomp) == 0 {
		return nil, nil
	}
	p, err := program.Unmarshal(cfg.Seccomp)
	if err != nil {
		return nil, fmt.Errorf("read the seccomp filter: %w", err)
	}
	return p, nil
}

// setupOf is what the config asks rootfs.Prepare to build.
func setupOf(cfg *Config) rootfs.Setup {
	spec := cfg.Spec
	setup := rootfs.Setup{
		Overlay: cfg.Overlay, Mounts: spec.Mounts, Devices: linuxDevices(spec.Linux), Cgroupfs: cfg.Cgroupfs,
		Masks: rootfs.MasksOf(spec.Linux), Readonly: spec.Root.Readonly, Cwd: spec.Process.Cwd,
	}
	if spec.Linux != nil {
		setup.Sysctl, setup.Propagation = spec.Linux.Sysctl, spec.Linux.RootfsPropagation
	}
	return setup
}
