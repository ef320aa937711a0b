package tests

// kobako doctor, end to end: the report of this very host, and the same
// report with one thing of the host hidden inside a private mount
// namespace — the way the article's learners meet a host without overlay
// or with memory accounting off. doctor itself is kobako-tutor's work, a
// binary next to kobako (cmd/kobako-tutor).

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/sys/unix"
)

// doctorReport is what kobako doctor --json prints.
type doctorReport struct {
	Lang     string              `json:"lang"`
	Runnable bool                `json:"runnable"`
	Blocked  map[string][]string `json:"blocked"`
	Findings []struct {
		ID      string            `json:"id"`
		Group   string            `json:"group"`
		Status  string            `json:"status"`
		Variant string            `json:"variant"`
		Blocks  []string          `json:"blocks"`
		Args    map[string]string `json:"args"`
		Title   string            `json:"title"`
		Text    string            `json:"text"`
		Fix     string            `json:"fix"`
	} `json:"findings"`
}

// finding returns the report's finding id.
func (r doctorReport) finding(t *testing.T, id string) (status, variant string, args map[string]string) {
	t.Helper()
	for _, f := range r.Findings {
		if f.ID == id {
			return f.Status, f.Variant, f.Args
		}
	}
	t.Fatalf("kobako doctor --json has no finding %q", id)
	return "", "", nil
}

// requireTutor stops the test when kobako-tutor is not next to kobako.
func requireTutor(t *testing.T) {
	t.Helper()
	tutor := filepath.Join(filepath.Dir(kobako), "kobako-tutor")
	if _, err := os.Stat(tutor); err != nil {
		missing(t, "kobako-tutor next to %s (make builds it): %v", kobako, err)
	}
}

// runDoctor runs cmd (a kobako doctor --json, maybe wrapped) and parses
// what it printed.
func runDoctor(t *testing.T, cmd *exec.Cmd) (doctorReport, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	code, err := exitCode(cmd, cmd.Run())
	if err != nil {
		t.Fatalf("%s: %v (stderr: %s)", strings.Join(cmd.Args, " "), err, errOut.String())
	}
	var rep doctorReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%s: exit %d, not JSON: %v\nstdout: %s\nstderr: %s", strings.Join(cmd.Args, " "), code, err, out.String(), errOut.String())
	}
	return rep, code
}

// hostCgroupMode is what stat -f says about /sys/fs/cgroup: v2 when it is
// a cgroup2 file system, hybrid when a tmpfs of v1 hierarchies has a
// cgroup2 at unified/, v1 otherwise.
func hostCgroupMode(t *testing.T) string {
	t.Helper()
	var st unix.Statfs_t
	// stat -f -c %T /sys/fs/cgroup
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		missing(t, "a cgroup file system at /sys/fs/cgroup: %v", err)
	}
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "v2"
	}
	if err := unix.Statfs("/sys/fs/cgroup/unified", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "hybrid"
	}
	return "v1"
}

// On this host doctor reports the cgroup mode stat -f sees (hybrid v1 on
// the CI hosts), in both languages, and its exit status says whether
// every chapter can run.
func TestDoctorThisHost(t *testing.T) {
	e := newEnv(t)
	requireTutor(t)
	want := hostCgroupMode(t)
	for _, l := range []string{"en", "ja"} {
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		defer cancel()
		rep, code := runDoctor(t, e.command(ctx, "doctor", "--json", "--lang", l))
		if rep.Lang != l {
			t.Errorf("--lang %s: report in %q", l, rep.Lang)
		}
		if _, variant, _ := rep.finding(t, "cgroup"); variant != want {
			t.Errorf("--lang %s: cgroup finding %q, want %q (stat -f /sys/fs/cgroup)", l, variant, want)
		}
		if status, _, _ := rep.finding(t, "root"); status != "ok" {
			t.Errorf("--lang %s: root finding %q, as root", l, status)
		}
		if wantCode := map[bool]int{true: 0, false: 1}[rep.Runnable]; code != wantCode {
			t.Errorf("--lang %s: exit %d with runnable=%v (blocked: %v)", l, code, rep.Runnable, rep.Blocked)
		}
		for _, f := range rep.Findings {
			if f.Title == "" || f.Text == "" {
				t.Errorf("--lang %s: finding %s has no words: %+v", l, f.ID, f)
			}
			if l == "ja" && !strings.ContainsFunc(f.Text, func(r rune) bool {
				return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han)
			}) {
				t.Errorf("--lang ja: finding %s is not in Japanese: %q", f.ID, f.Text)
			}
		}
	}
}

// Hide one thing of the host from doctor by bind-mounting a fake file
// over it in a private mount namespace: the finding flips, the chapters
// it needs are blocked and doctor exits 1. The host's own files and mount
// table are untouched (newEnv checks the mount table afterwards).
func TestDoctorHiddenFeatures(t *testing.T) {
	e := newEnv(t)
	requireTutor(t)
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		missing(t, "unshare (util-linux)")
	}
	procCgroups, err := os.ReadFile("/proc/cgroups")
	if err != nil {
		t.Fatal(err)
	}
	memoryOff := disableInProcCgroups(t, string(procCgroups), "memory")
	tests := []struct {
		name    string
		over    string // the file hidden
		fake    string // what doctor reads instead
		hideMod bool   // hide /lib/modules too, so no overlay module is found
		id      string
		variant string
		chapter string // a chapter that must be blocked by id
	}{
		{"no overlay", "/proc/filesystems", "nodev\tsysfs\nnodev\tproc\n\text4\n", true, "overlay", "missing", "cow"},
		{"memory off", "/proc/cgroups", memoryOff, false, "cgroup-controllers", "off", "cgroup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fake := filepath.Join(dir, "fake")
			if err := os.WriteFile(fake, []byte(tt.fake), 0o644); err != nil {
				t.Fatal(err)
			}
			// unshare -m sh -c 'mount --bind FAKE FILE && exec kobako … doctor --json'
			script := `mount --bind "$1" "$2" || exit 99
if [ -n "$3" ] && [ -d /lib/modules ]; then mount -t tmpfs none /lib/modules || exit 99; fi
shift 3; exec "$@"`
			hide := ""
			if tt.hideMod {
				hide = "yes"
			}
			ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, unshare, "-m", "--propagation", "private", "sh", "-c", script, "sh", fake, tt.over, hide,
				kobako, "--root", e.root, "--data-root", e.dataRoot, "doctor", "--json", "--lang", "en")
			rep, code := runDoctor(t, cmd)
			if code != 1 {
				t.Errorf("exit %d, want 1 (runnable=%v)", code, rep.Runnable)
			}
			status, variant, args := rep.finding(t, tt.id)
			if status != "fail" || variant != tt.variant {
				t.Errorf("%s: %s %s (args %v), want fail %s", tt.id, status, variant, args, tt.variant)
			}
			if !slices.Contains(rep.Blocked[tt.chapter], tt.id) {
				t.Errorf("chapter %s not blocked by %s: %v", tt.chapter, tt.id, rep.Blocked)
			}
		})
	}
	// and the host itself still has what was hidden
	if data, _ := os.ReadFile("/proc/filesystems"); !strings.Contains(string(data), "\toverlay\n") {
		t.Errorf("overlay gone from the host's /proc/filesystems:\n%s", data)
	}
	if data, _ := os.ReadFile("/proc/cgroups"); !strings.Contains(string(data), "memory\t") || strings.Contains(string(data), memoryOff) {
		t.Errorf("the host's /proc/cgroups is the fake one:\n%s", data)
	}
}

// disableInProcCgroups is /proc/cgroups with controller's enabled column
// set to 0, as cgroup_disable=CONTROLLER on the kernel command line has it.
func disableInProcCgroups(t *testing.T, procCgroups, controller string) string {
	t.Helper()
	lines := strings.Split(procCgroups, "\n")
	found := false
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == controller {
			f[3] = "0"
			lines[i] = strings.Join(f, "\t")
			found = true
		}
	}
	if !found {
		missing(t, "the %s controller in /proc/cgroups", controller)
	}
	return strings.Join(lines, "\n")
}
