package tests

// kobako system df and system prune, checked against the store itself:
// the sizes follow what a container writes, and prune removes exactly the
// stopped containers and, with -a, the images no container uses.

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// dfSizes runs system df -v and returns the SIZE column of each image and
// container line, by name, in bytes (as far as three digits tell).
func (e *env) dfSizes() map[string]float64 {
	e.t.Helper()
	sizes := map[string]float64{}
	section := ""
	for _, l := range strings.Split(e.mustRun("system", "df", "-v"), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 0:
		case f[0] == "Images" || f[0] == "Containers":
			section = f[0]
		case f[0] == "NAME" || f[0] == "CONTAINER":
		case section == "Images" && len(f) == 3:
			sizes[f[0]] = parseHumanSize(e.t, f[1])
		case section == "Containers" && len(f) == 6:
			sizes[f[5]] = parseHumanSize(e.t, f[3])
		default:
			e.t.Errorf("system df -v: unexpected line %q", l)
		}
	}
	return sizes
}

// parseHumanSize reads what humanSize writes: 1.2MB, 512B.
func parseHumanSize(t *testing.T, s string) float64 {
	t.Helper()
	for i, unit := range []string{"kB", "MB", "GB", "B"} {
		if num, ok := strings.CutSuffix(s, unit); ok {
			n, err := strconv.ParseFloat(num, 64)
			if err != nil {
				t.Fatalf("size %q: %v", s, err)
			}
			scale := []float64{1e3, 1e6, 1e9, 1}[i]
			return n * scale
		}
	}
	t.Fatalf("size %q has no unit", s)
	return 0
}

// df shows the image and the container with a size, and the container's
// grows by what it writes; the summary has docker's three rows.
func TestSystemDf(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runSleeping("ctr")
	before := e.dfSizes()
	if before["busybox"] <= 0 || before["ctr"] <= 0 {
		t.Fatalf("system df -v: busybox %v, ctr %v bytes, want both above 0", before["busybox"], before["ctr"])
	}
	e.mustRun("exec", "ctr", "dd", "if=/dev/zero", "of=/five", "bs=1M", "count=5")
	after := e.dfSizes()
	if grown := after["ctr"] - before["ctr"]; grown < 5<<20*0.99 || grown > 6<<20 {
		t.Errorf("ctr grew by %.0f bytes after writing 5 MiB, want about 5 MiB", grown)
	}
	if after["busybox"] != before["busybox"] {
		t.Errorf("busybox image went from %v to %v bytes: a container's writes are its own", before["busybox"], after["busybox"])
	}
	summary := e.mustRun("system", "df")
	for _, row := range []string{"Images 1 1 ", "Containers 1 1 ", "Logs "} {
		if !strings.Contains(strings.Join(strings.Fields(summary), " "), row) {
			t.Errorf("system df has no row %q:\n%s", row, summary)
		}
	}
}

// prune without -f and without a terminal refuses; prune -f removes the
// stopped container only; -a removes the unused image and keeps the used.
func TestSystemPrune(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	entries, _ := busyboxTar(t)
	tarball := filepath.Join(t.TempDir(), "unused.tar")
	writeTar(t, tarball, false, entries)
	e.mustRun("import", "--name", "unused", tarball)
	e.mustRun("run", "--name", "stopped", "busybox", "true")
	e.runSleeping("running")

	_, stderr, code := e.run("system", "prune")
	if code == 0 {
		t.Fatalf("system prune without -f and without a terminal succeeded")
	}
	checkOneLineError(t, stderr, "-f")
	if e.psLine("stopped", "-a") == "" {
		t.Fatalf("a refused prune removed the stopped container")
	}

	e.mustRun("system", "prune", "-f")
	if e.psLine("stopped", "-a") != "" {
		t.Errorf("system prune -f left the stopped container")
	}
	if e.psLine("running") == "" {
		t.Errorf("system prune -f removed the running container")
	}
	if !e.hasImage("unused") {
		t.Errorf("system prune -f without -a removed an image")
	}

	e.mustRun("system", "prune", "-a", "-f")
	if e.hasImage("unused") {
		t.Errorf("system prune -a -f left the unused image")
	}
	if !e.hasImage("busybox") {
		t.Errorf("system prune -a -f removed busybox, which the running container uses")
	}
	if e.psLine("running") == "" {
		t.Errorf("system prune -a -f removed the running container")
	}
}
