package initproc

// OCI hooks: programs the engine asks the runtime to run at fixed points
// of a container's life, each fed the container's state as JSON on its
// stdin (runtime-spec config.md, "POSIX-platform Hooks"):
//
//	echo "$STATE" | /usr/libexec/oci/hooks.d/hook ARGS…
//
// Where and when, in runc's order:
//
//	prestart, createRuntime  create: by the parent, in the runtime's namespaces,
//	                         once the init has made its mounts, before pivot_root
//	createContainer          create: by the init, in the container's mount
//	                         namespace, still before pivot_root
//	startContainer           start: by the init, after the exec fifo, before execve
//	poststart                start: by `kobako start`, once the command runs
//	poststop                 delete: once the container is gone
//
// A failed hook fails its step up to startContainer: create then leaves
// nothing behind, and start's container stops. poststart and poststop only
// warn — the container is already running, or already gone.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/internal/fault"
	"github.com/kobako/kobako/internal/trace"
)

// HookStage is one of the spec's hook lists, with its name in config.json.
type HookStage struct {
	Name  string
	Hooks []specs.Hook
}

// hookStages lists the spec's hooks in the order of a container's life.
func HookStages(h *specs.Hooks) []HookStage {
	if h == nil {
		return nil
	}
	return []HookStage{
		{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime}, {"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer}, {"poststart", h.Poststart}, {"poststop", h.Poststop},
	}
}

// hookState is the state a hook reads on stdin: runc's fields.
func HookState(id string, status specs.ContainerState, pid int, bundle string, annotations map[string]string) specs.State {
	return specs.State{Version: specs.Version, ID: id, Status: status, Pid: pid, Bundle: bundle, Annotations: annotations}
}

// hasParentHooks says whether create must stop the init halfway for the
// parent's prestart and createRuntime hooks (the "hooks" message).
func HasParentHooks(spec *specs.Spec) bool {
	return spec.Hooks != nil && len(spec.Hooks.Prestart)+len(spec.Hooks.CreateRuntime) > 0
}

// createHooks is the init's part of the create hooks, before pivot_root:
// it stops for the parent's prestart and createRuntime ("hooks" in
// protocol.go), then runs createContainer itself, in the container's
// mount namespace — with the host's paths still in reach.
func createHooks(sync int, cfg *Config, tr *trace.Tracer) error {
	// fault point init:hooks (internal/fault): a test build fails here
	if err := fault.Check("init:hooks"); err != nil {
		return err
	}
	spec := cfg.Spec
	if HasParentHooks(spec) {
		if err := SendMessage(sync, Message{Type: MsgHooks}); err != nil {
			return err
		}
		if _, err := awaitContinue(sync); err != nil {
			return err
		}
	}
	if spec.Hooks == nil {
		return nil
	}
	st := HookState(cfg.ID, specs.StateCreating, cfg.Pid, cfg.Bundle, spec.Annotations)
	return RunHooks("createContainer", spec.Hooks.CreateContainer, st, tr)
}

// startHooks runs the startContainer hooks in the init, after `start`
// released it and before its execve: in the container, paths resolved in
// its root.
func startHooks(cfg *Config, tr *trace.Tracer) error {
	if cfg.Spec.Hooks == nil {
		return nil
	}
	st := HookState(cfg.ID, specs.StateCreated, cfg.Pid, cfg.Bundle, cfg.Spec.Annotations)
	return RunHooks("startContainer", cfg.Spec.Hooks.StartContainer, st, tr)
}

// runHooks runs the hooks of one stage in order and stops at the first
// that fails.
func RunHooks(stage string, hooks []specs.Hook, st specs.State, tr *trace.Tracer) error {
	if len(hooks) == 0 {
		return nil
	}
	state, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("%s hooks: encode state: %w", stage, err)
	}
	for _, h := range hooks {
		if err := runHook(stage, h, state, tr); err != nil {
			return err
		}
	}
	return nil
}

// hookWaitDelay bounds the wait for a hook's stderr once it has exited:
// a daemon it leaves behind may hold the pipe open for ever.
const hookWaitDelay = time.Second

// maxHookStderr is how much of a failed hook's stderr goes into the error.
const maxHookStderr = 4 << 10

// runHook runs one hook with the state on stdin, killing it once its
// timeout has passed. Path, args and env are the config's, as given; with
// no env at all the hook inherits the runtime's, as under runc.
func runHook(stage string, h specs.Hook, state []byte, tr *trace.Tracer) error {
	ctx := context.Background()
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	// CommandContext SIGKILLs the hook when ctx expires.
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	}
	cmd.Env = h.Env
	cmd.Stdin = bytes.NewReader(state)
	stderr := &cappedBuffer{max: maxHookStderr}
	cmd.Stderr = stderr
	cmd.WaitDelay = hookWaitDelay
	// echo "$STATE" | /path/to/hook ARGS…
	err := cmd.Run()
	tr.Step("run "+stage+" hook", `echo "$STATE" | `+strings.Join(cmd.Args, " "),
		fmt.Sprintf("exec.Cmd{Path: %q, Stdin: state JSON}.Run()", h.Path), err)
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("killed after its timeout of %ds", *h.Timeout)
	}
	// What it said, on one line.
	if msg := strings.Join(strings.Fields(stderr.buf.String()), " "); msg != "" {
		err = fmt.Errorf("%w: %s", err, msg)
	}
	return fmt.Errorf("%s hook %s: %w", stage, h.Path, err)
}

// cappedBuffer keeps the first max bytes written to it and drops the
// rest: a hook's stderr goes into an error message, not into memory
// without end.
type cappedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
