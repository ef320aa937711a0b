package runtime

import (
	"fmt"
	"os"

	"github.com/kobako/kobako/runtime/initproc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The hooks the parent runs (prestart, createRuntime, poststart, poststop);
// initproc/hooks.go says what hooks are and runs the init's own.

// runParentHooks runs prestart, then createRuntime, in the parent: the
// init exists and has made its mounts, its root is not pivoted yet.
func (r *Runtime) runParentHooks(opts CreateOptions, pid int) error {
	st := initproc.HookState(opts.ID, specs.StateCreating, pid, opts.Bundle, opts.Spec.Annotations)
	if err := initproc.RunHooks("prestart", opts.Spec.Hooks.Prestart, st, r.Tracer); err != nil {
		return err
	}
	return initproc.RunHooks("createRuntime", opts.Spec.Hooks.CreateRuntime, st, r.Tracer)
}

// runPoststartHooks runs by `kobako start` once the command runs. A
// failure is a warning: the container runs, and stays running.
func (r *Runtime) runPoststartHooks(st *State) {
	if st.Hooks == nil {
		return
	}
	state := initproc.HookState(st.ID, specs.StateRunning, st.Pid, st.Bundle, st.Annotations)
	if err := initproc.RunHooks("poststart", st.Hooks.Poststart, state, r.Tracer); err != nil {
		r.warn(err)
	}
}

// runPoststopHooks runs by delete, once the container's processes are
// gone. A failure is a warning: there is nothing left to fail.
func (r *Runtime) runPoststopHooks(st *State) {
	if st.Hooks == nil {
		return
	}
	state := initproc.HookState(st.ID, specs.StateStopped, st.Pid, st.Bundle, st.Annotations)
	if err := initproc.RunHooks("poststop", st.Hooks.Poststop, state, r.Tracer); err != nil {
		r.warn(err)
	}
}

// warn reports what went wrong without failing the operation: through
// r.Warn (the command's log), or on stderr.
func (r *Runtime) warn(err error) {
	if r.Warn != nil {
		r.Warn(err.Error())
		return
	}
	fmt.Fprintf(os.Stderr, "kobako: warning: %v\n", err)
}
