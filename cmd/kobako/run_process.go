package main

// The flags of `kobako run` that shape the container's process and its
// record: --entrypoint, --env-file, --user, --ulimit, --shm-size, --label,
// --stop-signal, --stop-timeout; and --device, read in run_devices.go.

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/image"
	"github.com/kobako/kobako/runtime"
)

func processFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "entrypoint", Usage: "run this program, with the command as its arguments"},
		&cli.StringSliceFlag{Name: "env-file", Usage: "read KEY=VALUE lines from `FILE` (# starts a comment)"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "run as `USER[:GROUP]`, names or ids, looked up in the container's own /etc/passwd"},
		&cli.StringSliceFlag{Name: "ulimit", Usage: "a resource limit `NAME=SOFT[:HARD]`, like nofile=256:256 (within your own hard limits)"},
		&cli.StringFlag{Name: "shm-size", Usage: "size of /dev/shm, like 64m"},
		&cli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "a `KEY=VALUE` label kept with the container (see inspect)"},
		&cli.StringFlag{Name: "stop-signal", Usage: "signal that stop sends first (default TERM)"},
		&cli.IntFlag{Name: "stop-timeout", Value: -1, Usage: "seconds stop waits before SIGKILL (default 10)"},
		&cli.BoolFlag{Name: "init", Usage: "run a tiny PID 1 (kobako-init) that reaps orphans and passes signals on to the command"},
		&cli.StringSliceFlag{Name: "device", Usage: "make the host's device `HOST[:CTR][:PERMS]` in the container, like /dev/null:/dev/mynull:rw (PERMS of rwm, default rwm; repeatable)"},
	}
}

// argsFromFlags is the command, by docker's rules: the entrypoint
// (--entrypoint, or the image's) and then the arguments given after the
// image, or the image's default command unless --entrypoint replaced the
// image's entrypoint.
func argsFromFlags(cmd *cli.Command, img *image.Image) []string {
	entrypoint, args := img.Entrypoint, cmd.Args().Tail()
	if ep := cmd.String("entrypoint"); ep != "" {
		entrypoint = []string{ep}
	} else if len(args) == 0 {
		args = img.Cmd
	}
	return append(slices.Clone(entrypoint), args...)
}

// applyImageDefaults gives the process what the image's config asks for
// (image.json), where no flag said otherwise: -e and --env-file override
// the image's variables by name, -w its working dir, -u its user.
func applyImageDefaults(cmd *cli.Command, img *image.Image, spec *specs.Spec) {
	env := slices.Clone(img.Env)
	for _, kv := range spec.Process.Env {
		key, _, _ := strings.Cut(kv, "=")
		env = slices.DeleteFunc(env, func(old string) bool { return strings.HasPrefix(old, key+"=") || old == key })
		env = append(env, kv)
	}
	spec.Process.Env = env
	if !cmd.IsSet("workdir") && img.WorkingDir != "" {
		spec.Process.Cwd = img.WorkingDir
	}
	if cmd.String("user") == "" && img.User != "" {
		spec.Annotations[runtime.UserAnnotation] = img.User
	}
}

// applyProcessFlags fills the spec's process from the flags.
func applyProcessFlags(cmd *cli.Command, spec *specs.Spec) error {
	env, err := envFiles(cmd.StringSlice("env-file"))
	if err != nil {
		return err
	}
	spec.Process.Env = append(env, envFromFlags(cmd)...)
	spec.Annotations = map[string]string{}
	if u := cmd.String("user"); u != "" {
		// Resolved by the init inside the container, from its /etc/passwd.
		spec.Annotations[runtime.UserAnnotation] = u
	}
	if cmd.Bool("init") {
		spec.Annotations[runtime.InitAnnotation] = "true"
	}
	if spec.Process.Rlimits, err = rlimitsFromFlags(cmd.StringSlice("ulimit")); err != nil {
		return err
	}
	if s := cmd.String("shm-size"); s != "" {
		size, err := parseSize(s)
		if err != nil || size <= 0 {
			return fmt.Errorf("--shm-size %q: give a size like 64m", s)
		}
		setMountOption(spec, "/dev/shm", "size=", strconv.FormatInt(size, 10))
	}
	return nil
}

// envFiles reads docker-style env files: KEY=VALUE per line; a bare KEY
// takes the caller's value.
func envFiles(paths []string) ([]string, error) {
	var env []string
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--env-file: %w", err)
		}
		scan := bufio.NewScanner(f)
		for scan.Scan() {
			line := strings.TrimSpace(scan.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if !strings.Contains(line, "=") {
				line += "=" + os.Getenv(line)
			}
			env = append(env, line)
		}
		f.Close()
		if err := scan.Err(); err != nil {
			return nil, fmt.Errorf("--env-file %s: %w", path, err)
		}
	}
	return env, nil
}

// rlimitNames maps docker's --ulimit names to setrlimit(2)'s resources.
var rlimitNames = map[string]string{
	"core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA", "fsize": "RLIMIT_FSIZE",
	"locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK", "msgqueue": "RLIMIT_MSGQUEUE",
	"nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE", "nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS",
	"rtprio": "RLIMIT_RTPRIO", "rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING", "stack": "RLIMIT_STACK",
}

// rlimitsFromFlags reads NAME=SOFT[:HARD]. A hard limit above the one
// kobako holds cannot be granted (raising it needs CAP_SYS_RESOURCE): that
// is refused here, with both numbers, instead of failing in the init.
func rlimitsFromFlags(flags []string) ([]specs.POSIXRlimit, error) {
	var out []specs.POSIXRlimit
	for _, f := range flags {
		name, value, ok := strings.Cut(f, "=")
		typ, known := rlimitNames[name]
		if !ok || !known {
			return nil, fmt.Errorf("--ulimit %q: use NAME=SOFT[:HARD] with a name like nofile, nproc, core", f)
		}
		softText, hardText, hasHard := strings.Cut(value, ":")
		if !hasHard {
			hardText = softText
		}
		soft, err1 := strconv.ParseUint(softText, 10, 64)
		hard, err2 := strconv.ParseUint(hardText, 10, 64)
		if err1 != nil || err2 != nil || soft > hard {
			return nil, fmt.Errorf("--ulimit %q: SOFT and HARD must be numbers, SOFT not above HARD", f)
		}
		if err := withinOwnLimit(name, typ, hard); err != nil {
			return nil, err
		}
		out = append(out, specs.POSIXRlimit{Type: typ, Soft: soft, Hard: hard})
	}
	return out, nil
}

func withinOwnLimit(name, typ string, hard uint64) error {
	resource, ok := runtime.RlimitResource(typ)
	if !ok {
		return nil
	}
	var own unix.Rlimit
	if err := unix.Getrlimit(resource, &own); err != nil {
		return nil // the init reports it, if it matters
	}
	if hard > own.Max {
		return fmt.Errorf("--ulimit %s: hard limit %d is above kobako's own (%d), which only CAP_SYS_RESOURCE could raise", name, hard, own.Max)
	}
	return nil
}

// setMountOption replaces (or adds) key=value in the options of the mount
// at dest.
func setMountOption(spec *specs.Spec, dest, key, value string) {
	for i, m := range spec.Mounts {
		if m.Destination != dest {
			continue
		}
		var opts []string
		for _, o := range m.Options {
			if !strings.HasPrefix(o, key) {
				opts = append(opts, o)
			}
		}
		spec.Mounts[i].Options = append(opts, key+value)
	}
}

// labelsFromFlags reads --label KEY=VALUE.
func labelsFromFlags(cmd *cli.Command) (map[string]string, error) {
	labels := map[string]string{}
	for _, l := range cmd.StringSlice("label") {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--label %q: use KEY=VALUE", l)
		}
		labels[k] = v
	}
	return labels, nil
}
