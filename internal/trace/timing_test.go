package trace

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const ms = int64(time.Millisecond)

func TestDuration(t *testing.T) {
	cases := []struct {
		ns   int64
		want string
	}{
		{0, "  0.00ms"},
		{420 * int64(time.Microsecond), "  0.42ms"},
		{12345 * int64(time.Microsecond), " 12.35ms"},
		{999 * ms, "999.00ms"},
		{1200 * ms, "   1.20s"},
		{754 * int64(time.Second), " 754.00s"},
	}
	for _, c := range cases {
		if got := duration(c.ns); got != c.want || len(got) != tookWidth {
			t.Errorf("duration(%d) = %q, want %q", c.ns, got, c.want)
		}
	}
}

// The narration shows how long each step took, in the column before it.
func TestNarrationShowsDurations(t *testing.T) {
	var out bytes.Buffer
	tr := New(&out)
	tr.Note("first", "true")
	time.Sleep(2 * time.Millisecond)
	tr.Step("second", "true", "", nil)
	lines := steps(out.String())
	column := regexp.MustCompile(`^` + prefix + `   *(\d+\.\d\d)ms  (first|second) `)
	if len(lines) != 2 {
		t.Fatalf("want 2 lines:\n%s", out.String())
	}
	for i, l := range lines {
		m := column.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("no duration before the step: %q", l)
		}
		if took, _ := strconv.ParseFloat(m[1], 64); i == 1 && took < 2 {
			t.Errorf("the second step took %sms, want the 2 ms slept: %q", m[1], l)
		}
	}
	// The column is as wide on every line: the steps start together.
	if strings.Index(lines[0], "first") != strings.Index(lines[1], "second") {
		t.Errorf("the steps do not line up:\n%s", out.String())
	}
}

func TestPhaseOf(t *testing.T) {
	cases := []struct{ step, where, function, want string }{
		{MarkSpec, "", "", phaseSpec},
		{MarkExited, "", "", phaseExec},
		{"a mark of no phase", "", "", phaseOther},
		{"store layer 0915c6a96ef5", "image/layerstore.go:83", "github.com/kobako/kobako/image.(*Store).storeLayer", phaseImage},
		{"unpack image", "rootfs/unpack/unpack.go:90", "github.com/kobako/kobako/rootfs/unpack.Tar", phaseImage},
		{"write the container's hosts, hostname and resolv.conf", "container/network_files.go:76", "github.com/kobako/kobako/container.(*Store).writeNetworkFiles", phaseImage},
		{"create cgroup", "cgroups/manager.go:129", "github.com/kobako/kobako/cgroups.create", phaseCgroups},
		{"this host uses cgroup v1", "runtime/cgroup.go:31", "github.com/kobako/kobako/runtime.(*Runtime).cgroupLayout", phaseCgroups},
		{"new namespaces", "runtime/create.go:333", "github.com/kobako/kobako/runtime.(*Runtime).startInit.func1", phaseClone},
		{"new cgroup namespace", "runtime/initproc/namespaces.go:130", "github.com/kobako/kobako/runtime/initproc.unshareCgroup", phaseClone},
		{"mount the overlay root", "rootfs/overlay.go:68", "github.com/kobako/kobako/rootfs.(*Overlay).mount", phaseMounts},
		{"mount /sys/fs/cgroup", "rootfs/cgroupfs.go:126", "github.com/kobako/kobako/rootfs.mountCgroupfs", phaseMounts},
		{"mask /proc/keys", "rootfs/masks.go:115", "github.com/kobako/kobako/rootfs.maskPath", phaseMounts},
		{"change root", "rootfs/pivot_root.go:50", "github.com/kobako/kobako/rootfs.PivotRoot", phasePivotRoot},
		{"enter working directory", "runtime/initproc/execve.go:58", "github.com/kobako/kobako/runtime/initproc.enterCwd", phaseOther},
		{"wait for start", "runtime/initproc/execve.go:123", "github.com/kobako/kobako/runtime/initproc.awaitStart", phaseExec},
		{"start the command", "runtime/start.go:34", "github.com/kobako/kobako/runtime.(*Runtime).Start", phaseExec},
		{"set capabilities", "runtime/initproc/capabilities.go:197", "github.com/kobako/kobako/runtime/initproc.setCapabilities", phasePrivileges},
		{"set no_new_privs", "runtime/initproc/execve.go:285", "github.com/kobako/kobako/runtime/initproc.setNoNewPrivs", phasePrivileges},
		{"load the seccomp filter", "runtime/seccomp/program/install.go:30", "github.com/kobako/kobako/runtime/seccomp/program.(*Program).Install", phasePrivileges},
		{"exec the command", "runtime/initproc/execve.go:204", "github.com/kobako/kobako/runtime/initproc.execCommand", phaseExec},
		{"set hostname", "runtime/initproc/hostname.go:26", "github.com/kobako/kobako/runtime/initproc.setHostname", phaseOther},
		{"loopback up", "netns/loopback.go:37", "github.com/kobako/kobako/netns.LoopbackUp", phaseOther},
	}
	for _, c := range cases {
		if got := phaseOf(c.step, c.where, c.function); got != c.want {
			t.Errorf("phaseOf(%q, %s, %s) = %q, want %q", c.step, c.where, c.function, got, c.want)
		}
	}
}

// run is a `kobako run --rm` of a few steps, the parent's and the init's
// merged, at whole milliseconds from the tracer's making at 0.
var run = []event{
	{ns: 1 * ms, step: MarkSpec, phase: phaseSpec},
	{ns: 3 * ms, step: "store layer", phase: phaseImage},
	{ns: 4 * ms, step: "create cgroup", phase: phaseCgroups},
	{ns: 5 * ms, step: "new namespaces", phase: phaseClone},
	{ns: 6 * ms, step: "set cgroup.procs", phase: phaseCgroups},                        // while the init starts
	{ns: 8 * ms, step: "a session keyring of its own", phase: phaseOther, child: true}, // the init's first
	{ns: 9 * ms, step: "set devices.allow", phase: phaseCgroups},
	{ns: 12 * ms, step: "mount /proc", phase: phaseMounts, child: true},
	{ns: 13 * ms, step: "change root", phase: phasePivotRoot, child: true},
	{ns: 14 * ms, step: "set capabilities", phase: phasePrivileges, child: true},
	{ns: 15 * ms, step: "exec the command", phase: phaseExec, child: true},
	{ns: 20 * ms, step: MarkExited, phase: phaseExec},
	{ns: 22 * ms, step: "remove cgroup", phase: phaseCgroups}, // teardown now
}

func TestShare(t *testing.T) {
	shares := share(run, 0, 25*ms)
	got := shares.times
	want := map[string]int64{
		phaseSpec:       1 * ms,
		phaseImage:      2 * ms,
		phaseCgroups:    3 * ms, // to 4 ms, to 6 ms while the init starts, from the keyring to 9 ms
		phaseClone:      1 * ms,
		phaseInitStart:  2 * ms, // the init's start-up the parent's steps did not hide
		phaseMounts:     3 * ms,
		phasePivotRoot:  1 * ms,
		phasePrivileges: 1 * ms,
		phaseExec:       1*ms + 5*ms, // the exec step, then until the parent saw the exit
		phaseTeardown:   5 * ms,      // to 25 ms, the end
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("share =\n%v\nwant\n%v", got, want)
	}
	var sum int64
	for _, ns := range got {
		sum += ns
	}
	if sum != 25*ms {
		t.Errorf("the phases add up to %d ns, not the run's 25 ms", sum)
	}
	if shares.initSpan != 3*ms {
		t.Errorf("the init's start-up took %d ns from the clone, want 3 ms", shares.initSpan)
	}
	// MarkDone ends the run: what comes after is not counted.
	done := append(run[:len(run):len(run)], event{ns: 23 * ms, step: MarkDone, phase: phaseTeardown}, event{ns: 24 * ms, step: "late"})
	if got := share(done, 0, 25*ms).times; got[phaseTeardown] != 3*ms || got[phaseOther] != 0 {
		t.Errorf("after MarkDone: %v", got)
	}
	// An init that never reports leaves the time after the clone to the
	// parent's steps.
	if got := share(run[:5], 0, 6*ms); got.times[phaseInitStart] != 0 || got.initSpan != 0 || got.times[phaseCgroups] != 2*ms {
		t.Errorf("without the init: %v", got)
	}
}

// tableRow is one row of the table: phase, ms, share.
var tableRow = regexp.MustCompile(`^` + prefix + `  (\S.*?) +(-|\d+\.\d\d) +(-|\d+\.\d%)`)

func TestTimeTable(t *testing.T) {
	table := timeTable(share(run, 0, 25*ms), 2*ms, map[string]memory{"parent": {peak: 12595, anon: 3500, file: 8200}, "init": {peak: 6144, anon: 1500, file: 3300}}, true)
	t.Logf("the table:\n%s", table)
	var order []string
	var sum, total float64
	for _, l := range strings.Split(strings.TrimSuffix(table, "\n"), "\n")[2:] {
		m := tableRow.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		order = append(order, m[1])
		value, _ := strconv.ParseFloat(m[2], 64)
		switch m[1] {
		case "total":
			total = value
			if m[3] != "100.0%" {
				t.Errorf("the total's share: %q", l)
			}
		default:
			sum += value
		}
	}
	var want []string
	for _, p := range phases {
		want = append(want, p.name)
	}
	want = append(want, "total")
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("rows %q, want %q", order, want)
	}
	if total != 27 || sum != total {
		t.Errorf("the phases add up to %.2f ms, the total is %.2f, want 27", sum, total)
	}
	for _, want := range []string{
		heading("--trace=time: where the run's 27.00 ms went"),
		prefix + "  parent start              2.00    7.4%  the Go runtime",
		prefix + "  other                        -       -  steps of no phase",
		prefix + "  init start                2.00    7.4%  the init's execve and Go start-up: 3.00 ms in all, partly hidden",
		prefix + "  peak RSS, parent          12.3 MiB      getrusage",
		prefix + "  peak RSS, init             6.0 MiB      VmHWM",
		prefix + "                             1.5 MiB      of it its own pages (RssAnon)",
		prefix + "                             3.2 MiB      its binary's pages",
		prefix + "  parent start: CPU time used before kobako made its tracer (getrusage)",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("no %q in the table:\n%s", want, table)
		}
	}
	// An init that did not reach its execve reported no peak.
	if table := timeTable(shares{}, 0, map[string]memory{"parent": {peak: 1024}}, true); !strings.Contains(table, "peak RSS, init               - MiB      not reported") {
		t.Errorf("an init without a peak:\n%s", table)
	}
}

// The init's tracer, made from the parent's config, sends its events down
// the pipe ChildFile gives; the parent merges them into its table.
func TestChildPipe(t *testing.T) {
	var out bytes.Buffer
	parent := NewMode(&out, Mode{Time: true})
	parent.Note("new namespaces", "unshare -muinpf")
	w, err := parent.ChildFile()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(parent.Config())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"time":true`) {
		t.Errorf("the config does not carry the mode: %s", data)
	}
	var c *Config
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	child := FromConfig(w, c)
	child.Step("exec\tthe command", "exec true", "unix.Exec", nil) // a tab of its own: still one field
	child.Mark(MarkSpec)
	child.Peak("init")
	w.Close() // the init's execve
	parent.Mark(MarkExited)
	parent.Finish()
	parent.Finish() // once only

	parent.mu.Lock()
	events := slices.Clone(parent.timeline.events) // in the order they arrived
	peak := parent.timeline.peaks["init"]
	parent.mu.Unlock()
	slices.SortStableFunc(events, func(a, b event) int { return cmp.Compare(a.ns, b.ns) })
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%s/%s/%t", e.step, e.phase, e.child))
	}
	want := "[new namespaces/clone/false exec the command/other/true spec ready/spec/true container exited/exec/false]"
	if fmt.Sprint(got) != want {
		t.Errorf("events %v,\nwant %s", got, want)
	}
	if peak.peak <= 0 || peak.anon <= 0 || peak.file <= 0 {
		t.Errorf("the init's memory: %+v KiB", peak)
	}
	table := out.String()
	if strings.Count(table, "where the run's") != 1 || !strings.Contains(table, "peak RSS, init") || strings.Contains(table, "not reported") {
		t.Errorf("the table:\n%s", table)
	}
	if strings.Contains(table, "unshare -muinpf") {
		t.Errorf("time mode narrated a step:\n%s", table)
	}
}

// Finish does not wait long for an init that holds its pipe open (one
// still waiting for `kobako start`).
func TestFinishDoesNotWaitForever(t *testing.T) {
	var out bytes.Buffer
	parent := NewMode(&out, Mode{Time: true})
	w, err := parent.ChildFile()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	FromConfig(w, parent.Config()).Mark("the init is up")
	begin := time.Now()
	parent.Finish()
	if took := time.Since(begin); took > time.Second {
		t.Errorf("Finish took %v", took)
	}
	if !strings.Contains(out.String(), "peak RSS, init               -") {
		t.Errorf("the table:\n%s", out.String())
	}
}

// Only time mode has a table, and a pipe.
func TestNarrationHasNoTable(t *testing.T) {
	var out bytes.Buffer
	tr := New(&out)
	tr.Mark(MarkExited)
	tr.Peak("parent")
	tr.Finish()
	if out.Len() != 0 {
		t.Errorf("the narration printed:\n%s", out.String())
	}
	if f, err := tr.ChildFile(); f != nil || err != nil { // the buffer is no file
		t.Errorf("the narration's child file: %v, %v", f, err)
	}
}

func TestParseStatus(t *testing.T) {
	status := "Name:\tkobako\nVmPeak:\t  712344 kB\nVmHWM:\t    6144 kB\nVmRSS:\t    6100 kB\nRssAnon:\t    1500 kB\nRssFile:\t    4600 kB\n"
	if m, err := parseStatus(strings.NewReader(status)); err != nil || m != (memory{peak: 6144, anon: 1500, file: 4600}) {
		t.Errorf("parseStatus = %+v, %v", m, err)
	}
	if _, err := parseStatus(strings.NewReader("Name:\tkobako\n")); err == nil {
		t.Error("no VmHWM line is no error")
	}
	if m, err := readMemory(); err != nil || m.peak <= 0 || m.anon <= 0 {
		t.Errorf("this process's memory: %+v, %v", m, err)
	}
	if m, ok := parseMemory(memory{6144, 1500, 4600}.String()); !ok || m != (memory{6144, 1500, 4600}) {
		t.Errorf("a memory does not travel: %+v", m)
	}
}

func TestParseRecord(t *testing.T) {
	ns, kind, name, value, ok := parseRecord("81234567890123\tstep\tchange root\tpivot_root")
	if !ok || ns != 81234567890123 || kind != recordStep || name != "change root" || value != "pivot_root" {
		t.Errorf("parseRecord: %d %q %q %q %t", ns, kind, name, value, ok)
	}
	for _, bad := range []string{"", "x\tstep\ta\tb", "1\tstep\ta", "1\tjunk\ta\tb", "1\tstep\ta\tb\tc"} {
		if _, _, _, _, ok := parseRecord(bad); ok {
			t.Errorf("parseRecord(%q) is a record", bad)
		}
	}
	if got := field(strings.Repeat("é", maxField)); len(got) > maxField || !strings.HasPrefix(got, "é") {
		t.Errorf("a long field: %d bytes", len(got))
	}
}

// In the narration, the init's file is a copy of the terminal's, which the
// caller closes without closing the terminal.
func TestChildFileOfTheNarration(t *testing.T) {
	terminal, err := os.Create(filepath.Join(t.TempDir(), "terminal"))
	if err != nil {
		t.Fatal(err)
	}
	defer terminal.Close()
	tr := New(terminal)
	f, err := tr.ChildFile()
	if err != nil || f == nil || f.Fd() == terminal.Fd() {
		t.Fatalf("ChildFile = %v, %v: want a copy of %s", f, err, terminal.Name())
	}
	FromConfig(f, tr.Config()).Note("from the init", "true")
	f.Close()
	tr.Note("from the parent", "true")
	data, err := os.ReadFile(terminal.Name())
	if err != nil {
		t.Fatal(err)
	}
	if lines := steps(string(data)); len(lines) != 2 || !strings.Contains(lines[0], "from the init") || !strings.Contains(lines[1], "from the parent") {
		t.Errorf("the terminal:\n%s", data)
	}
}
