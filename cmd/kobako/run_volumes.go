package main

// The flags of `kobako run` that add to the container's file system:
// -v, --tmpfs and --read-only. Their shell twins, under $ROOTFS before
// pivot_root:
//
//	-v /srv/data:/data:ro   mount --rbind -o nosuid,nodev /srv/data $ROOTFS/data
//	                        mount -o remount,bind,ro $ROOTFS/data
//	--tmpfs /tmp:size=1m    mount -t tmpfs -o nosuid,nodev,noexec,size=1m tmpfs $ROOTFS/tmp
//	--read-only             mount -o remount,bind,ro $ROOTFS   (after every other mount)
//
// They end up as the spec's mounts and root.readonly; rootfs/mounts.go
// makes them, resolving every target inside the root.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
)

func volumeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "volume", Aliases: []string{"v"}, Value: &repeatedFlag{},
			Usage: "bind the host's directory or file `HOST:CTR[:OPTS]` into the container, nosuid and nodev; OPTS: ro or rw, rprivate (default), rslave or rshared (repeatable; a missing HOST directory is made)"},
		&cli.GenericFlag{Name: "tmpfs", Value: &repeatedFlag{},
			Usage: "mount a fresh tmpfs at `CTR[:OPTS]`, nosuid, nodev and noexec; OPTS like size=64m,mode=1777 (repeatable)"},
		&cli.BoolFlag{Name: "read-only", Usage: "mount the container's root read-only (its /dev, /proc, volumes and tmpfs stay as they are)"},
	}
}

// repeatedFlag collects every use of a flag, whole: a string-slice flag
// would also cut "size=1m,mode=1777" at its comma.
type repeatedFlag []string

func (r *repeatedFlag) Set(v string) error { *r = append(*r, v); return nil }
func (r *repeatedFlag) String() string     { return strings.Join(*r, " ") }
func (r *repeatedFlag) Get() any           { return []string(*r) }

// applyVolumeFlags adds the mounts after the default ones, so that a
// volume may sit on /dev or /sys too, and makes a missing host directory
// the way docker does — only once every flag has been checked, so that a
// bad one leaves nothing behind.
func applyVolumeFlags(cmd *cli.Command, spec *specs.Spec) error {
	var mounts []specs.Mount
	for _, v := range repeated(cmd, "volume") {
		m, err := parseVolume(v)
		if err != nil {
			return fmt.Errorf("-v %q: %w", v, err)
		}
		mounts = append(mounts, m)
	}
	for _, v := range repeated(cmd, "tmpfs") {
		m, err := parseTmpfs(v)
		if err != nil {
			return fmt.Errorf("--tmpfs %q: %w", v, err)
		}
		mounts = append(mounts, m)
	}
	if err := checkDistinct(mounts); err != nil {
		return err
	}
	for _, m := range mounts {
		if m.Type != "bind" {
			continue
		}
		// A missing host path becomes a directory, as docker makes it; an
		// existing file is bound as the file it is.
		if _, err := os.Stat(m.Source); errors.Is(err, fs.ErrNotExist) {
			// mkdir -p $HOST
			if err := os.MkdirAll(m.Source, 0o755); err != nil {
				return fmt.Errorf("-v: make host directory: %w", err)
			}
		}
	}
	spec.Mounts = append(spec.Mounts, mounts...)
	spec.Root.Readonly = cmd.Bool("read-only")
	return nil
}

// repeated returns every value of a repeatedFlag (its Get).
func repeated(cmd *cli.Command, name string) []string {
	values, _ := cmd.Value(name).([]string)
	return values
}

// parseVolume reads HOST:CTR[:OPTS] into a bind mount.
func parseVolume(v string) (specs.Mount, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return specs.Mount{}, errors.New("give HOST:CTR or HOST:CTR:OPTS, both paths absolute")
	}
	host, ctr := parts[0], parts[1]
	if !path.IsAbs(host) {
		return specs.Mount{}, fmt.Errorf("host path %q must be absolute (named volumes are not supported)", host)
	}
	if err := checkTarget(ctr); err != nil {
		return specs.Mount{}, err
	}
	// nosuid,nodev: a volume brings data, not setuid programs or devices.
	options := []string{"rbind", "nosuid", "nodev"}
	propagation := "rprivate"
	if len(parts) == 3 {
		for _, o := range strings.Split(parts[2], ",") {
			switch o {
			case "ro", "rw":
				options = append(options, o)
			case "rprivate", "rslave", "rshared":
				propagation = o
			default:
				return specs.Mount{}, fmt.Errorf("unknown option %q: give ro, rw, rprivate, rslave or rshared", o)
			}
		}
	}
	return specs.Mount{Destination: path.Clean(ctr), Type: "bind", Source: path.Clean(host),
		Options: append(options, propagation)}, nil
}

// parseTmpfs reads CTR[:OPTS] into a tmpfs mount, with docker's defaults.
func parseTmpfs(v string) (specs.Mount, error) {
	ctr, opts, _ := strings.Cut(v, ":")
	if err := checkTarget(ctr); err != nil {
		return specs.Mount{}, err
	}
	options := []string{"nosuid", "nodev", "noexec"}
	if opts != "" {
		for _, o := range strings.Split(opts, ",") {
			key, _, _ := strings.Cut(o, "=")
			if !slices.Contains(tmpfsOptions, key) {
				return specs.Mount{}, fmt.Errorf("unknown option %q: give size=, mode=, uid=, gid=, nr_inodes=, ro, rw, exec, suid or dev", o)
			}
			options = append(options, o)
		}
	}
	return specs.Mount{Destination: path.Clean(ctr), Type: "tmpfs", Source: "tmpfs", Options: options}, nil
}

// tmpfsOptions are the words --tmpfs takes: tmpfs(5)'s own and the mount
// flags that lift docker's defaults.
var tmpfsOptions = []string{"size", "mode", "uid", "gid", "nr_inodes", "ro", "rw", "exec", "noexec", "suid", "nosuid", "dev", "nodev"}

// checkTarget refuses a container path that is relative, the root itself,
// or in /proc: the runtime writes there after the mounts, and a volume
// over it would redirect those writes (CVE-2019-19921).
func checkTarget(ctr string) error {
	switch clean := path.Clean(ctr); {
	case !path.IsAbs(ctr):
		return fmt.Errorf("container path %q must be absolute", ctr)
	case clean == "/":
		return errors.New("the container path cannot be /: use a directory in it")
	case clean == "/proc" || strings.HasPrefix(clean, "/proc/"):
		return fmt.Errorf("container path %q is in /proc, which kobako keeps to itself", ctr)
	}
	return nil
}

// checkDistinct refuses two mounts at one place, as docker does: the
// second would hide the first.
func checkDistinct(mounts []specs.Mount) error {
	seen := map[string]bool{}
	for _, m := range mounts {
		if seen[m.Destination] {
			return fmt.Errorf("two mounts at %s: give each container path once", m.Destination)
		}
		seen[m.Destination] = true
	}
	return nil
}
