package main

// runc's spec: a starter config.json for a bundle — runc's own example
// (libcontainer/specconv's Example), so that a bundle made for runc and
// one made for kobako start the same: sh in ./rootfs, read-only, with a
// terminal, three capabilities, new pid, network, ipc, uts and mount
// namespaces (and cgroup on a cgroup v2 host), no device but the defaults.
// Editing it is the point: process.args first.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/runtime"
)

func ociSpecCommand() *cli.Command {
	return &cli.Command{
		Name:  "spec",
		Usage: "create a new specification file",
		Description: `Writes config.json, runc's example, into the bundle (default: the current
directory), and refuses to write over one. It runs sh, so edit
process.args for anything else:

   mkdir -p hello/rootfs && cp -a /path/to/a/rootfs/. hello/rootfs/
   cd hello && kobako spec
   sed -i 's/"sh"/"echo", "hi"/; s/"terminal": true/"terminal": false/' config.json
   sudo kobako run hello1

--rootless writes one for a user without root: a user namespace that maps
only the user's own ids, no network namespace, /sys bound from the host,
no cgroup limits.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "the bundle `DIR` to write config.json into"},
			&cli.BoolFlag{Name: "rootless", Usage: "a config for a container of a user without root"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := noArgs(cmd); err != nil {
				return err
			}
			bundle, err := bundleDir(cmd.String("bundle"))
			if err != nil {
				return err
			}
			spec, err := exampleSpec()
			if err != nil {
				return err
			}
			if cmd.Bool("rootless") {
				toRootless(spec, os.Geteuid(), os.Getegid())
			}
			return writeNewConfig(filepath.Join(bundle, runtime.ConfigFile), spec)
		},
	}
}

// writeNewConfig writes spec as path, which must not exist yet.
func writeNewConfig(path string, spec *specs.Spec) error {
	data, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return err
	}
	// O_EXCL: an existing config.json is someone's work.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: remove it first, or write the new one into another bundle with --bundle", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// exampleSpec is runc 1.1's example config.
func exampleSpec() (*specs.Spec, error) {
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	spec := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: "rootfs", Readonly: true},
		Process: &specs.Process{
			Terminal:        true,
			Args:            []string{"sh"},
			Env:             []string{"PATH=" + runtime.DefaultPath, "TERM=xterm"},
			Cwd:             "/",
			NoNewPrivileges: true,
			Capabilities:    &specs.LinuxCapabilities{Bounding: caps, Permitted: caps, Ambient: caps, Effective: caps},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Hostname: "kobako",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		},
		Linux: &specs.Linux{
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
			},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
			Resources:     &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
			},
		},
	}
	// A cgroup namespace where the container's cgroup can be its whole
	// view: v2's one tree (runc adds it there only, too).
	layout, err := cgroups.Detect()
	if err != nil {
		return nil, err
	}
	if layout.Mode == cgroups.V2 {
		spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	return spec, nil
}

// toRootless turns spec into runc's rootless example: a user namespace
// mapping uid and gid to root, no network namespace (a user cannot
// connect a new one), /sys bound from the host (a user namespace may not
// mount sysfs for a network namespace it does not own), no uid= or gid=
// mount options (those ids are not mapped), and no cgroup limits (a
// user may not write root's cgroups).
func toRootless(spec *specs.Spec, uid, gid int) {
	var namespaces []specs.LinuxNamespace
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type != specs.NetworkNamespace && ns.Type != specs.UserNamespace {
			namespaces = append(namespaces, ns)
		}
	}
	spec.Linux.Namespaces = append(namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	spec.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: uint32(uid), ContainerID: 0, Size: 1}}
	spec.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: uint32(gid), ContainerID: 0, Size: 1}}
	var mounts []specs.Mount
	for _, m := range spec.Mounts {
		if filepath.Clean(m.Destination) == "/sys" {
			mounts = append(mounts, specs.Mount{Source: "/sys", Destination: "/sys", Type: "none", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}})
			continue
		}
		var options []string
		for _, o := range m.Options {
			if !strings.HasPrefix(o, "gid=") && !strings.HasPrefix(o, "uid=") {
				options = append(options, o)
			}
		}
		m.Options = options
		mounts = append(mounts, m)
	}
	spec.Mounts = mounts
	spec.Linux.Resources = nil
}
