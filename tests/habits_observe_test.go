package tests

// Issue 17's habits of a docker user who reads back what containers did:
// logs of a foreground run (--since/--until), cp to and from a tar stream,
// stats that stream with CPU % and count OOM kills, ps's PORTS, --filter
// and -s, images -q, and inspect in docker's shape.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// observeOneLine checks that a command failed with exactly this one-line error.
func (e *env) observeOneLine(want string, code int, args ...string) {
	e.t.Helper()
	_, stderr, got := e.run(args...)
	if got != code || strings.TrimRight(stderr, "\n") != want {
		e.t.Errorf("kobako %s: exit %d, stderr %q; want exit %d, %q", strings.Join(args, " "), got, stderr, code, want)
	}
}

// A foreground run keeps its output, as docker does: logs shows stdout and
// stderr apart, --since and --until choose by time; --rm keeps nothing.
func TestHabitsForegroundLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// stdout and stderr come through two pipes: the pause keeps "more" the
	// last line logged, which --tail 1 reads back
	stdout, stderr, code := e.run("run", "--name", "fg", "busybox", "sh", "-c", "echo out; echo err >&2; sleep 0.3; echo more")
	if code != 0 || stdout != "out\nmore\n" || stderr != "err\n" {
		t.Fatalf("run in the foreground: exit %d, stdout %q, stderr %q: it must still show its output", code, stdout, stderr)
	}
	for _, tc := range []struct {
		args           []string
		stdout, stderr string
	}{
		{[]string{"logs", "fg"}, "out\nmore\n", "err\n"},
		{[]string{"logs", "--tail", "1", "fg"}, "more\n", ""},
		{[]string{"logs", "--since", "10m", "fg"}, "out\nmore\n", "err\n"},
		{[]string{"logs", "--since", "2099-01-01", "fg"}, "", ""},
		{[]string{"logs", "--until", "1h", "fg"}, "", ""}, // before an hour ago: nothing
		{[]string{"logs", "--until", time.Now().Add(time.Hour).Format(time.RFC3339), "fg"}, "out\nmore\n", "err\n"},
		{[]string{"logs", "-f", "fg"}, "out\nmore\n", "err\n"}, // stopped: -f ends at once
	} {
		stdout, stderr, code := e.run(tc.args...)
		if code != 0 || stdout != tc.stdout || stderr != tc.stderr {
			t.Errorf("kobako %s: exit %d, stdout %q, stderr %q; want %q, %q", strings.Join(tc.args, " "), code, stdout, stderr, tc.stdout, tc.stderr)
		}
	}
	stamped := e.mustRun("logs", "-t", "fg")
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out\n`).MatchString(stamped) {
		t.Errorf("logs -t: %q, want an RFC 3339 time before each line", stamped)
	}
	e.observeOneLine(`kobako: --since "yesterday": give a time like 2026-11-25T20:57:46Z or 2026-11-25, seconds since 1970, or a duration back from now like 10m or 1h30m`,
		1, "logs", "--since", "yesterday", "fg")

	// With -t the pty's output is one stream, kept as it came out.
	if out := e.mustRun("run", "-t", "--name", "tt", "busybox", "echo", "on a tty"); out != "on a tty\r\n" {
		t.Errorf("run -t: %q", out)
	}
	if out := e.mustRun("logs", "tt"); out != "on a tty\r\n" {
		t.Errorf("logs of a run -t: %q", out)
	}
	// A second run appends: the log is the container's, not the run's.
	e.mustRun("start", "-a", "fg")
	if out := e.mustRun("logs", "fg"); out != "out\nmore\nout\nmore\n" {
		t.Errorf("logs after start -a: %q, want both runs", out)
	}
}

// cp CTR:PATH - writes a tar; cp - CTR:DIR unpacks one, refusing an entry
// that would land outside DIR.
func TestHabitsCpStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "box", "busybox", "sleep", "1000")
	e.waitRunning("box")

	in := observeTar(t, map[string]string{"site/index.html": "hello\n", "site/a/b.txt": "b\n"})
	if stdout, stderr, code := e.runWithInput(bytes.NewReader(in), "cp", "-", "box:/tmp"); code != 0 {
		t.Fatalf("cp - box:/tmp: exit %d: %s%s", code, stdout, stderr)
	}
	if got := e.mustRun("exec", "box", "cat", "/tmp/site/index.html", "/tmp/site/a/b.txt"); got != "hello\nb\n" {
		t.Errorf("after cp -: the files hold %q", got)
	}
	files := observeUntar(t, e.mustRun("cp", "box:/tmp/site", "-"))
	for name, want := range map[string]string{"site/index.html": "hello\n", "site/a/b.txt": "b\n", "site/a/": ""} {
		if got, ok := files[name]; !ok || got != want {
			t.Errorf("cp box:/tmp/site -: %s is %q (there: %v), want %q; all: %v", name, got, ok, want, files)
		}
	}
	if files := observeUntar(t, e.mustRun("cp", "box:/tmp/site/.", "-")); files["index.html"] != "hello\n" || files["a/b.txt"] != "b\n" {
		t.Errorf("cp box:/tmp/site/. -: %v, want the directory's contents", files)
	}

	// The hostile tarballs import refuses, refused here the same way.
	evil := observeTar(t, map[string]string{"../../../../../tmp/kobako-cp-escape": "pwned\n"})
	_, stderr, code := e.runWithInput(bytes.NewReader(evil), "cp", "-", "box:/tmp")
	want := `kobako: unpack into /tmp in container box: refusing tar entry "../../../../../tmp/kobako-cp-escape": path escapes the image root`
	if code != 1 || strings.TrimRight(stderr, "\n") != want {
		t.Errorf("cp - of a tar with ../: exit %d, %q; want 1, %q", code, stderr, want)
	}
	if _, err := os.Lstat("/tmp/kobako-cp-escape"); err == nil {
		t.Errorf("cp - wrote /tmp/kobako-cp-escape on the host")
	}
	e.observeOneLine("kobako: no directory /nowhere in container box: cp - unpacks into a directory that exists", 1, "cp", "-", "box:/nowhere")
	e.observeOneLine("kobako: /etc/passwd in container box is not a directory: cp - unpacks into a directory", 1, "cp", "-", "box:/etc/passwd")
	e.observeOneLine("kobako: no such file or directory in container box: /nope", 1, "cp", "box:/nope", "-")
}

// observeTar makes a tar stream of files (name → content).
func observeTar(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, content)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// observeUntar reads a tar stream: regular files with their content, directories
// with a trailing "/".
func observeUntar(t *testing.T, stream string) map[string]string {
	t.Helper()
	files := map[string]string{}
	tr := tar.NewReader(strings.NewReader(stream))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("not a tar stream: %v", err)
		}
		data, _ := io.ReadAll(tr)
		name := hdr.Name
		if hdr.Typeflag == tar.TypeDir {
			name = strings.TrimSuffix(name, "/") + "/"
		}
		files[name] = string(data)
	}
}

// stats: CPU % from the cgroup's counter over a second, redrawn every
// second, --no-stream once; the OOM killer's kills counted.
func TestHabitsStats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "hog", "--cpus", "0.5", "busybox", "sh", "-c", "while :; do :; done")
	// A process of the container, not its PID 1, meets the limit.
	e.mustRun("run", "-d", "--name", "oom", "--memory", "10m", "busybox", "sh", "-c",
		"exec 2>/dev/null; head -c 50m /dev/zero | tail; sleep 1000")
	e.waitRunning("hog")
	e.waitRunning("oom")
	const header = "NAME CPU % MEM USAGE / LIMIT MEM % MEM PEAK CPU TIME THROTTLED OOM KILLS PIDS"
	rows := func(out string) map[string][]string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if strings.Join(strings.Fields(lines[0]), " ") != header {
			t.Fatalf("stats header %q, want %q", lines[0], header)
		}
		byName := map[string][]string{}
		for _, l := range lines[1:] {
			f := strings.Fields(l)
			byName[f[0]] = f
		}
		return byName
	}
	var got map[string][]string
	waitFor(t, "the OOM killer in container oom", func() bool {
		got = rows(e.mustRun("stats", "--no-stream", "hog", "oom"))
		f := got["oom"]
		return len(f) > 5 && f[len(f)-5] == "1" // … OOM KILLS, then PIDS "2 / no limit"
	})
	cpu, err := strconv.ParseFloat(strings.TrimSuffix(got["hog"][1], "%"), 64)
	if err != nil || cpu < 30 || cpu > 60 {
		t.Errorf("stats: hog's CPU %% is %q, want about 50 (--cpus 0.5)", got["hog"][1])
	}

	// Streaming: a table a second, until ^C.
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	out, _ := e.command(ctx, "stats", "hog").Output()
	if n := strings.Count(string(out), "NAME "); n < 2 || n > 4 {
		t.Errorf("stats for 3.5 s printed %d tables, want one a second:\n%s", n, out)
	}
}

// ps: PORTS as docker writes them, --filter, -s; images -q.
func TestHabitsPsFilterPortsSize(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "web", "--network", "bridge", "-p", "127.0.0.1:18317:80", "--label", "app=web",
		"busybox", "httpd", "-f", "-p", "80")
	e.mustRun("run", "--name", "done", "--label", "app=batch", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /big")
	e.waitRunning("web")
	if got := strings.TrimSpace(e.mustRun("ps", "--format", "{{.Names}} {{.Ports}}")); got != "web 127.0.0.1:18317->80/tcp" {
		t.Errorf("ps --format '{{.Names}} {{.Ports}}': %q", got)
	}
	if line := e.psLine("web"); !strings.Contains(line, " 127.0.0.1:18317->80/tcp ") {
		t.Errorf("ps: no PORTS in %q", line)
	}
	for _, tc := range []struct {
		filters []string
		want    string
	}{
		{[]string{"status=exited"}, "done"},
		{[]string{"status=running"}, "web"},
		{[]string{"name=we"}, "web"},
		{[]string{"label=app=batch"}, "done"},
		{[]string{"label=app"}, "done web"},
		{[]string{"ancestor=busybox"}, "done web"},
		{[]string{"ancestor=busybox:latest", "status=exited"}, "done"},
		{[]string{"name=web", "name=done"}, "done web"}, // one key twice: either
		{[]string{"name=web", "status=exited"}, ""},     // two keys: both
	} {
		args := []string{"ps", "-a", "--format", "{{.Names}}"}
		for _, f := range tc.filters {
			args = append(args, "--filter", f)
		}
		names := strings.Fields(e.mustRun(args...))
		slices.Sort(names)
		if got := strings.Join(names, " "); got != tc.want {
			t.Errorf("ps --filter %v: %q, want %q", tc.filters, got, tc.want)
		}
	}
	// A status filter shows stopped containers without -a, as docker's.
	if got := strings.TrimSpace(e.mustRun("ps", "--filter", "status=exited", "--format", "{{.Names}}")); got != "done" {
		t.Errorf("ps --filter status=exited: %q", got)
	}
	e.observeOneLine(`kobako: --filter "colour=red": kobako ps filters by status, name, label, ancestor or id`, 1, "ps", "--filter", "colour=red")
	e.observeOneLine(`kobako: --filter "status=sleeping": a status is created, running, paused or exited`, 1, "ps", "--filter", "status=sleeping")

	out := e.mustRun("ps", "-a", "-s")
	if header := strings.SplitN(out, "\n", 2)[0]; !strings.HasSuffix(strings.TrimSpace(header), "NAMES   SIZE") {
		t.Errorf("ps -s header %q, want … NAMES SIZE", header)
	}
	size := regexp.MustCompile(`done\s+(\d+(\.\d+)?\s?[kM]B) \(virtual [\d.]+\s?MB\)`).FindStringSubmatch(out)
	if size == nil {
		t.Errorf("ps -a -s: no SIZE (virtual …) for done, whose layer holds 100 kB:\n%s", out)
	}
	if images := strings.Fields(e.mustRun("images", "-q")); len(images) != 1 || images[0] != "busybox" {
		t.Errorf("images -q: %v, want [busybox]", images)
	}
}

// inspect answers docker's templates, and keeps kobako's own keys.
func TestHabitsInspectDockerShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "nb-c", "--memory", "10m", "--cpus", "0.5", "-e", "FOO=bar",
		"-u", "1000:1000", "-v", t.TempDir()+":/data:ro", "--network", "bridge", "busybox", "sleep", "1000"))
	in := e.waitRunning("nb-c")
	format := "{{.Id}} {{.Name}} {{.State.Pid}} {{.State.Status}} {{.State.Running}} {{.Config.User}} {{.Config.Image}} " +
		"{{join .Config.Cmd \",\"}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{len .Mounts}} {{(index .Mounts 0).Destination}} {{(index .Mounts 0).RW}}"
	want := strings.Join([]string{id, "nb-c", strconv.Itoa(in.Pid), "running", "true", "1000:1000", "busybox",
		"sleep,1000", "10485760", "500000000", "1", "/data", "false"}, " ")
	if got := strings.TrimSpace(e.mustRun("inspect", "--format", format, "nb-c")); got != want {
		t.Errorf("inspect --format:\n got %q\nwant %q", got, want)
	}
	if env := e.mustRun("inspect", "--format", "{{json .Config.Env}}", "nb-c"); !strings.Contains(env, `"FOO=bar"`) {
		t.Errorf("{{json .Config.Env}}: %s", env)
	}
	var state struct {
		Status    string
		Pid       int
		StartedAt time.Time
	}
	if err := json.Unmarshal([]byte(e.mustRun("inspect", "--format", "{{json .State}}", "nb-c")), &state); err != nil ||
		state.Status != "running" || state.Pid != in.Pid || time.Since(state.StartedAt) > time.Minute {
		t.Errorf("{{json .State}}: %+v, %v", state, err)
	}
	// kobako's own keys, as the tutorial and the tests read them.
	net := e.netInspect("nb-c")
	ip := strings.TrimSpace(e.mustRun("inspect", "--format", "{{.NetworkSettings.IPAddress}}", "nb-c"))
	if net.Network.IP == "" || ip != net.Network.IP || in.Status != "running" || len(in.Namespaces) == 0 || in.Overlay.Upper == "" || in.Bundle == "" {
		t.Errorf("inspect: kobako's keys ip %q (docker's %q), status %q, namespaces %v, overlay %+v, bundle %q",
			net.Network.IP, ip, in.Status, in.Namespaces, in.Overlay, in.Bundle)
	}
	var raw []map[string]any
	json.Unmarshal([]byte(e.mustRun("inspect", "nb-c")), &raw)
	if cg, _ := raw[0]["cgroup"].(map[string]any); cg == nil || cg["path"] == "" {
		t.Errorf("inspect: no cgroup.path in %v", raw[0]["cgroup"])
	}

	e.mustRun("stop", "-t", "0", "nb-c")
	if got := strings.TrimSpace(e.mustRun("inspect", "--format", "{{.State.Status}} {{.State.Pid}} {{.State.ExitCode}}", "nb-c")); got != "exited 0 137" {
		t.Errorf("inspect after stop: %q, want exited 0 137", got)
	}
}

// A message names the container as the person typed it, not by its id.
func TestHabitsNameInMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--name", "nb-c", "busybox", "true")
	for _, args := range [][]string{{"exec", "nb-c", "true"}, {"kill", "nb-c"}} {
		_, stderr, _ := e.run(args...)
		if !strings.Contains(stderr, "container nb-c is not running") || regexp.MustCompile(`[0-9a-f]{12}`).MatchString(stderr) {
			t.Errorf("kobako %s: %q, want the name nb-c, not the id", strings.Join(args, " "), stderr)
		}
	}
}
