package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"
)

const (
	id     = "269a1cc31bcc131ea4de08e929fd39a7e836a779c3745176cca5100cf21f48ae"
	bundle = "/var/lib/kobako/containers/" + id
)

// named is a tracer that knows a container, as the container layer makes it.
func named(w *bytes.Buffer, m Mode) *Tracer {
	t := NewMode(w, m)
	t.Abbreviate("ID", id, id[:12])
	t.Abbreviate("CONTAINER", bundle)
	t.Abbreviate("ROOTFS", bundle+"/rootfs")
	return t
}

// steps are lines of the trace that are not headings or introductions.
func steps(out string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.Contains(l, "── ") && !strings.Contains(l, "=") {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestAbbreviations(t *testing.T) {
	cases := []struct{ shell, want string }{
		{"hostname " + id[:12], "hostname $ID"},
		{"mkdir /sys/fs/cgroup/memory/kobako/" + id, "mkdir /sys/fs/cgroup/memory/kobako/$ID"},
		{"mount -t proc proc " + bundle + "/rootfs/proc", "mount -t proc proc $ROOTFS/proc"},
		{"rm -rf " + bundle, "rm -rf $CONTAINER"},
		{"cat > " + bundle + "/hosts", "cat > $CONTAINER/hosts"},
		{"ls /var/lib/kobako/layers", "ls /var/lib/kobako/layers"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		named(&out, Mode{}).Note("step", c.shell)
		if strings.Contains(out.String(), id[:12]+id[12:]) {
			t.Errorf("%q: the whole id is still there:\n%s", c.shell, out.String())
		}
		lines := steps(out.String())
		if len(lines) != 1 || !strings.HasSuffix(lines[0], " "+c.want) {
			t.Errorf("%q: got %q, want a line ending in %q", c.shell, lines, c.want)
		}
	}
}

// Each name is spelt out once, before the first line that uses it, the
// names it is made of first; the id by its short form.
func TestIntroductions(t *testing.T) {
	var out bytes.Buffer
	tr := named(&out, Mode{})
	tr.Note("mount proc", "mount -t proc proc "+bundle+"/rootfs/proc")
	tr.Note("mount proc again", "mount -t proc proc $ROOTFS/proc")
	tr.Note("hostname", "hostname "+id[:12])
	got := out.String()
	want := []string{
		prefix + stepIndent + "ID=269a1cc31bcc…\n",
		prefix + stepIndent + "CONTAINER=/var/lib/kobako/containers/$ID\n",
		prefix + stepIndent + "ROOTFS=$CONTAINER/rootfs\n",
	}
	var intros []string
	for _, l := range strings.SplitAfter(got, "\n") {
		if strings.Contains(l, "=") && !strings.Contains(l, "mount") {
			intros = append(intros, l)
		}
	}
	if fmt.Sprint(intros) != fmt.Sprint(want) {
		t.Errorf("introductions %q, want %q; trace:\n%s", intros, want, got)
	}
	// A new value reuses the name, and is introduced again; the same one is not.
	tr.Abbreviate("ID", id, id[:12])
	other := strings.Repeat("ab", 32)
	tr.Abbreviate("ID", other, other[:12])
	out.Reset()
	tr.Note("hostname", "hostname "+other[:12])
	if !strings.Contains(out.String(), "ID=abababababab…") || !strings.HasSuffix(out.String(), "hostname $ID\n") {
		t.Errorf("a new id:\n%s", out.String())
	}
}

func TestChapterHeadings(t *testing.T) {
	cases := []struct{ where, function, want string }{
		{"runtime/initproc/hostname.go:24", "github.com/kobako/kobako/runtime/initproc.setHostname", chapterBuild},
		{"runtime/create.go:226", "github.com/kobako/kobako/runtime.(*Runtime).startInit", chapterNamespace},
		{"runtime/initproc/execve.go:214", "github.com/kobako/kobako/runtime/initproc.setUser", chapterCap},
		{"runtime/initproc/execve.go:120", "github.com/kobako/kobako/runtime/initproc.awaitStart", chapterBuild},
		{"runtime/seccomp/cache.go:10", "github.com/kobako/kobako/runtime/seccomp.Cached", chapterCap},
		{"cgroups/v1.go:58", "github.com/kobako/kobako/cgroups.(*v1).Join", chapterCgroup},
		{"rootfs/pivot_root.go:45", "github.com/kobako/kobako/rootfs.PivotRoot", chapterPivotRoot},
		{"rootfs/overlay.go:68", "github.com/kobako/kobako/rootfs.(*Overlay).mount", chapterCoW},
		{"rootfs/masks.go:114", "github.com/kobako/kobako/rootfs.maskPath", chapterBuild},
		{"image/import.go:130", "github.com/kobako/kobako/image.makeTree", chapterCoW},
		{"netns/veth.go:60", "github.com/kobako/kobako/netns.AddVeth", chapterNetwork},
		{"container/network_files.go:76", "github.com/kobako/kobako/container.(*Store).writeNetworkFiles", chapterNetwork},
		{"container/remove.go:64", "github.com/kobako/kobako/container.(*Store).removeLocked", chapterBuild},
		{"runtime/initproc/keyring.go:28", "github.com/kobako/kobako/runtime/initproc.joinSessionKeyring", ""},
		{"runtime/initproc/execve.go:123", "github.com/kobako/kobako/runtime/initproc.awaitStart", chapterBuild},
		{"runtime/initproc/execve.go:285", "github.com/kobako/kobako/runtime/initproc.setNoNewPrivs", chapterCap},
		{"runtime/initproc/namespaces.go:130", "github.com/kobako/kobako/runtime/initproc.unshareCgroup", chapterNamespace},
		{"runtime/initproc/keyring.go:28", "github.com/kobako/kobako/runtime/initproc.joinSessionKeyring", ""},
		{"runtime/initproc/hostname.go:26", "github.com/kobako/kobako/runtime/initproc.setHostname", chapterBuild},
		{"main.go:10", "main.main", ""},
	}
	for _, c := range cases {
		if got := chapterOf(c.where, c.function); got != c.want {
			t.Errorf("chapterOf(%s, %s) = %q, want %q", c.where, c.function, got, c.want)
		}
	}
}

// A heading opens a chapter, and again when the chapter changes; code
// outside the table stays in the chapter it is in. Each line shows the
// time since the previous one.
func TestHeadingsInTheTrace(t *testing.T) {
	var out bytes.Buffer
	tr := New(&out)
	now := tr.start
	for i, where := range []string{"rootfs/mounts.go:69", "rootfs/dev.go:134", "main.go:1", "rootfs/pivot_root.go:45", "rootfs/mounts.go:69"} {
		now += int64(i+1) * 250_000 // 0.25 ms, 0.5 ms …
		tr.write(line{step: "step", shell: "true"}, where, "", now)
	}
	want := prefix + "── " + chapterBuild + " ──\n" +
		prefix + "    0.25ms  step                                 rootfs/mounts.go:69          true\n" +
		prefix + "    0.50ms  step                                 rootfs/dev.go:134            true\n" +
		prefix + "    0.75ms  step                                 main.go:1                    true\n" +
		prefix + "── " + chapterPivotRoot + " ──\n" +
		prefix + "    1.00ms  step                                 rootfs/pivot_root.go:45      true\n" +
		prefix + "── " + chapterBuild + " ──\n" +
		prefix + "    1.25ms  step                                 rootfs/mounts.go:69          true\n"
	if got := out.String(); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
}

func TestSkip(t *testing.T) {
	cases := []struct {
		mode  Mode
		shown bool
	}{
		{Mode{}, false},
		{Mode{All: true}, true},
	}
	for _, c := range cases {
		var out bytes.Buffer
		tr := named(&out, c.mode)
		tr.Skip("skip /proc/kcore, which this kernel does not have", "test -e $ROOTFS/proc/kcore || continue")
		if got := strings.Contains(out.String(), "skip /proc/kcore"); got != c.shown {
			t.Errorf("mode %+v: skipped step shown %t, want %t:\n%s", c.mode, got, c.shown, out.String())
		}
		if c.shown && !strings.HasPrefix(steps(out.String())[0], prefix+"- ") {
			t.Errorf("mode %+v: a skipped step without its mark:\n%s", c.mode, out.String())
		}
	}
}

// Each line names the Go file and line that reported it — past helpers.
func TestFileAndLine(t *testing.T) {
	var out bytes.Buffer
	tr := New(&out)
	_, _, line, _ := goruntime.Caller(0)
	tr.Step("direct", "true", "unix.Nothing()", nil)
	helper := func() {
		tr.Helper()
		tr.Note("through a helper", "true")
	}
	helper() // line+5
	note := tr.Note
	note("as a method value", "true") // line+7
	lines := steps(out.String())
	for i, want := range []int{line + 1, line + 6, line + 8} {
		where := fmt.Sprintf("internal/trace/trace_test.go:%d ", want)
		if i >= len(lines) || !strings.Contains(lines[i], where) {
			t.Errorf("line %d does not name %s:\n%s", i, where, out.String())
		}
	}
}

func TestGoCall(t *testing.T) {
	fail := errors.New("operation not permitted")
	cases := []struct {
		mode       Mode
		shell      string
		call       string
		err        error
		want, lack string
	}{
		{Mode{}, "hostname $ID", `unix.Sethostname([]byte("x"))`, nil, "hostname $ID\n", "unix.Sethostname"},
		{Mode{}, "pivot_root . .", `unix.PivotRoot(".", ".")`, nil, "pivot_root . .\n", "unix.PivotRoot"},
		{Mode{}, "mkdir /sys/fs/cgroup/x", `os.Mkdir("/sys/fs/cgroup/x", 0o755)`, nil, "mkdir /sys/fs/cgroup/x\n", "os.Mkdir"},
		{Mode{}, "echo 1 > x", `os.WriteFile("x", "1")`, nil, "echo 1 > x  ← os.WriteFile\n", `("x"`},
		{Mode{}, "ip link set lo up", "netlink.LinkSetUp(lo)", nil, "← netlink.LinkSetUp\n", "(lo)"},
		{Mode{All: true}, "hostname $ID", `unix.Sethostname([]byte("x"))`, nil, "← unix.Sethostname([]byte(\"x\"))\n", ""},
		{Mode{}, "hostname $ID", `unix.Sethostname([]byte("x"))`, fail, "hostname $ID — operation not permitted\n", ""},
	}
	for _, c := range cases {
		var out bytes.Buffer
		NewMode(&out, c.mode).Step("step", c.shell, c.call, c.err)
		got := steps(out.String())[0]
		if !strings.HasSuffix(got+"\n", c.want) || c.lack != "" && strings.Contains(got, c.lack) {
			t.Errorf("%s with %+v: %q, want it to end in %q without %q", c.call, c.mode, got, c.want, c.lack)
		}
		if failed := strings.HasPrefix(got, prefix+"✗ "); failed != (c.err != nil) {
			t.Errorf("%s: marked failed %t, want %t: %q", c.call, failed, c.err != nil, got)
		}
	}
}

// The init gets the parent's mode and names through its config, as JSON.
func TestConfigRoundTrip(t *testing.T) {
	var parentOut, childOut bytes.Buffer
	parent := named(&parentOut, Mode{All: true})
	parent.Note("hostname", "hostname "+id[:12]) // tells $ID
	data, err := json.Marshal(parent.Config())
	if err != nil {
		t.Fatal(err)
	}
	var c *Config
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	child := FromConfig(&childOut, c)
	child.Skip("skip /x", "test -e x")
	child.Note("mount", "mount proc "+bundle+"/rootfs/proc")
	got := childOut.String()
	if strings.Contains(got, id[:12]) || !strings.Contains(got, "mount proc $ROOTFS/proc") || !strings.Contains(got, "skip /x") {
		t.Errorf("the child's trace:\n%s", got)
	}
	if strings.Contains(got, "  ID=") || !strings.Contains(got, "  ROOTFS=$CONTAINER/rootfs") {
		t.Errorf("the child introduces what the parent did not, only:\n%s", got)
	}
	if FromConfig(&childOut, nil) != nil || (*Tracer)(nil).Config() != nil {
		t.Error("a nil config is no trace, and no trace has no config")
	}
}

func TestParseMode(t *testing.T) {
	if m, err := ParseMode("all"); err != nil || !m.All || m.String() != "all" {
		t.Errorf(`ParseMode("all") = %+v, %v`, m, err)
	}
	if m, err := ParseMode("time"); err != nil || !m.Time || m.All || m.String() != "time" {
		t.Errorf(`ParseMode("time") = %+v, %v`, m, err)
	}
	if _, err := ParseMode("everything"); err == nil {
		t.Error(`ParseMode("everything") is no error`)
	}
	if (Mode{}).String() != "" {
		t.Error("the plain mode has a name")
	}
}

func TestShortenHex(t *testing.T) {
	cases := []struct{ in, want string }{
		{id, "269a1cc31bcc…"},
		{"/var/lib/kobako/layers/" + id, "/var/lib/kobako/layers/269a1cc31bcc…"},
		{"abc", "abc"},
		{id + "0", id + "0"}, // not 64 digits: not an id
	}
	for _, c := range cases {
		if got := shortenHex(c.in); got != c.want {
			t.Errorf("shortenHex(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestUsesName(t *testing.T) {
	cases := []struct {
		text string
		want bool
	}{
		{"hostname $ID", true},
		{"$ID/cgroup.procs", true},
		{"$IDMAP and $ID_X", false},
		{"$IDMAP then $ID.", true},
		{"no names", false},
	}
	for _, c := range cases {
		if got := usesName(c.text, "ID"); got != c.want {
			t.Errorf("usesName(%q) = %t, want %t", c.text, got, c.want)
		}
	}
}

func TestNilTracer(t *testing.T) {
	var tr *Tracer
	tr.Step("s", "sh", "call", nil)
	tr.Note("s", "sh")
	tr.Skip("s", "sh")
	tr.Helper()
	tr.Abbreviate("ID", id)
	tr.Mark(MarkExited)
	tr.Peak("init")
	tr.Finish()
	tr.Finish()
	if f, err := tr.ChildFile(); f != nil || err != nil {
		t.Errorf("a nil tracer's child file: %v, %v", f, err)
	}
	if tr.Enabled() || tr.File() != nil || tr.Mode().All || tr.Mode().Time {
		t.Error("a nil tracer is off")
	}
}
