package runtime

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/cgroups"
)

// The configs podman, containerd and docker generated on this machine
// (captured through a wrapper around runc) load as they are: only their
// root, which named the engine's storage, points at a rootfs of the test's.
func TestLoadBundleEngineConfigs(t *testing.T) {
	for _, engine := range []string{"podman", "containerd", "docker"} {
		t.Run(engine, func(t *testing.T) {
			config, raw := engineConfig(t, engine)
			dir := writeBundle(t, config)

			spec, err := LoadBundle(dir)
			if err != nil {
				t.Fatalf("LoadBundle: %v", err)
			}
			if want := filepath.Join(dir, "rootfs"); spec.Root.Path != want {
				t.Errorf("root.path = %q, want %q", spec.Root.Path, want)
			}
			var original specs.Spec
			if err := json.Unmarshal(raw, &original); err != nil {
				t.Fatal(err)
			}
			checkDeviceRules(t, original.Linux.Resources.Devices, spec.Linux.Resources.Devices)
		})
	}
}

// checkDeviceRules: the config's own rules first, runc's allow list after.
func checkDeviceRules(t *testing.T, own, got []specs.LinuxDeviceCgroup) {
	t.Helper()
	want := append(append([]specs.LinuxDeviceCgroup{}, own...), cgroups.RuncDefaultDeviceRules()...)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("devices = %d rules, want the config's %d then runc's %d", len(got), len(own), len(cgroups.RuncDefaultDeviceRules()))
	}
}

func TestLoadBundlePaths(t *testing.T) {
	spec := DefaultSpec("rootfs", []string{"sh"})
	spec.Mounts = append(spec.Mounts,
		specs.Mount{Destination: "/data", Type: "bind", Source: "data", Options: []string{"rbind"}},
		specs.Mount{Destination: "/abs", Type: "bind", Source: "/srv", Options: []string{"bind"}},
	)
	dir := writeBundle(t, spec)

	got, err := LoadBundle(dir)
	if err != nil {
		t.Fatalf("LoadBundle: %v", err)
	}
	if want := filepath.Join(dir, "rootfs"); got.Root.Path != want {
		t.Errorf("root.path = %q, want %q", got.Root.Path, want)
	}
	sources := map[string]string{}
	for _, m := range got.Mounts {
		sources[m.Destination] = m.Source
	}
	if want := filepath.Join(dir, "data"); sources["/data"] != want {
		t.Errorf("relative bind source = %q, want %q (against the bundle)", sources["/data"], want)
	}
	if sources["/abs"] != "/srv" || sources["/proc"] != "proc" {
		t.Errorf("sources = %v: an absolute bind source and a non-bind source stay as given", sources)
	}
}

func TestLoadBundleRefusals(t *testing.T) {
	t.Run("no rootfs", func(t *testing.T) {
		dir := writeBundle(t, DefaultSpec("missing", []string{"sh"}))
		if _, err := LoadBundle(dir); err == nil || !strings.Contains(err.Error(), "root.path") {
			t.Errorf("LoadBundle = %v, want an error about root.path", err)
		}
	})
	t.Run("no config", func(t *testing.T) {
		if _, err := LoadBundle(t.TempDir()); err == nil || !strings.Contains(err.Error(), ConfigFile) {
			t.Errorf("LoadBundle = %v, want an error naming %s", err, ConfigFile)
		}
	})
	t.Run("too large", func(t *testing.T) {
		big := strings.NewReader(`{"ociVersion": "` + strings.Repeat("x", maxBundleConfig) + `"}`)
		if _, err := parseConfig(big); err == nil || !strings.Contains(err.Error(), "larger") {
			t.Errorf("parseConfig = %v, want a size error", err)
		}
	})
	t.Run("not json", func(t *testing.T) {
		if _, err := parseConfig(strings.NewReader("ociVersion: 1")); err == nil {
			t.Error("parseConfig accepted YAML")
		}
	})
	t.Run("refused by Validate", func(t *testing.T) {
		spec := DefaultSpec("rootfs", nil)
		if _, err := LoadBundle(writeBundle(t, spec)); err == nil || !strings.Contains(err.Error(), "process.args") {
			t.Errorf("LoadBundle = %v, want the empty process.args refused", err)
		}
	})
}

// writeBundle writes config as a bundle's config.json next to an empty
// rootfs directory, and returns the bundle.
func writeBundle(t *testing.T, config any) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// engineConfig is the config.json an engine wrote (testdata, recorded from
// podman, containerd and docker on this project's machines): as a map,
// with its root at ./rootfs of the bundle, and as the file's bytes.
func engineConfig(t *testing.T, engine string) (config map[string]any, raw []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", engine+"-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &config); err != nil {
		t.Fatal(err)
	}
	config["root"].(map[string]any)["path"] = "rootfs"
	return config, raw
}
