package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
)

// Which command line is runc's: what engines send (contract: the calls
// captured from containerd's shim, conmon and Docker) and what people type
// (tests/ covers these forms end to end).
func TestClassifyCommandLine(t *testing.T) {
	// "c1" and "abc" are engines' containers; "web" and "other" are a
	// person's, and "gone" is nobody's.
	engineIDs := map[string]bool{"c1": true, "abc": true}
	isEngine := func(root, dataRoot, id string) bool { return engineIDs[id] }
	for _, tc := range []struct {
		line   string
		engine bool
	}{
		// containerd's shim
		{"--root /run/containerd/runc/default --log /b/log.json --log-format json create --bundle /b --pid-file /b/init.pid x1", true},
		{"--root /run/containerd/runc/default --log /b/log.json --log-format json start x1", true},
		{"--root /r --log /b/log.json --log-format json delete --force x1", true},
		{"--root /r kill x1 9", true},
		{"--root /r kill --all x1 9", true},
		{"--root /r ps --format json x1", true},
		{"--root /r exec --process /tmp/runc-process1 --detach --pid-file /b/e1.pid x1", true},
		{"--root /r exec --process /p --console-socket /tmp/pty/pty.sock --detach --pid-file /p.pid x1", true},
		{"--root /r update --resources - x1", true},
		{"features", true},
		// podman's conmon: no --root, no --log
		{"create --bundle /b --pid-file /p x1", true},
		{"create -b /b x1", true},
		{"start c1", true},
		{"kill c1 15", true},
		{"kill c1", true},
		{"pause c1", true},
		{"resume x1", true},
		{"delete --force x1", true},
		{"exec --pid-file /p --process /p.json --detach x1", true},
		{"exec --detach --tty --console-socket /s --pid-file /p --process /p.json x1", true},
		{"state x1", true},
		{"list", true},
		{"spec --bundle /b", true},
		{"checkpoint x1", true},
		// by hand, runc's way
		{"--root /tmp/r run --bundle /b x1", true},
		{"run -b /b -d x1", true},
		{"events --stats c1", true},
		{"events c1", true},
		{"update --memory 20m c1", true},
		{"exec c1 ps", true},
		{"exec -t c1 sh", true},
		{"ps c1", true},
		{"--debug state x1", true},
		{"--systemd-cgroup create x1", true},
		{"kill gone 9", true},
		// people
		{"run --rm busybox echo hi", false},
		{"run -d --name x busybox sleep 100", false},
		{"run -it --rm -e A=1 busybox sh", false},
		{"create --name web busybox", false},
		{"start web", false},
		{"start -a web", false},
		{"kill web", false},
		{"kill -s HUP web", false},
		{"kill web other", false},
		{"exec web ls", false},
		{"exec -it web sh", false},
		{"exec -e A=1 -u nobody web id", false},
		{"pause web", false},
		{"pause web other", false},
		{"pause c1 web", false},
		{"start gone", false},
		{"exec gone ls", false},
		{"update --memory 20m web gone", false},
		{"unpause web", false},
		{"update --memory 20m web", false},
		{"update --cpus 0.5 --pids-limit 50 web", false},
		{"events", false},
		{"events --since 10m --until 0s", false},
		{"ps", false},
		{"ps -a --format json", false},
		{"ps -f status=exited", false},
		{"--root /tmp/r --data-root /tmp/d ps -a", false},
		{"--trace run --rm busybox true", false},
		{"images", false},
		{"", false},
		{"--version", false},
	} {
		args := append([]string{"kobako"}, strings.Fields(tc.line)...)
		if _, engine := classifyCommandLine(args, isEngine); engine != tc.engine {
			t.Errorf("kobako %s: engine form %v, want %v", tc.line, engine, tc.engine)
		}
	}
}

// readCommandLine skips flag values, so that a value is never taken for
// the verb or an id.
func TestReadCommandLine(t *testing.T) {
	args := strings.Fields("kobako --root /r --log-format json --trace exec -e A=1 -it --process=/p web ps -ef")
	line := readCommandLine(args, ociGlobalFlags(), func(string) []cli.Flag {
		return append(flagsOf(execCommand()), flagsOf(ociExecCommand())...)
	})
	if line.globals["root"] != "/r" || line.globals["log-format"] != "json" || line.verb != "exec" {
		t.Errorf("globals %v, verb %q", line.globals, line.verb)
	}
	for _, name := range []string{"e", "env", "i", "t", "tty", "process", "p"} {
		if !line.flags[name] {
			t.Errorf("flag %s not seen: %v", name, line.flags)
		}
	}
	if strings.Join(line.args, " ") != "web ps" {
		t.Errorf("args %q, want web ps (flags after the arguments end the reading)", line.args)
	}
}

// `kobako help oci [VERB]` and `kobako help VERB` of runc's verbs.
func TestOCIHelpArgs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"kobako help oci", "kobako --help"},
		{"kobako help oci create", "kobako create --help"},
		{"kobako help state", "kobako state --help"},
		{"kobako help run", ""},
		{"kobako help", ""},
	} {
		got, ok := ociHelpArgs(strings.Fields(tc.in))
		if strings.Join(got, " ") != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: %q %v, want %q", tc.in, got, ok, tc.want)
		}
	}
}
