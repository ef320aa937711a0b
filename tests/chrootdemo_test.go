package tests

// Chapter "chroot と pivot_root", kobako's half. The tutorial's chroot demo
// (tutorial/chrootdemo, tested there) shows the classic escape reaching a
// marker outside a chroot'ed image; here the very same escape tool, bound
// into a kobako container with -v as the tutorial does, must stop at the
// container's own root: pivot_root made that the root of the container's
// mount namespace, and the host's "/" was unmounted, so there is nothing
// above it. It still holds CAP_SYS_CHROOT (docker's default set): the climb
// runs, and finds nothing.

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kobako/kobako/tutorial/chrootdemo"
)

func TestChrootEscapeStopsAtContainerRoot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	escape := buildEscapeTool(t)
	out := e.mustRun("run", "--rm", "-v", escape+":/usr/local/bin/escape:ro", "busybox", "sh", "-c",
		"cd / && ls -A / && echo --- && escape && echo --- && cat /tmp/escape.txt")
	parts := strings.Split(out, "---\n")
	if len(parts) != 3 {
		t.Fatalf("want ls, escape and the report, separated by ---; got:\n%s", out)
	}
	root := strings.Fields(parts[0])
	shown := chrootdemo.ParseReport(parts[1])
	saved := chrootdemo.ParseReport(parts[2])
	if shown.Marker || saved.Marker || !strings.Contains(parts[2], "marker: none") {
		t.Errorf("the climb in a kobako container found a marker:\n%s", out)
	}
	// What the climb reached is the container's "/", no more and no less.
	for _, r := range []chrootdemo.Report{shown, saved} {
		if !slices.Equal(r.Listing, root) {
			t.Errorf("the climb reached %q, want the container's own root %q", r.Listing, root)
		}
	}
}

// buildEscapeTool builds the escape tool — chrootdemo's test stand-in for
// kobako-tutor, which is the same code under the name escape — static,
// since the busybox image has no libc.
func buildEscapeTool(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "escape")
	cmd := exec.Command("go", "build", "-o", bin, "./tutorial/chrootdemo/testdata/tutor")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build the escape tool: %v\n%s", err, out)
	}
	return bin
}
