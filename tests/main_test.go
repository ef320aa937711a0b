// Package tests holds kobako's end-to-end tests: they build (or are given)
// the kobako binary and drive it as a person would, with real containers in
// real namespaces, then look at the result from outside — /proc/<pid>/ns,
// /proc/self/mountinfo, the files under --data-root — the way the article
// checks each step with ls -l /proc/$$/ns and cat /proc/self/mountinfo.
//
// Every test gets its own --root and --data-root under t.TempDir(), so tests
// never see each other's containers, nor a user's. When a test ends, pass
// or fail, its containers are force-removed and the host is checked: the
// mount table is what it was, and the state dir is empty.
//
// Run them with `make test` (as root). Outside CI a missing prerequisite —
// not root, no static busybox — skips loudly; with CI=true it fails.
package tests

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kobako/kobako/internal/testenv"
)

// kobako is the absolute path of the binary under test.
var kobako string

// hostBusybox is what the built-in busybox image is made from.
const hostBusybox = "/bin/busybox"

// commandTimeout bounds every kobako command, so a hung container fails
// its test instead of hanging the suite.
const commandTimeout = 60 * time.Second

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	kobako = os.Getenv("KOBAKO_BIN")
	if kobako == "" {
		dir, err := os.MkdirTemp("", "kobako-bin-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "tests: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		if kobako, err = buildKobako(dir); err != nil {
			fmt.Fprintf(os.Stderr, "tests: build kobako: %v\n", err)
			return 1
		}
	}
	// Absolute and without symlinks: tests compare it with /proc/<pid>/exe.
	abs, err := filepath.Abs(kobako)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tests: KOBAKO_BIN: %v\n", err)
		return 1
	}
	kobako = abs
	return m.Run()
}

// buildKobako builds ./cmd/kobako of this module into dir, static as the
// Makefile builds it, and its helpers beside it: kobako-init (the
// container's init), kobako-pull and kobako-tutor.
func buildKobako(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside the kobako module")
	}
	// and its helpers next to it, where kobako pull, tutorial and doctor
	// look for them
	for _, name := range []string{"kobako", "kobako-init", "kobako-pull", "kobako-tutor"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./cmd/"+name)
		cmd.Dir = filepath.Dir(gomod)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build: %w\n%s", err, out)
		}
	}
	return filepath.Join(dir, "kobako"), nil
}

// missing reports a missing prerequisite: a loud skip on a workstation, a
// failure in CI, where a skipped end-to-end test would hide a broken set-up.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	testenv.Missing(t, fmt.Sprintf(format, args...)+" — run `make test`, which runs the tests as root")
}

// requireRoot stops a test that needs root and a static busybox (the
// built-in image is made from it; package busybox-static).
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "kobako's end-to-end tests need root (uid is %d)", os.Geteuid())
	}
	if err := checkStatic(hostBusybox); err != nil {
		missing(t, "a static busybox: %v (apt-get install busybox-static)", err)
	}
}

// checkStatic says whether path is a statically linked ELF executable: one
// without a PT_INTERP program header, so it runs in an image with no libc.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", path)
		}
	}
	return nil
}

// checkOneLineError checks kobako's convention for errors: one line on
// stderr, starting "kobako: ", containing each of want.
func checkOneLineError(t *testing.T, stderr string, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "kobako: ") {
		t.Errorf("stderr is not one line \"kobako: …\":\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr does not mention %q:\n%s", w, stderr)
		}
	}
}

// copyKobako copies the binary under test, and the kobako-init next to it
// (kobako looks for it there), into dir, and returns the copy of kobako.
func copyKobako(t *testing.T, dir string) string {
	t.Helper()
	for _, name := range []string{"kobako", "kobako-init"} {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(kobako), name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "kobako")
}
