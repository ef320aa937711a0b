package container

// `kobako exec`: another process in a running container (nsenter, see
// runtime/exec.go), attached to the person's terminal like `run`.

import (
	"fmt"
	"os"
	"strings"

	"github.com/creack/pty"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/runtime"
)

// ExecOptions is what the person asked to run.
type ExecOptions struct {
	Args     []string
	Env      []string // added to the container's own
	Cwd      string   // "" = the container's working directory
	User     string   // USER[:GROUP]; "" = the container's user
	Terminal bool
	Detach   bool // start it and return; its output goes nowhere
}

// Exec runs a process in c and waits for it (unless Detach).
func (s *Store) Exec(c *Container, opts ExecOptions, stdio Stdio) (Exit, error) {
	s.narrate(c)
	// Said here, by name, before the runtime says it by id; and a frozen
	// container would never run the command: docker refuses it too.
	if st, err := s.Status(c); err != nil {
		return Exit{}, err
	} else if st.State != specs.StateRunning {
		return Exit{}, fmt.Errorf("container %s is not running (%s): start it first (kobako start %s)", c.Name, st.State, c.Name)
	} else if st.Paused {
		return Exit{}, fmt.Errorf("container %s is paused: kobako unpause %s first", c.Name, c.Name)
	}
	spec, err := c.Spec()
	if err != nil {
		return Exit{}, err
	}
	process := execProcess(spec, opts)
	files := [3]*os.File{stdio.In, stdio.Out, stdio.Err}
	if opts.Detach {
		files = [3]*os.File{}
	}
	var size *pty.Winsize
	if opts.Terminal && stdio.In != nil {
		size, _ = pty.GetsizeFull(stdio.In) // not a terminal: no size to copy
	}
	user := opts.User
	if user == "" {
		user = spec.Annotations[runtime.UserAnnotation] // run -u NAME, as docker exec does
	}
	joining := runtime.ExecOptions{Process: process, User: user, Stdio: files, ConsoleSize: size}
	if spec.Linux != nil {
		joining.Seccomp = spec.Linux.Seccomp // the container's filter holds for exec too
	}
	proc, err := s.rt.Exec(c.ID, joining)
	if err != nil {
		return Exit{}, err
	}
	s.event(c, "exec_start", map[string]string{"execCommand": strings.Join(process.Args, " ")})
	if opts.Detach {
		return Exit{}, nil
	}
	sess, err := attach(proc, stdio)
	if err != nil {
		return Exit{}, fmt.Errorf("attach to exec: %w", err)
	}
	defer sess.close()
	code, err := sess.wait()
	s.tracer.Mark(trace.MarkExited)
	return Exit{ID: c.ShortID(), Code: code}, err
}

// execProcess is the container's own process settings (user, env, cwd)
// with the exec's command and additions.
func execProcess(spec *specs.Spec, opts ExecOptions) *specs.Process {
	p := *spec.Process
	p.Args = opts.Args
	p.Terminal = opts.Terminal
	p.Env = append(append([]string(nil), p.Env...), opts.Env...)
	if opts.Terminal {
		p.Env = runtime.FillEnv(p.Env, spec.Hostname, true)
	}
	if opts.Cwd != "" {
		p.Cwd = opts.Cwd
	}
	return &p
}
