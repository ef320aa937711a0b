package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/runtime"
)

// The example config, and its rootless form, pass kobako's own checks: a
// bundle made with kobako spec runs.
func TestExampleSpecIsValid(t *testing.T) {
	spec, err := exampleSpec()
	if err != nil {
		t.Fatal(err)
	}
	if err := runtime.Validate(spec); err != nil {
		t.Errorf("kobako spec: %v", err)
	}
	toRootless(spec, 1000, 1000)
	if err := runtime.Validate(spec); err != nil {
		t.Errorf("kobako spec --rootless: %v", err)
	}
}

// spec writes config.json once and refuses to write over it.
func TestWriteNewConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	spec := &specs.Spec{Version: specs.Version}
	if err := writeNewConfig(path, spec); err != nil {
		t.Fatal(err)
	}
	if err := writeNewConfig(path, spec); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second write: %v, want a refusal", err)
	}
}

// update's flags become linux.resources with only what was given.
func TestResourcesFromOCIFlags(t *testing.T) {
	var got specs.LinuxResources
	cmd := ociUpdateCommand()
	cmd.Action = func(ctx context.Context, cmd *cli.Command) (err error) {
		got, err = resourcesFromOCIFlags(cmd)
		return err
	}
	args := strings.Fields("update --memory 20m --memory-swap -1 --cpu-quota 50000 --cpu-share 512 --pids-limit 50 --cpuset-cpus 0 c1")
	if err := cmd.Run(context.Background(), args); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(got)
	want := `{"memory":{"limit":20971520,"swap":-1},"cpu":{"shares":512,"quota":50000,"cpus":"0"},"pids":{"limit":50},"blockIO":{}}`
	if string(data) != want {
		t.Errorf("resources %s, want %s", data, want)
	}
}

// exec's flag form changes config.json's process as runc's does.
func TestExecProcessFromFlags(t *testing.T) {
	config := &specs.Spec{Process: &specs.Process{
		Terminal: true, Args: []string{"sh"}, Env: []string{"PATH=/bin"}, Cwd: "/",
		User: specs.User{UID: 0, GID: 0}, Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}},
	}}
	var got *specs.Process
	cmd := ociExecCommand()
	cmd.Action = func(ctx context.Context, cmd *cli.Command) (err error) {
		got, err = execProcess(cmd, config)
		return err
	}
	args := strings.Fields("exec --cwd /tmp -e A=1 --user 1000:100 -g 10 --cap CAP_NET_ADMIN --no-new-privs c1 ps -ef")
	if err := cmd.Run(context.Background(), args); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Args, " ") != "ps -ef" || got.Cwd != "/tmp" || got.Terminal ||
		strings.Join(got.Env, " ") != "PATH=/bin A=1" || got.User.UID != 1000 || got.User.GID != 100 ||
		len(got.User.AdditionalGids) != 1 || !got.NoNewPrivileges ||
		strings.Join(got.Capabilities.Bounding, " ") != "CAP_KILL CAP_NET_ADMIN" || len(got.Capabilities.Ambient) != 1 {
		t.Errorf("process %+v", got)
	}
	if len(config.Process.Env) != 1 || len(config.Process.Capabilities.Bounding) != 1 {
		t.Errorf("config.json's process was changed: %+v", config.Process)
	}
}

// --process reads runc's process.json.
func TestReadProcessFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "process.json")
	os.WriteFile(path, []byte(`{"args":["ps"],"cwd":"/","user":{"uid":0,"gid":0},"terminal":true}`), 0o644)
	p, err := readProcessFile(path)
	if err != nil || p.Args[0] != "ps" || !p.Terminal {
		t.Errorf("readProcessFile: %+v, %v", p, err)
	}
	os.WriteFile(path, []byte(`{"args":[],"cwd":"/"}`), 0o644)
	if _, err := readProcessFile(path); err == nil {
		t.Error("a process without args accepted")
	}
}

func TestPsLinesOf(t *testing.T) {
	out := "UID          PID    PPID  C STIME TTY          TIME CMD\n" +
		"root           1       0  0 Dec06 ?        00:00:03 /sbin/init\n" +
		"root         412       1  0 06:00 ?        00:00:00 sleep 100\n" +
		"root         413     412  0 06:00 ?        00:00:00 sh\n"
	got, err := psLinesOf(out, []int{412, 413})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "UID") || !strings.Contains(lines[1], "sleep 100") {
		t.Errorf("psLinesOf:\n%s", got)
	}
	if _, err := psLinesOf("USER COMMAND\nroot init\n", nil); err == nil {
		t.Error("no PID column accepted")
	}
}

func TestCheckTerminal(t *testing.T) {
	tty := &specs.Process{Terminal: true}
	plain := &specs.Process{}
	for _, tc := range []struct {
		p       *specs.Process
		detach  bool
		console string
		ok      bool
	}{
		{tty, true, "/s", true},
		{tty, true, "", false},
		{tty, false, "", true},
		{tty, false, "/s", false},
		{plain, true, "", true},
		{plain, true, "/s", false},
		{plain, false, "", true},
	} {
		if err := checkTerminal(tc.p, tc.detach, tc.console); (err == nil) != tc.ok {
			t.Errorf("terminal %v detach %v console %q: %v", tc.p.Terminal, tc.detach, tc.console, err)
		}
	}
}
