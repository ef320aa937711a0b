package tests

// kobako cp: files both ways between the host and a running or a stopped
// container, with modes, owners, times and symlinks; and the lesson of
// CVE-2018-15664 (security-tests.md B9): a symlink planted in the container,
// or swapped in while cp works, never makes kobako read or write a host file.

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hostTree makes a small tree to copy: a file with an owner, a mode and a
// time of its own, a script in a subdirectory, a relative symlink, an empty
// directory.
func hostTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tree")
	for _, d := range []string{"sub", "empty"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := []struct {
		name, data string
		mode       os.FileMode
	}{{"a.txt", "alpha\n", 0o640}, {"sub/run.sh", "#!/bin/sh\necho hi\n", 0o755}}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, f.mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../a.txt", filepath.Join(dir, "sub", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(dir, "a.txt"), 1234, 5678); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	// Times last: filling a directory changes its mtime.
	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	for _, name := range []string{"a.txt", "sub/run.sh", "empty", "sub", "."} {
		if err := os.Chtimes(filepath.Join(dir, name), past, past); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// listing describes every entry under dir: name, type and mode, owner,
// mtime, and the content or the link target.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(dir, path)
		what := ""
		switch {
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			what = strconv.Quote(string(data))
		case fi.Mode()&fs.ModeSymlink != 0:
			what, err = os.Readlink(path)
		}
		lines = append(lines, fmt.Sprintf("%s %v %d:%d %s %s", rel, fi.Mode(), st.Uid, st.Gid,
			fi.ModTime().UTC().Format(time.RFC3339Nano), what))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// sameTree fails the test unless got lists as want does.
func sameTree(t *testing.T, what, got, want string) {
	t.Helper()
	g, w := listing(t, got), listing(t, want)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s:\n%s\nwant (as %s):\n%s", what, strings.Join(g, "\n"), want, strings.Join(w, "\n"))
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Host → running container → host: a file and a tree, seen from inside with
// exec, and copied back out unchanged.
func TestCpRunning(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "r", "busybox", "sh", "-c", "echo made > /made; sleep 1000")
	e.waitRunning("r")
	waitFor(t, "/made in r", func() bool { _, _, code := e.run("exec", "r", "test", "-f", "/made"); return code == 0 })
	tree := hostTree(t)

	// A file into an existing directory, with its mode, owner and time.
	e.mustRun("cp", filepath.Join(tree, "a.txt"), "r:/tmp/")
	want := fmt.Sprintf("640 1234:5678 %d alpha", time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC).Unix())
	if got := strings.TrimSpace(e.mustRun("exec", "r", "sh", "-c", "stat -c '%a %u:%g %Y' /tmp/a.txt | tr '\\n' ' '; cat /tmp/a.txt")); got != want {
		t.Errorf("a.txt in the container: %q, want %q", got, want)
	}
	// A tree to a missing name: created under that name.
	e.mustRun("cp", tree, "r:/srv")
	if got := strings.TrimSpace(e.mustRun("exec", "r", "sh", "-c", "readlink /srv/sub/link; stat -c %a /srv/sub/run.sh; /srv/sub/run.sh")); got != "../a.txt\n755\nhi" {
		t.Errorf("the tree in the container: %q", got)
	}
	// … and back out, unchanged; the symlink stays a symlink.
	out := t.TempDir()
	e.mustRun("cp", "r:/srv", filepath.Join(out, "back"))
	sameTree(t, "tree copied in and out", filepath.Join(out, "back"), tree)
	// A file the container made; CONTAINER:/dir/ into an existing directory
	// goes inside it; CONTAINER:/dir/. brings its contents.
	e.mustRun("cp", "r:/made", out)
	if got := readString(t, filepath.Join(out, "made")); got != "made\n" {
		t.Errorf("made = %q", got)
	}
	e.mustRun("cp", "r:/srv/", out)
	sameTree(t, "cp r:/srv/ into an existing dir", filepath.Join(out, "srv"), tree)
	contents := filepath.Join(out, "contents")
	if err := os.Mkdir(contents, 0o755); err != nil {
		t.Fatal(err)
	}
	e.mustRun("cp", "r:/srv/sub/.", contents)
	if got := treeOf(t, contents); strings.Join(got, " ") != ". link run.sh" {
		t.Errorf("cp r:/srv/sub/. dir: %v, want the contents of sub", got)
	}
}

// A stopped container has no mounted root: kobako mounts its layers where
// only it sees them. Reads honour the overlay's whiteouts and opaque
// directories; writes land in the container's layer and are there when it
// starts again.
func TestCpStopped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	script := `rm -f /etc/group; rm -rf /home; mkdir /home; echo new > /home/only; echo made > /made; cat /srv/a.txt 2>/dev/null || echo none`
	if out := e.mustRun("run", "--name", "s", "busybox", "sh", "-c", script); out != "none\n" {
		t.Fatalf("first run: %q", out)
	}
	out := t.TempDir()
	e.mustRun("cp", "s:/made", out)                            // the container's layer
	e.mustRun("cp", "s:/etc/passwd", filepath.Join(out, "pw")) // the image below
	if got := readString(t, filepath.Join(out, "made")); got != "made\n" {
		t.Errorf("made = %q", got)
	}
	if got := readString(t, filepath.Join(out, "pw")); !strings.HasPrefix(got, "root:x:0:0:") {
		t.Errorf("/etc/passwd = %q", got)
	}
	// /etc/group is whited out, /home was made opaque.
	_, stderr, code := e.run("cp", "s:/etc/group", out)
	if code != 1 {
		t.Errorf("cp of a deleted file: exit %d, want 1", code)
	}
	checkOneLineError(t, stderr, "no such file or directory in container s: /etc/group")
	e.mustRun("cp", "s:/home", out)
	if got := treeOf(t, filepath.Join(out, "home")); strings.Join(got, " ") != ". only" {
		t.Errorf("cp s:/home: %v, want only the container's own file", got)
	}

	tree := hostTree(t)
	e.mustRun("cp", tree, "s:/srv")
	e.mustRun("cp", "s:/srv", filepath.Join(out, "back"))
	sameTree(t, "tree copied into a stopped container and out", filepath.Join(out, "back"), tree)
	upper := e.inspect("s").Overlay.Upper
	if got := readString(t, filepath.Join(upper, "srv", "a.txt")); got != "alpha\n" {
		t.Errorf("the container's layer has srv/a.txt = %q", got)
	}
	if stdout, stderr, code := e.run("start", "-a", "s"); stdout != "alpha\n" || code != 0 {
		t.Errorf("start -a s: %q, exit %d, stderr %s; want the copied file", stdout, code, stderr)
	}
}

// plantLinks is the script that plants the links into a container.
func plantLinks(marker string) string {
	return fmt.Sprintf("ln -s %s /abs; ln -s ../../..%s /rel; ln -s /tmp /d; ln -s /etc /x", marker, marker)
}

// plantLinksIn makes the container name, which plants the links to marker
// and then keeps running, or stops.
func (e *env) plantLinksIn(name, marker string, running bool) {
	e.t.Helper()
	if !running {
		e.mustRun("run", "--name", name, "busybox", "sh", "-c", plantLinks(marker))
		return
	}
	e.mustRun("run", "-d", "--name", name, "busybox", "sh", "-c", plantLinks(marker)+"; sleep 1000")
	waitFor(e.t, "the links in "+name, func() bool { _, _, code := e.run("exec", name, "test", "-L", "/x"); return code == 0 })
}

// Symlinks planted in the container, to a host marker (absolute and
// relative) and to directories: reading through them never yields the
// marker, writing through them never touches it nor anything else on the
// host. The same for a running container (its /proc/<pid>/root) and a
// stopped one (its layers, mounted by kobako).
func TestCpPlantedSymlinks(t *testing.T) {
	t.Parallel()
	for _, running := range []bool{true, false} {
		name := map[bool]string{true: "running", false: "stopped"}[running]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			marker, content := writeMarker(t)
			before, beside := stateOf(t, marker), treeOf(t, filepath.Dir(marker))
			e.plantLinksIn("p", marker, running)
			checkReadThroughLinks(t, e, marker, content)
			checkWriteThroughLinks(t, e)
			if after := stateOf(t, marker); after != before {
				t.Errorf("the marker changed: %+v, was %+v", after, before)
			}
			if after := treeOf(t, filepath.Dir(marker)); strings.Join(after, " ") != strings.Join(beside, " ") {
				t.Errorf("the marker's directory changed: %v, was %v", after, beside)
			}
		})
	}
}

// checkReadThroughLinks: cp p:/abs copies the symlink itself (or refuses);
// with a trailing "/" the link is followed inside the container, where the
// marker's path does not exist.
func checkReadThroughLinks(t *testing.T, e *env, marker, content string) {
	t.Helper()
	for _, src := range []string{"/abs", "/rel", "/abs/", "/rel/"} {
		out := filepath.Join(t.TempDir(), "out")
		_, stderr, code := e.run("cp", "p:"+src, out)
		fi, err := os.Lstat(out)
		switch {
		case code != 0:
			checkOneLineError(t, stderr) // refused: fine
		case err != nil:
			t.Errorf("cp p:%s out succeeded and made nothing", src)
		case fi.Mode()&fs.ModeSymlink == 0:
			if fi.Mode().IsRegular() && readString(t, out) == content {
				t.Errorf("cp p:%s read the host marker %s", src, marker)
			} else {
				t.Errorf("cp p:%s made a %v, want the symlink itself", src, fi.Mode())
			}
		}
	}
}

// checkWriteThroughLinks: cp into /abs and /rel replaces the links in the
// container; /d/NAME and /x/NAME land in the container's /tmp and /etc.
func checkWriteThroughLinks(t *testing.T, e *env) {
	t.Helper()
	unique := "kobako-cp-" + randomHex(t)
	payload := filepath.Join(t.TempDir(), unique)
	if err := os.WriteFile(payload, []byte("payload\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dst := range []string{"/abs", "/rel", "/d/", "/x/"} {
		if _, stderr, code := e.run("cp", payload, "p:"+dst); code != 0 {
			t.Errorf("cp payload p:%s: exit %d, %s", dst, code, stderr)
		}
	}
	for _, host := range []string{"/tmp/" + unique, "/etc/" + unique, "/" + unique} {
		if _, err := os.Lstat(host); err == nil {
			os.Remove(host)
			t.Errorf("cp into the container wrote %s on the host", host)
		}
	}
	// Inside the container: the links replaced, the files in its /tmp and /etc.
	out := t.TempDir()
	for i, src := range []string{"/abs", "/rel", "/tmp/" + unique, "/etc/" + unique} {
		dst := filepath.Join(out, strconv.Itoa(i))
		e.mustRun("cp", "p:"+src, dst)
		if fi, err := os.Lstat(dst); err != nil || !fi.Mode().IsRegular() || readString(t, dst) != "payload\n" {
			t.Errorf("p:%s after the copy: %v %v, want the payload", src, fi, err)
		}
	}
}

// The race of CVE-2018-15664: while the container swaps /w/d (a directory)
// and /w/l (a symlink to /) with renameat2(RENAME_EXCHANGE), the host runs
// cp FILE ctr:/w/d/ again and again. Whatever wins, the file lands in the
// container — in /w/d or in its own / — never in the host's /.
func TestCpSymlinkExchangeRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "race", "busybox", "sh", "-c", "mkdir -p /w/d && ln -s / /w/l && sleep 1000")
	init := e.waitRunning("race")
	w := fmt.Sprintf("/proc/%d/root/w", init.Pid)
	waitFor(t, "/w/l in the container", func() bool { _, err := os.Lstat(w + "/l"); return err == nil })
	// The container's side of the race, played from outside: renameat2 in
	// its /w, which is the container's own file system.
	dir, err := os.Open(w)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	var stop atomic.Bool
	var swaps atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if unix.Renameat2(int(dir.Fd()), "d", int(dir.Fd()), "l", unix.RENAME_EXCHANGE) == nil {
				swaps.Add(1)
			}
		}
	}()
	unique := "kobako-race-" + randomHex(t)
	payload := filepath.Join(t.TempDir(), unique)
	if err := os.WriteFile(payload, []byte("payload\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		e.run("cp", payload, "race:/w/d/") // may fail when it meets the swap: only where it writes matters
		for _, host := range []string{"/" + unique, "/tmp/" + unique} {
			if _, err := os.Lstat(host); err == nil {
				os.Remove(host)
				t.Fatalf("round %d: cp into the container wrote %s on the host", i, host)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	if swaps.Load() == 0 {
		t.Errorf("no swap happened: the race was not run")
	}
	// Informational: when cp met the symlink, the file went to the
	// container's own "/" — the in-root resolution at work.
	_, err = os.Lstat(fmt.Sprintf("/proc/%d/root/%s", init.Pid, unique))
	t.Logf("%d swaps; the file reached the container's own / : %v", swaps.Load(), err == nil)
}

func TestCpErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "-d", "--name", "c", "busybox", "sleep", "1000")
	e.waitRunning("c")
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{file, filepath.Join(dir, "other")}, []string{"exactly one side is CONTAINER:PATH"}},
		{[]string{"c:/etc/passwd", "c:/tmp/"}, []string{"exactly one side is CONTAINER:PATH"}},
		{[]string{"c:/etc/passwd"}, []string{"a source and a destination"}},
		{[]string{"nosuch:/etc/passwd", dir}, []string{"no such container", "nosuch"}},
		{[]string{"c:/nothere", dir}, []string{"no such file or directory in container c: /nothere"}},
		{[]string{filepath.Join(dir, "nothere"), "c:/tmp"}, []string{"no such file or directory: " + filepath.Join(dir, "nothere")}},
		{[]string{dir, "c:/etc/passwd"}, []string{"cannot copy a directory onto a file in container c: /etc/passwd"}},
		{[]string{file, "c:/nodir/"}, []string{"no such directory in container c: /nodir/"}},
		{[]string{file, "c:"}, []string{"needs a path after"}},
	} {
		_, stderr, code := e.run(append([]string{"cp"}, tc.args...)...)
		if code != 1 {
			t.Errorf("cp %v: exit %d, want 1", tc.args, code)
		}
		checkOneLineError(t, stderr, tc.want...)
	}
}
