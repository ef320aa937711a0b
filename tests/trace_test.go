package tests

// --trace as a learner reads it: the steps under the article's chapter
// names, each with its Go file:line, the container's id written $ID as the
// article writes $UUID, and nothing about paths this kernel lacks unless
// --trace=all asks for everything.

import (
	"errors"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
)

// hex64 is a container id or a sha256 digest, spelt out.
var hex64 = regexp.MustCompile(`[0-9a-f]{64}`)

// traceBytesBefore is what a traced `run --rm busybox hostname` wrote
// before the narration was grouped and abbreviated (137 lines, 28 KB on a
// cgroup v1 host): the trace must now be much shorter than that.
const traceBytesBefore = 28073

// durationColumn is the time each step took, which the narration shows
// since issue 16 ("  0.03ms  "): it came after traceBytesBefore was
// measured, so the comparison leaves it out.
var durationColumn = regexp.MustCompile(`(?m)^(kobako: trace: +)[0-9.]+ms  `)

func TestTraceNarration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	stdout, stderr, code := e.run("--trace", "run", "--rm", "busybox", "hostname")
	if code != 0 {
		t.Fatalf("--trace run --rm busybox hostname: exit %d\n%s", code, stderr)
	}
	hostname := strings.TrimSpace(stdout) // the short id
	if ids := hex64.FindAllString(stderr, -1); len(ids) > 0 {
		t.Errorf("the trace spells out %d ids or digests, e.g. %s:\n%s", len(ids), ids[0], stderr)
	}
	for _, want := range []string{
		" ID=" + hostname + "…\n", // introduced once, by its short form
		" ROOTFS=$CONTAINER/rootfs\n",
		"hostname $ID\n",
		"mount -t proc -o nosuid,noexec,nodev proc $ROOTFS/proc\n",
		"── Namespace (名前空間) ──", "── cgroup ──", "── Capability ──",
		"── chroot と pivot_root ──", "── Copy on Write ──", "── コンテナを作ってみよう",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the trace lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "hostname "+hostname) || strings.Count(stderr, hostname) != 1 {
		t.Errorf("the short id %s is written out more than in its introduction:\n%s", hostname, stderr)
	}
	// Each step names the Go file and line that did it.
	for _, where := range []string{`runtime/initproc/hostname\.go:\d+ +hostname \$ID`, `rootfs/pivot_root\.go:\d+ +pivot_root \. \.`} {
		if !regexp.MustCompile(where).MatchString(stderr) {
			t.Errorf("no line matches %q:\n%s", where, stderr)
		}
	}
	if strings.Contains(stderr, "does not have") {
		t.Errorf("skipped steps shown without --trace=all:\n%s", stderr)
	}
	// The longest trace is a lone container's, which makes and removes
	// the /kobako cgroups too: 20.6 KB without the durations.
	if narration := durationColumn.ReplaceAllString(stderr, "$1"); len(narration) > traceBytesBefore*3/4 {
		t.Errorf("the trace is %d bytes without its durations, want well under the %d it was", len(narration), traceBytesBefore)
	}
}

// --trace=all shows what --trace leaves out: the steps skipped for paths
// this kernel does not have, and each step's whole Go call.
func TestTraceAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, plain, code := e.run("--trace", "run", "--rm", "busybox", "true")
	if code != 0 {
		t.Fatalf("--trace run: exit %d\n%s", code, plain)
	}
	_, all, code := e.run("--trace=all", "run", "--rm", "busybox", "true")
	if code != 0 {
		t.Fatalf("--trace=all run: exit %d\n%s", code, all)
	}
	if !strings.Contains(all, `← unix.Sethostname([]byte("$ID"))`) || strings.Contains(plain, "unix.Sethostname") {
		t.Errorf("the whole Go call should be in --trace=all only:\n%s\n--trace=all:\n%s", plain, all)
	}
	if hex64.MatchString(all) {
		t.Errorf("--trace=all spells out an id or digest:\n%s", all)
	}
	// Paths of docker's default masks that some kernels lack (this one's
	// /proc is the container's, a procfs of the same kernel).
	missing := 0
	for _, p := range []string{"/proc/kcore", "/proc/latency_stats", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/proc/asound"} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		missing++
		skip := "skip " + p + ", which this kernel does not have"
		if !strings.Contains(all, skip) || strings.Contains(plain, skip) {
			t.Errorf("%q should be in --trace=all only:\n%s\n--trace=all:\n%s", skip, plain, all)
		}
	}
	if missing == 0 {
		t.Log("this kernel has every masked path: no skipped step to show")
	}
	if _, stderr, code := e.run("--trace=everything", "ps"); code == 0 || !strings.Contains(stderr, "want --trace, --trace=all or --trace=time") {
		t.Errorf("--trace=everything: exit %d, want a failure naming the modes:\n%s", code, stderr)
	}
}

// --trace=time: no narration, one table of where the run's milliseconds
// went, phase by phase in the order a container is made, with the init's
// phases (sent through its pipe) among the parent's, and both peaks.
func TestTraceTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--rm", "busybox", "true") // the image, built before
	_, stderr, code := e.run("--trace=time", "run", "--rm", "busybox", "true")
	if code != 0 {
		t.Fatalf("--trace=time run: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stderr, "── cgroup ──") || strings.Contains(stderr, "pivot_root . .  ") {
		t.Errorf("--trace=time narrates steps:\n%s", stderr)
	}
	last := -1
	for _, phase := range []string{"parent start", "cgroups", "init start", "mounts", "pivot_root", "privileges", "exec", "teardown", "total"} {
		m := regexp.MustCompile(`(?m)^kobako: trace:   ` + phase + ` +([0-9.]+) `).FindStringSubmatchIndex(stderr)
		if m == nil {
			t.Errorf("no %q row with its milliseconds:\n%s", phase, stderr)
			continue
		}
		if m[0] < last {
			t.Errorf("%q comes before the phase above it:\n%s", phase, stderr)
		}
		last = m[0]
	}
	// the init's own steps made it through the pipe: mounts and privileges
	// happen only there
	for _, phase := range []string{"mounts", "privileges"} {
		if regexp.MustCompile(`(?m)^kobako: trace:   ` + phase + ` +- `).MatchString(stderr) {
			t.Errorf("%s shows no time: the init's events did not arrive:\n%s", phase, stderr)
		}
	}
	for _, who := range []string{"parent", "init"} {
		if !regexp.MustCompile(`peak RSS, ` + who + ` +[0-9.]+ MiB`).MatchString(stderr) {
			t.Errorf("no peak RSS of the %s:\n%s", who, stderr)
		}
	}
}
