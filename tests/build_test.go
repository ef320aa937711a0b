package tests

// kobako build: the article's §7.3 done from a Dockerfile. A layer per
// RUN and COPY, the config from the rest, the build cache on a second
// build and after a change, and the refusals: a failing RUN leaves
// nothing, an unsupported instruction is one line, and COPY never reaches
// outside the build context.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// buildContext writes files (name → content) into a fresh directory.
func buildContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const threeSteps = `FROM busybox
COPY hello.txt /hello
RUN echo made > /made
CMD ["sh", "-c", "cat /hello /made; echo cmd ran"]
`

// stepLines are the "Step N/M" lines' results: for each step, whether it
// came from the cache.
func cacheHits(out string) []bool {
	var hits []bool
	for _, step := range strings.Split(out, "Step ")[1:] {
		hits = append(hits, strings.Contains(step, "---> Using cache"))
	}
	return hits
}

func TestBuild(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := buildContext(t, map[string]string{"Dockerfile": threeSteps, "hello.txt": "hello\n"})

	out := e.mustRun("build", "-t", "three", dir)
	for _, want := range []string{"Step 1/4 : FROM busybox", "Step 2/4 : COPY hello.txt /hello", "Step 3/4 : RUN echo made > /made", `Step 4/4 : CMD ["sh", "-c", "cat /hello /made; echo cmd ran"]`} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("build output lacks %q:\n%s", want, out)
		}
	}
	if ids := regexp.MustCompile(`(?m)^ ---> [0-9a-f]{12}$`).FindAllString(out, -1); len(ids) != 3 {
		t.Errorf("build output has %d layer ids (want FROM's, COPY's and RUN's):\n%s", len(ids), out)
	}
	if got := e.mustRun("run", "--rm", "three"); got != "hello\nmade\ncmd ran\n" {
		t.Errorf("run of the built image: %q; want both files and the CMD", got)
	}
	// history: three layers (busybox's, COPY's, RUN's) and CMD's line
	history := e.mustRun("history", "three")
	if n := strings.Count(history, "sha256:"); n != 3 || !strings.Contains(history, "CMD [") || !strings.Contains(history, "RUN echo made") {
		t.Errorf("history of the built image:\n%s\nwant 3 layers and a line per step", history)
	}
	e.expectNoContainers("build")

	// A second build: every step but FROM from the cache, the same layers.
	again := e.mustRun("build", "-t", "three", dir)
	if hits := cacheHits(again); len(hits) != 4 || hits[0] || !hits[1] || !hits[2] || !hits[3] {
		t.Errorf("second build's cache hits per step: %v; want all but FROM:\n%s", hits, again)
	}
	if strings.Contains(again, "Running in") {
		t.Errorf("second build ran a container:\n%s", again)
	}

	// A changed COPY source: COPY and everything after it run again.
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed := e.mustRun("build", "-t", "three", dir)
	if hits := cacheHits(changed); len(hits) != 4 || hits[1] || hits[2] || hits[3] {
		t.Errorf("after changing COPY's source, cache hits per step: %v; want none from COPY on:\n%s", hits, changed)
	}
	if got := e.mustRun("run", "--rm", "three"); got != "changed\nmade\ncmd ran\n" {
		t.Errorf("run of the rebuilt image: %q", got)
	}
	e.expectNoContainers("builds")
}

func TestBuildFailingRunLeavesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--rm", "busybox", "true") // the built-in image, made once
	layers := func() int {
		entries, _ := os.ReadDir(filepath.Join(e.dataRoot, "layers"))
		return len(entries)
	}
	before := layers()
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo partial > /p; exit 3\nCMD true\n"})
	_, stderr, code := e.run("build", "-t", "broken", dir)
	if code != 3 || stderr != "kobako: Dockerfile:2: RUN echo partial > /p; exit 3 returned a non-zero code: 3\n" {
		t.Errorf("failing RUN: exit %d, stderr %q; want 3 and one line naming the step", code, stderr)
	}
	if _, _, code := e.run("history", "broken"); code == 0 {
		t.Errorf("a failed build left the image broken")
	}
	if after := layers(); after != before {
		t.Errorf("a failed RUN left %d layers (before: %d)", after, before)
	}
	e.expectNoContainers("a failed build")
}

func TestBuildRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, dockerfile, want string }{
		{"healthcheck", "FROM busybox\nHEALTHCHECK CMD true\n",
			"kobako: Dockerfile:2: HEALTHCHECK is not supported by kobako build (kobako has no health checks)\n"},
		{"multistage", "FROM busybox AS one\nRUN true\n",
			"kobako: Dockerfile:1: FROM … AS one: multi-stage builds are not supported by kobako build\n"},
		{"second from", "FROM busybox\nRUN true\nFROM busybox\n",
			"kobako: Dockerfile:3: a second FROM: multi-stage builds are not supported by kobako build\n"},
		{"dotdot", "FROM busybox\nCOPY ../secret /x\n",
			"kobako: Dockerfile:2: COPY: ../secret is outside the build context CTX: COPY and ADD take files from it only\n"},
		{"symlink", "FROM busybox\nCOPY out/secret /x\n",
			"kobako: Dockerfile:2: COPY: out/secret leads outside the build context CTX (through a symlink): COPY and ADD take files from it only\n"},
		{"symlink file", "FROM busybox\nCOPY link /x\n",
			"kobako: Dockerfile:2: COPY: link leads outside the build context CTX (through a symlink): COPY and ADD take files from it only\n"},
	} {
		dir := buildContext(t, map[string]string{"Dockerfile": tc.dockerfile})
		if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := e.run("build", "-t", "refused", dir)
		if want := strings.ReplaceAll(tc.want, "CTX", dir); code != 1 || stderr != want {
			t.Errorf("%s: exit %d, stderr %q; want 1 and %q", tc.name, code, stderr, want)
		}
	}
	if _, _, code := e.run("history", "refused"); code == 0 {
		t.Errorf("a refused build made an image")
	}
	e.expectNoContainers("refused builds")
}
