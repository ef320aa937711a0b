package main

import (
	"context"
	"errors"
	"fmt"
	"os"
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

The exit status is the command's (128+N if killed by signal N); 125 means
kobako itself failed, 126 that the command cannot be executed, 127 that it
was not found.

Examples:
   sudo kobako run -it --rm busybox sh
   sudo kobako run --rm busybox hostname
   sudo kobako --trace run --rm busybox true     # every kernel step, narrated
   sudo kobako run --name web -d busybox httpd -f -p 8080
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
	if !cmd.Bool("detach") {
		if err := checkInputTerminal(cmd.Bool("interactive"), cmd.Bool("tty"), "drop -t to pipe input (kobako run -i …)"); err != nil {
			return container.Exit{}, err
		}
	}
	// From here on a reader that leaves (| head) must not end kobako half-way.
	container.SurviveClosedPipes()
	g := globals(cmd)
	c, err := createContainer(cmd, g)
	if err != nil {
		return container.Exit{}, err
	}
	store := container.NewStore(g.root, g.dataRoot, g.tracer)
	if cmd.Bool("detach") {
		if err := store.StartDetached(c); err != nil {
			return container.Exit{}, err
		}
		fmt.Println(c.ID)
		return container.Exit{}, nil
	}
	return store.Run(c, stdioFor(cmd))
}

// createContainer makes the container that run starts, from the image and
// the flags. The image's layers are held from the moment the image is read
// until the container that mounts them is recorded: an rmi meanwhile
// leaves them for the container.
func createContainer(cmd *cli.Command, g settings) (*container.Container, error) {
	images := image.NewStore(g.dataRoot, g.tracer)
	release, err := images.Hold()
	if err != nil {
		return nil, err
	}
	defer release()
	img, err := images.Get(cmd.Args().First())
	if err != nil {
		return nil, err
	}
	// An image for another machine runs only through binfmt_misc: refuse
	// it, if it cannot, before anything is made.
	if err := image.ThisMachine().CheckRunnable(img, os.Stderr); err != nil {
		return nil, err
	}
	spec, err := specFromFlags(cmd, img)
	if err != nil {
		return nil, err
	}
	opts, err := createOptions(cmd, img, spec)
	if err != nil {
		return nil, err
	}
	return container.NewStore(g.root, g.dataRoot, g.tracer).Create(opts)
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
	opts.Labels, err = labelsFromFlags(cmd)
	return opts, err
}

// specFromFlags turns the flags into the container's OCI configuration.
func specFromFlags(cmd *cli.Command, img *image.Image) (*runtime.Spec, error) {
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
	// -v, --tmpfs, --read-only: what the file system holds besides the image.
	if err = applyVolumeFlags(cmd, spec); err != nil {
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
