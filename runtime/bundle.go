package runtime

// An OCI bundle: a directory with config.json and, usually, the rootfs it
// names — what `runc spec` writes and what podman's conmon and containerd's
// shim hand `kobako create --bundle B`. See the runtime-spec's bundle.md:
//
//	cd $BUNDLE && cat config.json    # root.path "rootfs" is $BUNDLE/rootfs
//
// Loading a bundle is reading the file (bounded: it is data from outside),
// resolving the paths the spec defines relative to the bundle, checking
// everything kobako would refuse (validate.go) — before a single thing is
// made — and adding runc's default device allow list, which engines count on.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/cgroups"
)

// ConfigFile is the name of a bundle's configuration.
const ConfigFile = "config.json"

// maxBundleConfig caps config.json. Real ones are tens of kilobytes (a
// seccomp profile is most of that); a decoder fed without limit is how a
// hostile file takes a runtime's memory.
const maxBundleConfig = 4 << 20

// LoadBundle reads dir/config.json, makes root.path and relative bind
// sources absolute against dir, validates the result and appends runc's
// default device rules after the config's own.
func LoadBundle(dir string) (*specs.Spec, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", dir, err)
	}
	// cat $BUNDLE/config.json
	f, err := os.Open(filepath.Join(dir, ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("bundle %s has no %s: write one with `kobako spec --bundle %s` (an image is run with kobako run IMAGE)", dir, ConfigFile, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", dir, err)
	}
	defer f.Close()
	spec, err := parseConfig(f)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", dir, err)
	}
	resolveBundlePaths(spec, dir)
	if err := checkRootfs(spec); err != nil {
		return nil, oneLine(err) // root.path is the config's: it may hold a newline
	}
	if err := Validate(spec); err != nil {
		return nil, err
	}
	addDefaultDeviceRules(spec)
	return spec, nil
}

// parseConfig decodes a config.json of at most maxBundleConfig bytes.
// Unknown fields are allowed: a newer spec's field that kobako does not
// know decodes to nothing, as in runc.
func parseConfig(r io.Reader) (*specs.Spec, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBundleConfig+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ConfigFile, err)
	}
	if len(data) > maxBundleConfig {
		return nil, fmt.Errorf("%s is larger than %d MiB: that is no runtime config", ConfigFile, maxBundleConfig>>20)
	}
	var spec specs.Spec
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&spec); err != nil {
		return nil, fmt.Errorf("parse %s: %w", ConfigFile, err)
	}
	return &spec, nil
}

// resolveBundlePaths makes the paths the runtime-spec reads relative to
// the bundle absolute: root.path, and the source of a bind mount. runc
// gets the same by changing into the bundle directory; the init here
// works from wherever kobako was started, so the paths say it themselves.
func resolveBundlePaths(spec *specs.Spec, dir string) {
	if spec.Root != nil && spec.Root.Path != "" && !filepath.IsAbs(spec.Root.Path) {
		spec.Root.Path = filepath.Join(dir, spec.Root.Path)
	}
	for i, m := range spec.Mounts {
		if isBindMount(m) && m.Source != "" && !filepath.IsAbs(m.Source) {
			spec.Mounts[i].Source = filepath.Join(dir, m.Source)
		}
	}
}

// isBindMount: a bind is asked for by its options (the type is then a
// no-op, runtime-spec config.md), or by type "bind" as podman writes it.
func isBindMount(m specs.Mount) bool {
	return m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
}

// checkRootfs: the root must be there, and a directory, before anything
// is made for it.
func checkRootfs(spec *specs.Spec) error {
	if spec.Root == nil || spec.Root.Path == "" {
		return fmt.Errorf("%s has no root.path: say which directory is the container's root", ConfigFile)
	}
	// test -d $ROOTFS
	fi, err := os.Stat(spec.Root.Path)
	if err != nil {
		return fmt.Errorf("root.path: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("root.path %s is not a directory", spec.Root.Path)
	}
	return nil
}

// addDefaultDeviceRules appends runc's allow list (cgroups/devices.go)
// after the config's own rules, as runc does: podman writes only "deny
// all" and leaves /dev/null, /dev/zero, the ptys … to the runtime.
func addDefaultDeviceRules(spec *specs.Spec) {
	if spec.Linux == nil {
		spec.Linux = &specs.Linux{}
	}
	if spec.Linux.Resources == nil {
		spec.Linux.Resources = &specs.LinuxResources{}
	}
	spec.Linux.Resources.Devices = append(spec.Linux.Resources.Devices, cgroups.RuncDefaultDeviceRules()...)
}
