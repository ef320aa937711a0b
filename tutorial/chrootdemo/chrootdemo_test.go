package chrootdemo_test

// The chroot demo, run for real as root: a static stand-in for
// kobako-tutor (testdata/tutor) is built once, and each test runs the demo
// with a command of its own, non-interactively, then looks at what came
// out — the demo's output, the escape report, the capabilities busybox
// reads from /proc/self/status — and at the host: no mount of the demo's
// may show in the host's mount table, during the demo or after it.

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/moby/sys/capability"

	"github.com/kobako/kobako/internal/testenv"
	"github.com/kobako/kobako/tutorial/chrootdemo"
)

// hostBusybox is what the demo's image is made from (busybox-static).
const hostBusybox = "/bin/busybox"

// tutor is the built stand-in for kobako-tutor, or "" if the build failed.
var tutor string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "chrootdemo-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "chrootdemo tests: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// go build ./testdata/tutor, static: the demo's image has no libc
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "tutor"), "./testdata/tutor")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "chrootdemo tests: go build ./testdata/tutor: %v\n%s", err, out)
		return 1
	}
	tutor = filepath.Join(dir, "tutor")
	return m.Run()
}

// requireDemo stops a test that needs root and a static busybox.
func requireDemo(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t, "the chroot demo makes namespaces and mounts")
	f, err := elf.Open(hostBusybox)
	if err != nil {
		testenv.Missing(t, fmt.Sprintf("a static busybox at %s (apt-get install busybox-static): %v", hostBusybox, err))
		return
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			testenv.Missing(t, hostBusybox+" is dynamically linked: apt-get install busybox-static")
		}
	}
}

// demo is one finished run of the demo.
type demo struct {
	result         chrootdemo.Result
	stdout, stderr string
}

// runDemo runs the demo with command and stdin, checks the host's mount
// table is untouched afterwards, and fails t if the demo could not start
// (with Errorf: it may run on a goroutine of its own).
func runDemo(t *testing.T, secret string, stdin io.Reader, command ...string) demo {
	t.Helper()
	before := hostMounts(t)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := chrootdemo.Run(ctx, chrootdemo.Options{
		Self: tutor, Busybox: hostBusybox, Secret: secret, Command: command,
		Stdin: stdin, Stdout: &stdout, Stderr: &stderr,
	})
	t.Logf("demo %q: exit %d\nstdout:\n%s\nstderr:\n%s", command, res.ExitCode, stdout.String(), stderr.String())
	if err != nil {
		t.Errorf("Run: %v", err)
	}
	checkMountsLeft(t, before)
	return demo{res, stdout.String(), stderr.String()}
}

func TestEscapeReachesMarker(t *testing.T) {
	requireDemo(t)
	d := runDemo(t, "hinoki", nil, "/usr/local/bin/escape")
	if d.result.ExitCode != 0 {
		t.Errorf("escape exited %d, want 0", d.result.ExitCode)
	}
	if !strings.Contains(d.stdout, "secret: hinoki") {
		t.Errorf("escape's output lacks the line secret: hinoki")
	}
	r := chrootdemo.ParseReport(d.result.Report)
	if !r.Marker || r.Secret != "hinoki" {
		t.Errorf("Result.Report = %q: want marker found and secret hinoki", d.result.Report)
	}
	for _, name := range []string{"README", "image", "marker.txt"} {
		if !slices.Contains(r.Listing, name) {
			t.Errorf("the climb's listing %q lacks %s: it did not reach the top", r.Listing, name)
		}
	}
	for _, loud := range []string{"UNSAFE DEMONSTRATION", "危険なデモ"} {
		if !strings.Contains(d.stderr, loud) {
			t.Errorf("the demo's banner lacks %q", loud)
		}
	}
}

func TestMarkerHiddenBeforeEscape(t *testing.T) {
	requireDemo(t)
	d := runDemo(t, "sugi", nil, "/bin/sh", "-c", "ls /; cat /marker.txt")
	if strings.Contains(d.stdout, "sugi") {
		t.Errorf("the marker is visible from inside the chroot without escaping")
	}
	if !strings.Contains(d.stderr, "No such file") {
		t.Errorf("cat /marker.txt did not fail with No such file")
	}
	for _, name := range []string{"bin", "proc", "tmp"} {
		if !strings.Contains(d.stdout, name) {
			t.Errorf("ls / in the image lacks %s", name)
		}
	}
	if d.result.Report != "" {
		t.Errorf("Result.Report = %q, want none: escape never ran", d.result.Report)
	}
}

// TestEscapedStillConfined runs a shell after the climb: it is at the top,
// and the top, the marker, the escape binary and /proc/sys stay read-only.
func TestEscapedStillConfined(t *testing.T) {
	requireDemo(t)
	script := `cd /; ls; cat /marker.txt
echo x > /marker.txt
echo x >> /image/usr/local/bin/escape
echo x > /image/proc/sys/kernel/hostname
cat /marker.txt`
	d := runDemo(t, "kusunoki", nil, "/usr/local/bin/escape", "/bin/sh", "-c", script)
	if n := strings.Count(d.stderr, "Read-only file system"); n != 3 {
		t.Errorf("%d writes failed with Read-only file system, want 3 (marker, escape, /proc/sys)", n)
	}
	if n := strings.Count(d.stdout, "secret: kusunoki"); n < 3 {
		t.Errorf("the marker's secret showed %d times, want 3 (escape, cat, cat again)", n)
	}
}

func TestDemoCapabilities(t *testing.T) {
	requireDemo(t)
	d := runDemo(t, "matsu", nil, "/bin/sh", "-c", "cat /proc/self/status; hostname")
	status := map[string]string{}
	for _, line := range strings.Split(d.stdout, "\n") {
		if key, value, ok := strings.Cut(line, ":"); ok {
			status[key] = strings.TrimSpace(value)
		}
	}
	want := []capability.Cap{capability.CAP_CHOWN, capability.CAP_DAC_OVERRIDE, capability.CAP_FOWNER, capability.CAP_SYS_CHROOT}
	for _, set := range []string{"CapEff", "CapPrm", "CapBnd"} {
		got := decodeCaps(t, status[set])
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", set, got, want)
		}
		if slices.Contains(got, capability.CAP_SYS_ADMIN) {
			t.Errorf("%s holds CAP_SYS_ADMIN", set)
		}
	}
	for _, set := range []string{"CapInh", "CapAmb"} {
		if got := decodeCaps(t, status[set]); len(got) != 0 {
			t.Errorf("%s = %v, want empty", set, got)
		}
	}
	if status["NoNewPrivs"] != "1" {
		t.Errorf("NoNewPrivs = %q, want 1", status["NoNewPrivs"])
	}
	if !strings.HasSuffix(strings.TrimSpace(d.stdout), "chroot-demo") {
		t.Errorf("the demo's hostname is not chroot-demo")
	}
}

// decodeCaps turns a /proc/<pid>/status mask (CapEff: 0000000000240009)
// into capability numbers.
func decodeCaps(t *testing.T, hex string) []capability.Cap {
	t.Helper()
	mask, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		t.Fatalf("capability mask %q: %v", hex, err)
	}
	var caps []capability.Cap
	for c := capability.Cap(0); c < 64; c++ {
		if mask&(1<<c) != 0 {
			caps = append(caps, c)
		}
	}
	return caps
}

// TestDemoInvisibleToHost holds the demo open and looks at the host's mount
// table meanwhile: the demo's mounts are its own.
func TestDemoInvisibleToHost(t *testing.T) {
	requireDemo(t)
	stdin, toDemo := io.Pipe()
	ready := make(chan demo, 1)
	go func() { ready <- runDemo(t, "kaede", stdin, "/bin/sh", "-c", "read x; echo done") }()
	// Look for a second, while the demo starts and waits on its stdin.
	for range 20 {
		if slices.ContainsFunc(hostMounts(t), isDemoMount) {
			t.Errorf("the host's mount table shows a demo mount while the demo runs")
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	io.WriteString(toDemo, "go\n")
	toDemo.Close()
	d := <-ready
	if !strings.Contains(d.stdout, "done") {
		t.Errorf("the demo did not run to its end")
	}
}

func TestEscapeWithoutCapSysChroot(t *testing.T) {
	requireDemo(t)
	for _, c := range []struct{ lang, want string }{
		{"C", "lacks CAP_SYS_CHROOT"},
		{"ja_JP.UTF-8", "CAP_SYS_CHROOT がない"},
	} {
		dir := t.TempDir()
		// capsh --drop=cap_sys_chroot -- -c escape
		cmd := exec.Command(tutor, "without-cap-sys-chroot")
		cmd.Dir = dir
		cmd.Env = []string{"LANG=" + c.lang}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		t.Logf("LANG=%s escape without CAP_SYS_CHROOT: %v\n%s", c.lang, err, stderr.String())
		if code := cmd.ProcessState.ExitCode(); code != 1 {
			t.Errorf("LANG=%s: escape exited %d, want 1", c.lang, code)
		}
		for _, want := range []string{"chroot .escape: operation not permitted", c.want} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("LANG=%s: escape's message lacks %q", c.lang, want)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, ".escape")); !os.IsNotExist(err) {
			t.Errorf("escape left .escape behind (%v)", err)
		}
	}
}

// Cancelling Run's context ends the demo — its PID 1, and with it the
// whole PID namespace — and Run says why.
func TestRunCancelled(t *testing.T) {
	requireDemo(t)
	before := hostMounts(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := chrootdemo.Run(ctx, chrootdemo.Options{
		Self: tutor, Busybox: hostBusybox, Secret: "nara",
		Command: []string{"/bin/sh", "-c", "sleep 100 & sleep 100"},
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run after its context's deadline: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run took %v to end a cancelled demo", d)
	}
	checkMountsLeft(t, before)
}

// With Terminal, the pty's slave end is the demo's controlling terminal:
// tty_nr, field 7 of /proc/self/stat, names it.
func TestRunOnTerminal(t *testing.T) {
	requireDemo(t)
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatalf("open a pty: %v", err)
	}
	defer master.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := chrootdemo.Run(ctx, chrootdemo.Options{
		Self: tutor, Busybox: hostBusybox, Secret: "momiji", Terminal: true,
		Command: []string{"/bin/sh", "-c", "cut -d' ' -f7 /proc/self/stat"},
		Stdin:   slave, Stdout: slave, Stderr: slave,
	})
	slave.Close()
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run on a pty: exit %d, %v", res.ExitCode, err)
	}
	out, _ := io.ReadAll(master) // ends with EIO once the slave is closed and drained
	lines := strings.Fields(string(out))
	if len(lines) == 0 || lines[len(lines)-1] == "0" {
		t.Errorf("the demo has no controlling terminal (tty_nr 0); output:\n%s", out)
	}
}

// The init refuses to run anywhere but as PID 1 of fresh namespaces, even
// with a config that would do. (It is given a mount namespace of its own
// all the same, so that a broken guard could not harm this host.)
func TestInitRefusesOutsideItsNamespaces(t *testing.T) {
	requireDemo(t)
	configR, configW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer configR.Close()
	fmt.Fprintf(configW, `{"busybox":%q,"secret":"ume","command":["/bin/true"]}`, hostBusybox)
	configW.Close()
	cmd := exec.Command(tutor, chrootdemo.InitCommand)
	cmd.ExtraFiles = []*os.File{configR}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "runs only as PID 1") {
		t.Errorf("%s outside a PID namespace: %v, %s; want a refusal", chrootdemo.InitCommand, err, out)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	for _, opts := range []chrootdemo.Options{
		{Busybox: hostBusybox, Secret: "x"},
		{Self: "tutor", Busybox: hostBusybox, Secret: ""},
		{Self: "tutor", Busybox: hostBusybox, Secret: "two words"},
	} {
		if _, err := chrootdemo.Run(context.Background(), opts); err == nil {
			t.Errorf("Run(%+v) = nil error", opts)
		}
	}
}

// hostMounts is this test process's mount table, the host's.
func hostMounts(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatalf("read mountinfo: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// isDemoMount says whether a mountinfo line is one of the demo's tmpfs.
func isDemoMount(line string) bool {
	return strings.Contains(line, "kobako-chroot-")
}

// checkMountsLeft fails t if a mount appeared since before that the demo
// could have made. Other mounts may come and go meanwhile (other tests on
// this machine), so only new ones that look like the demo's are an error:
// its tmpfs, or anything on /tmp's own path.
func checkMountsLeft(t *testing.T, before []string) {
	t.Helper()
	for _, line := range hostMounts(t) {
		if slices.Contains(before, line) {
			continue
		}
		fields := strings.Fields(line)
		if isDemoMount(line) || (len(fields) > 4 && fields[4] == "/tmp") {
			t.Errorf("a mount was left behind: %s", line)
		}
	}
}
