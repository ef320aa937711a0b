package main

// runc's features: what this runtime can do, as the runtime-spec's
// features document (specs-go/features), which engines read before they
// write a config — containerd, for one, asks whether "rro" is a mount
// option before it uses it. Everything here is what kobako really does:
// a word listed is one its code accepts (oci_features_test.go checks the
// mount options and seccomp words against the code that reads them), and
// a feature it lacks says false rather than nothing.

import (
	"context"
	"encoding/json"
	"os"
	goruntime "runtime"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/runtime"
)

// Annotations of kobako's features, beside the spec's fields.
const (
	featureVersion       = "org.kobako.version"
	featureCommit        = "org.kobako.commit"
	featureCheckpoint    = "org.kobako.checkpoint.enabled"
	featureIgnoredFields = "org.kobako.ignoredFields" // config fields accepted and not acted on, comma-separated
)

// mountOptions are the option words kobako's mounts take besides the file
// systems' own data (mode=755 …), as runc lists its own.
var mountOptions = []string{
	"acl", "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
	"idmap", "iversion", "lazytime", "loud", "mand", "noacl", "noatime", "nodev",
	"nodiratime", "noexec", "noiversion", "nolazytime", "nomand", "norelatime",
	"nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev",
	"rdiratime", "relatime", "remount", "rexec", "ridmap", "rnoatime", "rnodev",
	"rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow",
	"ro", "rprivate", "rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime",
	"rsuid", "rsymfollow", "runbindable", "rw", "shared", "silent", "slave",
	"strictatime", "suid", "symfollow", "sync", "tmpcopyup", "unbindable",
}

// seccompActions are the actions kobako's filter compiler takes; NOTIFY
// is not one: it needs a seccomp agent, which kobako does not have.
var seccompActions = []string{
	string(specs.ActAllow), string(specs.ActErrno), string(specs.ActKill), string(specs.ActKillProcess),
	string(specs.ActKillThread), string(specs.ActLog), string(specs.ActTrace), string(specs.ActTrap),
}

var seccompOperators = []string{
	string(specs.OpEqualTo), string(specs.OpGreaterEqual), string(specs.OpGreaterThan), string(specs.OpLessEqual),
	string(specs.OpLessThan), string(specs.OpMaskedEqual), string(specs.OpNotEqual),
}

// seccompArchs: the filter is compiled for the machine's own system call
// table; calls of another ABI (32-bit x86 on x86_64) are denied whole.
var seccompArchs = map[string]string{"amd64": string(specs.ArchX86_64), "arm64": string(specs.ArchAARCH64)}

var (
	seccompKnownFlags = []string{
		string(specs.LinuxSeccompFlagLog), string(specs.LinuxSeccompFlagSpecAllow),
		"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	}
	seccompSupportedFlags = []string{string(specs.LinuxSeccompFlagLog), string(specs.LinuxSeccompFlagSpecAllow)}
)

func ociFeaturesCommand() *cli.Command {
	return &cli.Command{
		Name:  "features",
		Usage: "show the enabled features",
		Description: `Prints what kobako supports as the runtime-spec's features JSON (see
github.com/opencontainers/runtime-spec, features.md): the OCI versions, hooks,
mount options, namespaces, capabilities, cgroup versions and seccomp words.
The annotation org.kobako.ignoredFields lists the config fields kobako
accepts and does not act on, as runc ignores them too.`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := noArgs(cmd); err != nil {
				return err
			}
			out := json.NewEncoder(os.Stdout)
			out.SetIndent("", "    ")
			return out.Encode(kobakoFeatures())
		},
	}
}

// kobakoFeatures is the features document.
func kobakoFeatures() features.Features {
	yes, no := true, false
	f := features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  mountOptions,
		Linux: &features.Linux{
			// user: made, not joined (Go cannot setns into one; runtime/validate.go).
			Namespaces:   []string{"cgroup", "ipc", "mount", "network", "pid", "user", "uts"},
			Capabilities: knownCapabilities(),
			// systemd: --systemd-cgroup maps the path; no systemd is asked.
			Cgroup:   &features.Cgroup{V1: &yes, V2: &yes, Systemd: &no, SystemdUser: &no, Rdma: &no},
			Apparmor: &features.Apparmor{Enabled: &yes}, // where the host enforces it

			Selinux:         &features.Selinux{Enabled: &no},
			IntelRdt:        &features.IntelRdt{Enabled: &no},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &yes}},
			NetDevices:      &features.NetDevices{Enabled: &no},
		},
		Annotations: map[string]string{
			featureVersion:       version,
			featureCommit:        commitOf(),
			featureCheckpoint:    "false",
			featureIgnoredFields: strings.Join(runtime.IgnoredFields, ","),
		},
		// Annotations in config.json that change what kobako does.
		PotentiallyUnsafeConfigAnnotations: []string{runtime.InitAnnotation, runtime.UserAnnotation},
	}
	f.Linux.Seccomp = &features.Seccomp{Enabled: &no}
	if arch, ok := seccompArchs[goruntime.GOARCH]; ok {
		f.Linux.Seccomp = &features.Seccomp{
			Enabled:        &yes,
			Actions:        seccompActions,
			Operators:      seccompOperators,
			Archs:          []string{arch},
			KnownFlags:     seccompKnownFlags,
			SupportedFlags: seccompSupportedFlags,
		}
	}
	return f
}

// knownCapabilities are the capabilities kobako can name, CAP_CHOWN …
func knownCapabilities() []string {
	var names []string
	for _, c := range capability.ListKnown() {
		if name := "CAP_" + strings.ToUpper(c.String()); runtime.KnownCapability(name) {
			names = append(names, name)
		}
	}
	return names
}
