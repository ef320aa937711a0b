package tests

// What a runtime hands its engine besides the container, driven as in
// oci_cli_test.go: the hooks, run in their order with the state on their
// stdin; the console socket, which receives the pty master; the JSON log,
// whose error lines containerd shows the user.
//
// Shell twin: runc --log log.json --log-format json create --console-socket
// /tmp/console.sock --bundle . c1 — see runc(8), and the OCI runtime spec's
// config.md "POSIX-platform Hooks".

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The six kinds of hook run in runc's order, each given the state on its
// stdin. Every hook appends its name to one file and saves its stdin; the
// file is bind-mounted at the same path inside the container, so the
// hooks that run there (startContainer) and the container's process
// itself write to it too.
func TestOCIHooks(t *testing.T) {
	t.Parallel()
	e := newOCIEngine(t)
	id := e.newID("hooks")
	dir := t.TempDir()
	order := filepath.Join(dir, "order")
	kinds := []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}
	bundle := e.bundle(id, []string{"sh", "-c", "echo main >> " + order}, func(s *specs.Spec) {
		hooks := map[string][]specs.Hook{}
		for _, kind := range kinds {
			hooks[kind] = []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c",
				fmt.Sprintf("cat > %s/%s.json; echo %s >> %s", dir, kind, kind, order)}}}
		}
		s.Hooks = &specs.Hooks{Prestart: hooks["prestart"], CreateRuntime: hooks["createRuntime"],
			CreateContainer: hooks["createContainer"], StartContainer: hooks["startContainer"],
			Poststart: hooks["poststart"], Poststop: hooks["poststop"]}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: dir, Type: "bind", Source: dir, Options: []string{"rbind", "rw"}})
	})
	lines := func() []string { return strings.Fields(readString(t, order)) }

	e.mustRun("create", "--bundle", bundle, id)
	pid := e.state(id).Pid
	if got, want := lines(), kinds[:3]; !slices.Equal(got, want) {
		// runc 1.1 runs poststart hooks at create (runc 1.2 fixed it):
		// the spec wants them after the container's process started
		if !runtimeIsKobako(e.name) && slices.Equal(got, append(want, "poststart")) {
			t.Logf("hooks run by create: %q — runc 1.1's early poststart", got)
		} else {
			t.Errorf("hooks run by create: %q, want %q", got, want)
		}
	}
	e.mustRun("start", id)
	e.waitStatus(id, "stopped")
	waitFor(t, "the poststart hook", func() bool { return slices.Contains(lines(), "poststart") })
	got := lines()
	// startContainer runs in the init, just before the execve of the
	// container's process; poststart is run by start, after the init was
	// told to go on — the two race, as in runc.
	if i, j := slices.Index(got, "startContainer"), slices.Index(got, "main"); i < 3 || j < i {
		t.Errorf("after start: %q, want startContainer after the create hooks and before main", got)
	}
	if i := slices.Index(got, "poststart"); i < 3 {
		t.Errorf("after start: %q, want poststart after the create hooks", got)
	}
	e.mustRun("delete", id)
	if got := lines(); len(got) != len(kinds)+1 || got[len(got)-1] != "poststop" {
		t.Errorf("after delete: %q, want each hook once, poststop last", got)
	}

	// What each hook read on its stdin. The pid is the init's as the host
	// sees it for the hooks run by the runtime; the hooks run in the
	// container may see it from inside its PID namespace, where it is 1.
	for kind, want := range map[string][]string{
		"prestart": {"creating"}, "createRuntime": {"creating"}, "createContainer": {"creating"},
		"startContainer": {"created", "running"}, "poststart": {"created", "running"}, "poststop": {"stopped"},
	} {
		var st ociState
		data := readString(t, filepath.Join(dir, kind+".json"))
		if err := json.Unmarshal([]byte(data), &st); err != nil {
			t.Errorf("%s hook's stdin is not the state JSON: %v\n%s", kind, err, data)
			continue
		}
		if st.ID != id || st.Bundle != bundle || !slices.Contains(want, st.Status) {
			t.Errorf("%s hook read %s, want id %s, bundle %s, status %q", kind, data, id, bundle, want)
		}
		switch kind {
		case "prestart", "createRuntime", "poststart":
			if st.Pid != pid {
				t.Errorf("%s hook read pid %d, want the init's %d", kind, st.Pid, pid)
			}
		case "createContainer", "startContainer":
			if st.Pid != pid && st.Pid != 1 {
				t.Errorf("%s hook read pid %d, want the init's %d (or 1, seen from inside)", kind, st.Pid, pid)
			}
		}
	}
}

// --console-socket: the runtime makes the container's pty and sends its
// master to the engine's unix socket as SCM_RIGHTS, as containerd's shim
// and conmon receive it; the container's output is read from that master.
func TestOCIConsoleSocket(t *testing.T) {
	t.Parallel()
	e := newOCIEngine(t)
	id := e.newID("console")
	bundle := e.bundle(id, []string{"sh", "-c", "tty; echo console-ok"}, func(s *specs.Spec) {
		s.Process.Terminal = true
	})
	socket := filepath.Join(t.TempDir(), "console.sock")
	masters := receiveFd(t, socket)

	e.mustRun("create", "--bundle", bundle, "--console-socket", socket, id)
	var master *os.File
	select {
	case master = <-masters:
	case <-time.After(commandTimeout):
		t.Fatalf("no fd arrived on the console socket")
	}
	defer master.Close()
	if _, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN); err != nil {
		t.Errorf("the fd received is not a pty master: TIOCGPTN: %v", err)
	}
	e.mustRun("start", id)
	master.SetReadDeadline(time.Now().Add(commandTimeout))
	out := readUntil(t, master, "console-ok")
	if lines := terminalLines(out); len(lines) < 2 || lines[0] != "/dev/pts/0" {
		t.Errorf("the container's terminal showed %q, want /dev/pts/0 then console-ok", out)
	}
	e.waitStatus(id, "stopped")
	e.mustRun("delete", id)
}

// receiveFd listens on a unix socket at path and sends on the channel the
// first fd that arrives there as SCM_RIGHTS.
func receiveFd(t *testing.T, path string) <-chan *os.File {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	fds := make(chan *os.File, 1)
	go func() {
		conn, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		defer conn.Close()
		name, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := conn.ReadMsgUnix(name, oob)
		if err != nil {
			return
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			return
		}
		if received, err := unix.ParseUnixRights(&msgs[0]); err == nil && len(received) == 1 {
			// non-blocking, so that Go's poller serves it and a read
			// deadline can bound the test's wait for output
			unix.SetNonblock(received[0], true)
			fds <- os.NewFile(uintptr(received[0]), "console master")
		}
	}()
	return fds
}

// --log FILE --log-format json: the lines containerd's shim reads back.
// Each is a JSON object with level, msg and time; an error's level is
// exactly "error", and an error of the container's init (a command that
// does not exist) reaches the log too — that is what ctr shows.
func TestOCILogJSON(t *testing.T) {
	t.Parallel()
	e := newOCIEngine(t)
	logFile := filepath.Join(t.TempDir(), "log.json")
	logged := tool{t: t, name: e.name, args: append(slices.Clone(e.args), "--log", logFile, "--log-format", "json")}

	if _, _, code := logged.run("start", "no-such-container"); code == 0 {
		t.Errorf("start of an unknown id: exit 0")
	}
	expectLoggedError(t, logFile, "does not exist")

	id := e.newID("nocmd")
	command := "/no-such-command-" + randomHex(t)[:6]
	bundle := e.bundle(id, []string{command}, nil)
	if _, _, code := logged.run("create", "--bundle", bundle, id); code == 0 {
		t.Errorf("create of a container whose command does not exist: exit 0")
	}
	expectLoggedError(t, logFile, command)
	e.refused("container does not exist", "state", id)
}

// expectLoggedError checks every line of a JSON log and finds an error
// whose msg holds words.
func expectLoggedError(t *testing.T, logFile, words string) {
	t.Helper()
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(readString(t, logFile)), "\n") {
		var entry struct{ Level, Msg, Time string }
		if err := json.Unmarshal([]byte(line), &entry); err != nil || entry.Level == "" || entry.Msg == "" {
			t.Errorf("log line is not {level, msg, time} JSON: %q (%v)", line, err)
			continue
		}
		if _, err := time.Parse(time.RFC3339, entry.Time); err != nil {
			t.Errorf("log line's time %q is not RFC 3339: %v", entry.Time, err)
		}
		found = found || entry.Level == "error" && strings.Contains(entry.Msg, words)
	}
	if !found {
		t.Errorf("no log line with level \"error\" mentions %q:\n%s", words, readString(t, logFile))
	}
}

// A createContainer hook may still write into a read-only root: runc
// makes the root read-only (and masks paths) after the hooks, and engines'
// hooks (a GPU's, a network's) rely on it. The hook runs in the
// container's mount namespace before pivot_root, where the bundle's rootfs
// path is the container's root; the container then reads what it wrote.
func TestOCIHooksBeforeReadOnlyRoot(t *testing.T) {
	t.Parallel()
	e := newOCIEngine(t)
	id := e.newID("hookro")
	hooked := filepath.Join(t.TempDir(), "rootfs-path")
	bundle := e.bundle(id, []string{"cat", "/hooked"}, func(s *specs.Spec) {
		s.Root.Readonly = true
		// The rootfs's absolute path is the bundle's, known once it exists:
		// the hook reads it from a file the test writes below.
		s.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/sh",
			Args: []string{"sh", "-c", "echo hooked > \"$(cat " + hooked + ")/hooked\""}}}}
	})
	if err := os.WriteFile(hooked, []byte(filepath.Join(bundle, "rootfs")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := e.mustRun("run", "--bundle", bundle, id); out != "hooked\n" {
		t.Errorf("the container read %q from /hooked, want what its createContainer hook wrote", out)
	}
}
