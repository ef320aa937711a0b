// Fuzzing LoadBundle (issue 15, item 5): a bundle directory with any
// config.json next to an empty rootfs/. What LoadBundle returns is what
// create builds the container from, so when it says yes:
//
//   - root.path is absolute and a directory;
//   - every bind mount's source is absolute (relative ones are the
//     bundle's, runtime-spec bundle.md) — the init works from anywhere;
//   - the result still passes Validate;
//   - the device rules end with runc's allow list (addDefaultDeviceRules).
//
// And when it says no, one line says why. The seeds are FuzzValidate's
// (validate_fuzz_test.go).
package runtime

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kobako/kobako/cgroups"
)

// FuzzLoadBundle loads a bundle whose config.json is any bytes.
func FuzzLoadBundle(f *testing.F) {
	f.Fuzz(func(t *testing.T, config []byte) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ConfigFile), config, 0o644); err != nil {
			t.Fatal(err)
		}
		spec, err := LoadBundle(dir)
		t.Logf("LoadBundle: %v", err) // with -v: what each seed reaches
		if err != nil {
			checkErrorLine(t, "LoadBundle", err)
			return
		}
		if fi, err := os.Stat(spec.Root.Path); !filepath.IsAbs(spec.Root.Path) || err != nil || !fi.IsDir() {
			t.Errorf("root.path %q: not an absolute directory (%v)", spec.Root.Path, err)
		}
		for _, m := range spec.Mounts {
			if isBindMount(m) && m.Source != "" && !filepath.IsAbs(m.Source) {
				t.Errorf("bind mount on %s: source %q is not absolute", m.Destination, m.Source)
			}
		}
		if err := Validate(spec); err != nil {
			t.Errorf("LoadBundle's spec no longer passes Validate: %v", err)
		}
		rules, runc := spec.Linux.Resources.Devices, cgroups.RuncDefaultDeviceRules()
		if len(rules) < len(runc) || !reflect.DeepEqual(rules[len(rules)-len(runc):], runc) {
			t.Errorf("the device rules do not end with runc's allow list: %v", rules)
		}
	})
}
