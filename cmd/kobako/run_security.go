package main

// The flags of `kobako run` that decide what root in the container may do:
// --cap-add, --cap-drop, --privileged and --security-opt. The article takes
// one capability away by hand, right before exec:
//
//	capsh --drop=cap_sys_chroot -- -c 'exec $CMD'
//
// kobako starts from docker's default list (runtime.DefaultCapabilities)
// and edits it as docker does — --cap-drop ALL --cap-add CHOWN leaves
// CHOWN alone — into process.capabilities; the init applies it right
// before exec (runtime/initproc/capabilities.go). See capabilities(7).

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/runtime"
	"github.com/kobako/kobako/runtime/seccomp"
)

func securityFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "cap-add", Usage: "give the container's root the capability `CAP` too, like NET_ADMIN (repeatable; ALL for every one kobako holds)"},
		&cli.StringSliceFlag{Name: "cap-drop", Usage: "take the capability `CAP` away, like SYS_CHROOT (repeatable; ALL for every one)"},
		&cli.BoolFlag{Name: "privileged", Usage: "turn the guards off: every capability kobako holds, all devices, no masked /proc paths, no seccomp, no no_new_privs"},
		&cli.StringSliceFlag{Name: "security-opt", Usage: "a security option `OPT`: no-new-privileges[=true|false] (default true), seccomp=unconfined|PROFILE.json (default: docker's profile)"},
	}
}

// applySecurityFlags fills process.capabilities, no_new_privs and the seccomp
// filter from the flags; --privileged lifts the guards first, --security-opt
// has the last word.
func applySecurityFlags(cmd *cli.Command, spec *specs.Spec) error {
	held, err := runtime.BoundingSet()
	if err != nil {
		return err
	}
	if cmd.Bool("privileged") {
		makePrivileged(spec, held)
		fmt.Fprintln(os.Stderr, "kobako: warning: --privileged: the container gets every capability kobako holds and every device, and no masked or read-only /proc paths, no seccomp filter, no no_new_privs")
	} else {
		caps, err := tweakCapabilities(runtime.DefaultCapabilities, cmd.StringSlice("cap-add"), cmd.StringSlice("cap-drop"), held)
		if err != nil {
			return err
		}
		spec.Process.Capabilities = capabilitySet(caps)
		// Docker's profile, opened up for what these capabilities allow
		// (CAP_SYS_ADMIN lets mount and unshare through, and so on).
		spec.Linux.Seccomp = seccomp.Default(caps)
	}
	for _, opt := range cmd.StringSlice("security-opt") {
		if err := applySecurityOpt(opt, spec); err != nil {
			return err
		}
	}
	return nil
}

// capabilitySet is what root in the container may do: caps in the bounding,
// effective and permitted sets; none inheritable or ambient, which would
// pass capabilities on to programs run by other users (CVE-2022-29162).
func capabilitySet(caps []string) *specs.LinuxCapabilities {
	return &specs.LinuxCapabilities{Bounding: caps, Effective: slices.Clone(caps), Permitted: slices.Clone(caps)}
}

// makePrivileged lifts every guard, as docker run --privileged does: every
// capability kobako holds, no masked or read-only paths, no seccomp, every
// device allowed, and setuid programs may raise privileges again.
func makePrivileged(spec *specs.Spec, held []string) {
	spec.Process.Capabilities = capabilitySet(held)
	spec.Process.NoNewPrivileges = false
	spec.Linux.MaskedPaths, spec.Linux.ReadonlyPaths = nil, nil
	spec.Linux.Seccomp = nil
	// One rule: any device, read, write and mknod.
	spec.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
}

// tweakCapabilities edits defaults as docker does: --cap-add ALL means all
// but the dropped ones; --cap-drop ALL means only the added ones; otherwise
// the defaults, less the dropped, plus the added. held is what kobako can
// give at all (runtime.BoundingSet): ALL means those, and adding one it
// does not hold is refused here rather than failing in the init.
func tweakCapabilities(defaults, addFlags, dropFlags, held []string) ([]string, error) {
	add, err := capabilityNames("--cap-add", addFlags)
	if err != nil {
		return nil, err
	}
	drop, err := capabilityNames("--cap-drop", dropFlags)
	if err != nil {
		return nil, err
	}
	var caps []string
	switch {
	case slices.Contains(add, "ALL"):
		caps = slices.Clone(held)
	case slices.Contains(drop, "ALL"):
		caps = nil
	default:
		caps = slices.Clone(defaults)
	}
	caps = slices.DeleteFunc(caps, func(c string) bool { return slices.Contains(drop, c) })
	for _, c := range add {
		switch {
		case c == "ALL" || slices.Contains(caps, c):
		case !slices.Contains(held, c):
			return nil, fmt.Errorf("--cap-add %s: kobako does not hold it itself (it is not in CapBnd of /proc/self/status), so it cannot give it: leave it out", strings.TrimPrefix(c, "CAP_"))
		default:
			caps = append(caps, c)
		}
	}
	return caps, nil
}

// capabilityNames reads names as docker does: any case, with or without
// CAP_ (net_admin, CAP_NET_ADMIN), or ALL.
func capabilityNames(flag string, names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, given := range names {
		name := strings.ToUpper(given)
		if name != "ALL" && !strings.HasPrefix(name, "CAP_") {
			name = "CAP_" + name
		}
		if name != "ALL" && !runtime.KnownCapability(name) {
			return nil, fmt.Errorf("%s %s: no such capability: use a name of capabilities(7), like NET_ADMIN or SYS_CHROOT, or ALL", flag, given)
		}
		out = append(out, name)
	}
	return out, nil
}

// securityOpts are the keys --security-opt knows: each sets its part of
// the spec from VALUE ("" when the option is given bare).
var securityOpts = []struct {
	key, syntax string
	apply       func(value string, spec *specs.Spec) error
}{
	{"no-new-privileges", "no-new-privileges[=true|false]", noNewPrivileges},
	{"seccomp", "seccomp=unconfined|PROFILE.json", seccompProfile},
}

// applySecurityOpt reads one --security-opt KEY[=VALUE]; docker also
// takes KEY:VALUE.
func applySecurityOpt(opt string, spec *specs.Spec) error {
	key, value, ok := strings.Cut(opt, "=")
	if !ok {
		key, value, _ = strings.Cut(opt, ":")
	}
	var known []string
	for _, o := range securityOpts {
		if o.key == key {
			if err := o.apply(value, spec); err != nil {
				return fmt.Errorf("--security-opt %s: %w", opt, err)
			}
			return nil
		}
		known = append(known, o.syntax)
	}
	return fmt.Errorf("--security-opt %s: unknown option: use %s", opt, strings.Join(known, " or "))
}

// noNewPrivileges is no-new-privileges[=true|false]: whether setuid
// programs and file capabilities may raise privileges (false) or not.
func noNewPrivileges(value string, spec *specs.Spec) error {
	on := true
	if value != "" {
		var err error
		if on, err = strconv.ParseBool(value); err != nil {
			return fmt.Errorf("no-new-privileges takes true or false, not %q", value)
		}
	}
	spec.Process.NoNewPrivileges = on
	return nil
}

// seccompProfile is seccomp=unconfined|PROFILE.json (run_seccomp.go).
func seccompProfile(value string, spec *specs.Spec) error {
	var caps []string
	if spec.Process.Capabilities != nil {
		caps = spec.Process.Capabilities.Bounding
	}
	filter, err := seccompFromOption(value, caps)
	if err != nil {
		return err
	}
	spec.Linux.Seccomp = filter
	return nil
}
