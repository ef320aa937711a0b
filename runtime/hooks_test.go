package runtime

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kobako/kobako/runtime/initproc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// shHook is a hook that runs script with /bin/sh, with env as given.
func shHook(script string, env ...string) specs.Hook {
	return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", script, "sh", "first"}, Env: env}
}

func TestHookGetsStateArgsAndEnv(t *testing.T) {
	out := filepath.Join(t.TempDir(), "state")
	state := initproc.HookState("c1", specs.StateCreating, 4242, "/bundle", map[string]string{"a": "b"})
	hook := shHook(`cat > "$OUT"; echo "$1 $HOME" > "$OUT.args"`, "OUT="+out, "HOME=/nowhere")
	if err := initproc.RunHooks("prestart", []specs.Hook{hook}, state, nil); err != nil {
		t.Fatalf("runHooks: %v", err)
	}
	var got specs.State
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("stdin was %q: %v", data, err)
	}
	if got.ID != "c1" || got.Status != specs.StateCreating || got.Pid != 4242 || got.Bundle != "/bundle" ||
		got.Annotations["a"] != "b" || got.Version != specs.Version {
		t.Errorf("state on stdin = %+v", got)
	}
	if args, _ := os.ReadFile(out + ".args"); strings.TrimSpace(string(args)) != "first /nowhere" {
		t.Errorf("args and env = %q, want the hook's own", args)
	}
}

func TestHookFailureSaysWhy(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "second-ran")
	hooks := []specs.Hook{
		shHook(`echo "no network for you" >&2; exit 3`),
		shHook(`touch "$M"`, "M="+marker),
	}
	err := initproc.RunHooks("createRuntime", hooks, initproc.HookState("c1", specs.StateCreating, 1, "/b", nil), nil)
	if err == nil {
		t.Fatal("runHooks succeeded with a failing hook")
	}
	for _, want := range []string{"createRuntime hook /bin/sh", "exit status 3", "no network for you"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the hook after a failed one ran")
	}
}

func TestHookTimeout(t *testing.T) {
	hook := shHook(`sleep 30`)
	one := 1
	hook.Timeout = &one
	start := time.Now()
	err := initproc.RunHooks("poststart", []specs.Hook{hook}, initproc.HookState("c1", specs.StateRunning, 1, "/b", nil), nil)
	if err == nil || !strings.Contains(err.Error(), "timeout of 1s") {
		t.Errorf("runHooks = %v, want a timeout error", err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("a hook with a 1 s timeout took %v", elapsed)
	}
}

func TestWarnings(t *testing.T) {
	var got []string
	r := &Runtime{Warn: func(msg string) { got = append(got, msg) }}
	st := &State{State: specs.State{ID: "c1", Pid: 1}, Hooks: &specs.Hooks{Poststop: []specs.Hook{shHook(`exit 1`)}}}
	r.runPoststopHooks(st)
	if len(got) != 1 || !strings.Contains(got[0], "poststop hook") {
		t.Errorf("warnings = %q, want one about the poststop hook", got)
	}
}
