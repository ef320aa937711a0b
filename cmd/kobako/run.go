package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strings"

	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
	"github.com/kobako/kobako/runtime"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a command in a new container",
		ArgsUsage: "IMAGE [COMMAND [ARG...]]",
		Description: `Creates a container from IMAGE and runs COMMAND in it (default: the image's
shell), the way the article's one long "unshare -muinpf … capsh --chroot" does:
new mount, UTS, IPC, PID, network and cgroup namespaces, an overlay root on
the image, proc and a fresh /dev, its own hostname, pivot_root, then exec.

Root in the container is not the host's root. Right before exec it drops all
capabilities but docker's 14 (chown, dac_override, fowner, fsetid, kill,
setgid, setuid, setpcap, net_bind_service, net_raw, sys_chroot, mknod,
audit_write, setfcap), as the article's capsh --drop=cap_sys_chroot drops
one; --cap-drop and --cap-add edit that list (ALL: every one). And it sets
no_new_privs: a setuid program cannot raise them again (--security-opt
no-new-privileges=false lifts that). --privileged turns all of it off.

Volumes: -v /srv:/data binds a host directory, -v ./data:/data one
relative to here, -v NAME:/data a named volume (kobako volume ls), made on
first use and filled with what the image has at /data; --mount is docker's
long form of the same. The network is none unless asked: a fresh, empty
namespace, as in the article, so nothing leaves a container by accident;
-p alone implies --network bridge (kobako says so), since publishing a port
needs one.

Images: --pull missing (the default) pulls an image that is not here, with
kobako pull; --pull never refuses it instead; --pull always pulls before the
run, and registers the new image over the old one in one rename — but not
over an image made here (import, build, commit): rmi it first. busybox is
built from the host's own and never pulled.

Detaching: ctrl-p ctrl-q detaches only from kobako attach, that is from a
container started with -dit (sudo kobako run -dit --name box busybox sh;
sudo kobako attach box). A foreground run -it is itself the container's
waiting parent, with no monitor to hand it to: there ctrl-p and ctrl-q are
plain keys, and the container ends when its shell does.

Restarts: with -d, --restart on-failure[:N] (a non-zero exit, at most N
times), always or unless-stopped lets the container's monitor start it again
when it exits, after 100 ms, 200 ms, … up to a minute (back to 100 ms after a
run of 10 s); its output goes on in the same log. stop, kill and rm -f win:
it is not restarted until kobako start. ps counts the restarts, inspect has
RestartCount and HostConfig.RestartPolicy.

The exit status is the command's (128+N if killed by signal N); 125 means
kobako itself failed, 126 that the command cannot be executed, 127 that it
was not found.

Examples:
   sudo kobako run -it --rm busybox sh
   sudo kobako run --rm busybox hostname
   sudo kobako --trace run --rm busybox true     # every kernel step, narrated
   sudo kobako run --name web -d busybox httpd -f -p 8080
   sudo kobako run -d -p 8080:80 busybox httpd -f -p 80            # implies --network bridge
   sudo kobako run -d --restart on-failure:3 busybox sh -c 'exit 1' # tried 4 times in all
   sudo kobako run --rm -v cache:/var/cache busybox ls /var/cache  # a named volume
   sudo kobako run --rm --mount type=tmpfs,target=/scratch,tmpfs-size=64m busybox df /scratch
   sudo kobako run --rm --device /dev/null:/dev/mynull busybox ls -l /dev/mynull
   sudo kobako run --rm busybox chroot / true                          # works
   sudo kobako run --rm --cap-drop SYS_CHROOT busybox chroot / true    # Operation not permitted
   sudo kobako run --rm --cap-drop ALL --cap-add CHOWN busybox grep Cap /proc/self/status
   sudo kobako run --rm --userns busybox cat /proc/self/uid_map          # root is 2147483647+ on the host
   kobako run --rm --userns busybox id                                   # no sudo: rootless (unshare -r)`,
		// Flags end at the image: everything after it is the command's.
		StopOnNthArg: intPtr(1),
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "rm", Usage: "remove the container when it exits"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "keep stdin open and connect it to the container"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "give the container a terminal (a pty of its own)"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run in the background and print the container id; see kobako ps"},
			&cli.StringFlag{Name: "name", Usage: "name the container (default: a generated adjective_noun)"},
			&cli.StringFlag{Name: "hostname", Usage: "host name inside the container (default: the short id, as the article uses uuidgen)"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable `KEY=VALUE` (repeatable)"},
			&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory inside the container (made if missing)", Value: "/"},
			&cli.StringFlag{Name: "pull", Value: pullMissing, Usage: "`WHEN` to pull the image: missing (when it is not here), never, always"},
			&cli.StringFlag{Name: "restart", Value: container.RestartNo, Usage: "`POLICY` when it exits, with -d: no, on-failure[:N] (a non-zero code, at most N times), always, unless-stopped; stop, kill and rm win"},
		}, append(resourceFlags(), append(processFlags(), append(securityFlags(), append(networkFlags(), append(usernsFlags(), volumeFlags()...)...)...)...)...)...),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return exitStatus(runContainer(cmd))
		},
	}
}

// runContainer returns how the container ended, or kobako's error.
func runContainer(cmd *cli.Command) (container.Exit, error) {
	if err := requireRootOrOwnStore(cmd); err != nil {
		return container.Exit{}, err
	}
	if err := requireRootOrUserns(cmd); err != nil {
		return container.Exit{}, err
	}
	if cmd.Args().Len() == 0 {
		return container.Exit{}, errors.New(`"run" needs an image: kobako run [OPTIONS] IMAGE [COMMAND...] (try: kobako run -it --rm busybox sh)`)
	}
	// --restart: only a detached container has a monitor to restart it.
	if policy, err := restartFromFlags(cmd); err != nil {
		return container.Exit{}, err
	} else if !policy.IsNo() && !cmd.Bool("detach") {
		return container.Exit{}, fmt.Errorf("--restart %s needs -d: a foreground run ends with its container, and only a detached one has a monitor to restart it", policy)
	}
	if !cmd.Bool("detach") {
		if err := checkInputTerminal(cmd.Bool("interactive"), cmd.Bool("tty"), "drop -t to pipe input (kobako run -i …)"); err != nil {
			return container.Exit{}, err
		}
	}
	// From here on nothing may end kobako half-way: not a reader that
	// leaves (| head), nor ^C, a kill or a closed terminal. Those come to
	// the container once it runs, and call it off before (container/run.go).
	container.SurviveClosedPipes()
	signals := container.CatchSignals()
	defer signals.Stop()
	g := globals(cmd)
	c, err := createContainer(cmd, g)
	if err != nil {
		return container.Exit{}, err
	}
	store := container.NewStore(g.root, g.dataRoot, g.tracer)
	if cmd.Bool("detach") {
		return startDetached(store, c, signals)
	}
	stdio := stdioFor(cmd)
	stdio.Signals = signals
	return store.Run(c, stdio)
}

// startDetached hands c to its monitor and prints its id — unless a
// signal that would have ended kobako came while it was made: then it is
// removed, and the status is the shell's for that signal. Once the monitor
// has it, the container is the monitor's.
func startDetached(store *container.Store, c *container.Container, signals *container.Signals) (container.Exit, error) {
	if sig := signals.Ending(); sig != nil {
		return container.Exit{ID: c.ShortID(), Code: 128 + int(sig.(unix.Signal))}, store.Remove(c, true)
	}
	if err := store.StartDetached(c); err != nil {
		return container.Exit{}, err
	}
	fmt.Println(c.ID)
	return container.Exit{}, nil
}

// createContainer makes the container that run starts, from the image and
// the flags. The image's layers are held from the moment the image is read
// until the container that mounts them is recorded: an rmi meanwhile
// leaves them for the container.
func createContainer(cmd *cli.Command, g settings) (*container.Container, error) {
	// What killed kobako commands left without a record, before this one
	// makes anything (container/orphans.go).
	sweepOrphans(container.NewStore(g.root, g.dataRoot, g.tracer), false)
	images := image.NewStore(g.dataRoot, g.tracer)
	// --pull: kobako pull, before the layers are held (the pull adds some).
	name, err := pullForRun(cmd, g, images)
	if err != nil {
		return nil, err
	}
	release, err := images.Hold()
	if err != nil {
		return nil, err
	}
	defer release()
	img, err := images.Get(name)
	if err != nil {
		return nil, err
	}
	store := container.NewStore(g.root, g.dataRoot, g.tracer)
	// The same for the volumes it mounts: none is removed before the
	// container that mounts it is recorded.
	if len(repeated(cmd, "volume"))+len(repeated(cmd, "mount")) > 0 {
		releaseVolumes, err := store.HoldVolumes()
		if err != nil {
			return nil, err
		}
		defer releaseVolumes()
	}
	// An image for another machine runs only through binfmt_misc: refuse
	// it, if it cannot, before anything is made.
	if err := image.ThisMachine().CheckRunnable(img, os.Stderr); err != nil {
		return nil, err
	}
	spec, err := specFromFlags(cmd, img, volumeStore{store: store, layers: img.Layers})
	if err != nil {
		return nil, err
	}
	opts, err := createOptions(cmd, img, spec)
	if err != nil {
		return nil, err
	}
	return store.Create(opts)
}

// createOptions is the container's record-to-be: name, image, labels,
// how to stop it.
func createOptions(cmd *cli.Command, img *image.Image, spec *runtime.Spec) (container.CreateOptions, error) {
	opts := container.CreateOptions{
		Name: cmd.String("name"), Image: img.Name, ImageLayers: img.Layers, Spec: spec,
		AutoRemove: cmd.Bool("rm"), Detached: cmd.Bool("detach"), StopSignal: cmd.String("stop-signal"),
	}
	if opts.StopSignal != "" {
		if _, err := parseSignal(opts.StopSignal); err != nil {
			return opts, fmt.Errorf("--stop-signal: %w", err)
		}
	}
	if cmd.Int("stop-timeout") >= 0 {
		t := cmd.Int("stop-timeout")
		opts.StopTimeout = &t
	}
	var err error
	if opts.Restart, err = restartFromFlags(cmd); err != nil {
		return opts, err
	}
	opts.Labels, err = labelsFromFlags(cmd)
	return opts, err
}

// restartFromFlags reads --restart; with --rm it is refused, as docker
// refuses it: a container removed when it exits cannot be restarted.
func restartFromFlags(cmd *cli.Command) (container.RestartPolicy, error) {
	policy, err := container.ParseRestartPolicy(cmd.String("restart"))
	if err != nil {
		return policy, err
	}
	if !policy.IsNo() && cmd.Bool("rm") {
		return policy, fmt.Errorf("--restart %s and --rm conflict: a container removed when it exits cannot be restarted; drop one", policy)
	}
	return policy, nil
}

// specFromFlags turns the flags into the container's OCI configuration.
func specFromFlags(cmd *cli.Command, img *image.Image, vs volumeStore) (*runtime.Spec, error) {
	args := argsFromFlags(cmd, img)
	if len(args) == 0 {
		return nil, fmt.Errorf("image %s has no default command (no /bin/sh): give one after the image name", img.Name)
	}
	spec := runtime.DefaultSpec("", args)
	var err error
	if err = applyProcessFlags(cmd, spec); err != nil {
		return nil, err
	}
	if err = applyResourceFlags(cmd, spec.Linux.Resources); err != nil {
		return nil, err
	}
	// --device: a node in linux.devices, its allow rule in linux.resources.
	if err = applyDeviceFlags(cmd, spec); err != nil {
		return nil, err
	}
	// --cap-add, --cap-drop, --privileged, --security-opt: what root may do.
	if err = applySecurityFlags(cmd, spec); err != nil {
		return nil, err
	}
	// --userns: root in the container is not the host's (unshare -r).
	if err = applyUsernsFlags(cmd, spec); err != nil {
		return nil, err
	}
	spec.Process.Cwd = cmd.String("workdir")
	// Env, working dir and user from the image's config, under the flags.
	applyImageDefaults(cmd, img, spec)
	spec.Process.Terminal = cmd.Bool("tty")
	spec.Hostname = cmd.String("hostname")
	// --network, -p, --dns, --add-host: how it is connected.
	if err = applyNetworkFlags(cmd, spec); err != nil {
		return nil, err
	}
	// -v, --mount, --tmpfs, --read-only: what the file system holds
	// besides the image. Last: it makes directories and volumes, which a
	// bad flag above must not leave behind.
	if err = applyVolumeFlags(cmd, spec, vs); err != nil {
		return nil, err
	}
	return spec, nil
}

// envFromFlags reads -e KEY=VALUE; docker's -e KEY passes the caller's
// value through.
func envFromFlags(cmd *cli.Command) []string {
	var env []string
	for _, kv := range cmd.StringSlice("env") {
		if !strings.Contains(kv, "=") {
			kv += "=" + os.Getenv(kv)
		}
		env = append(env, kv)
	}
	return env
}

// checkInputTerminal refuses -i with -t when stdin is not a terminal, as
// docker does ("the input device is not a TTY"). The container's shell
// would read from its pty, which nobody types into: once stdin's EOF has
// been copied nothing can end it, and a PID 1 ignores the TERM that
// kobako forwards. Without -t, the container reads stdin itself and sees
// its EOF. drop says which flag to leave out instead.
func checkInputTerminal(interactive, tty bool, drop string) error {
	if !interactive || !tty || term.IsTerminal(int(os.Stdin.Fd())) {
		return nil
	}
	return fmt.Errorf("the input device is not a terminal: %s, or run this from a terminal", drop)
}

// stdioFor: stdout and stderr always; stdin with -i only, as docker does.
func stdioFor(cmd *cli.Command) container.Stdio {
	stdio := container.Stdio{Out: os.Stdout, Err: os.Stderr}
	if cmd.Bool("interactive") {
		stdio.In = os.Stdin
	}
	return stdio
}

// exitStatus turns how a container (or an exec'd process) ended into the
// exit status of run, start -a and exec: its own code, 125/126/127 for
// kobako's errors, and a word about it when the OOM killer ended it.
func exitStatus(exit container.Exit, err error) error {
	switch {
	case err != nil:
		return &exitError{code: exitCodeOf(err), err: err}
	case exit.OOMKilled && exit.Code == 128+int(unix.SIGKILL):
		return &exitError{code: exit.Code, err: fmt.Errorf("container %s was killed: out of memory (limit %s)",
			exit.ID, formatSize(exit.MemoryLimit))}
	case exit.Code != 0:
		return &exitError{code: exit.Code}
	}
	return nil
}

// exitCodeOf maps kobako's errors to docker's exit statuses.
func exitCodeOf(err error) int {
	var ie *runtime.InitError
	if errors.As(err, &ie) && ie.Code != 0 {
		return ie.Code
	}
	return 125
}

func intPtr(n int) *int { return &n }

// The --pull policies, docker's.
const (
	pullMissing = "missing"
	pullNever   = "never"
	pullAlways  = "always"
)

// pullForRun applies --pull to run's image reference and returns the
// image's local name. A pull is kobako-pull, as kobako pull runs it,
// with its progress on stderr: stdout is the container's.
func pullForRun(cmd *cli.Command, g settings, images *image.Store) (string, error) {
	ref, policy := cmd.Args().First(), cmd.String("pull")
	name := image.NameFromRef(ref)
	switch policy {
	case pullMissing, pullNever, pullAlways:
	default:
		return "", fmt.Errorf("--pull %q: give missing, never or always", policy)
	}
	if name == image.BusyboxName {
		return name, nil // built from the host's busybox, never pulled
	}
	if err := image.ValidName(name); err != nil {
		return "", err
	}
	if !pullableRef(ref) {
		// a path, or a name that climbs (../x): never a registry's, and
		// never sent to one — the store's own "no such image" says it
		return name, nil
	}
	img, err := images.Get(name)
	here := err == nil
	switch {
	case err != nil && !errors.Is(err, image.ErrNotFound):
		return "", err
	case policy == pullAlways && here && !img.Pulled():
		// docker would pull over it; an image made here (import, build,
		// commit) has no registry to come from, and is not lost by accident
		return "", fmt.Errorf("--pull always: image %q was made here, not pulled, and a pull would replace it: kobako rmi %s first, or use --pull missing", name, name)
	case policy == pullAlways && here:
		fmt.Fprintf(os.Stderr, "kobako: --pull always: pulling %s again\n", ref)
		return name, pullImage(g, ref, name, true)
	case here:
		return name, nil
	case policy == pullNever:
		return "", fmt.Errorf("%w %q here, and --pull never forbids pulling it: kobako pull %s, or kobako import", image.ErrNotFound, name, ref)
	}
	fmt.Fprintf(os.Stderr, "kobako: image %q is not here: pulling %s\n", name, ref)
	return name, pullImage(g, ref, name, false)
}

// pullableRef says whether ref may name a registry's image at all: no
// path (/x, ./x), no "." or ".." element, nothing path.Clean would change.
func pullableRef(ref string) bool {
	if ref == "" || strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, ".") || path.Clean(ref) != ref {
		return false
	}
	for _, elem := range strings.Split(ref, "/") {
		if elem == "." || elem == ".." {
			return false
		}
	}
	return true
}

// pullImage runs kobako-pull for ref, to be stored as name; with replace,
// over the image of that name (kobako-pull --replace).
func pullImage(g settings, ref, name string, replace bool) error {
	helper, err := helperBinary("kobako-pull")
	if err != nil {
		return err
	}
	argv := []string{"--data-root", g.dataRoot}
	if g.tracer != nil {
		argv = append(argv, "--trace")
	}
	if replace {
		argv = append(argv, "--replace")
	}
	pull := exec.Command(helper, append(argv, "--name", name, "--", ref)...)
	pull.Stdout, pull.Stderr = os.Stderr, os.Stderr
	if err := pull.Run(); err != nil {
		return fmt.Errorf("pull %s failed (kobako-pull said why, above): %w", ref, err)
	}
	return nil
}
