package tutorial

// The tutorial drives kobako the way a learner would: through its command
// line (the binary next to kobako-tutor), with the same --root and
// --data-root. So every container a step makes is an ordinary one that
// `kobako ps` lists, and every command it runs is one the learner can type.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Kobako runs the kobako binary with the tutorial's global flags.
type Kobako struct {
	Path     string // bin/kobako
	Root     string // --root
	DataRoot string // --data-root
}

// Prefix starts the name of everything the tutorial makes: containers and
// images. The next tutorial removes what a killed one left by this name.
const Prefix = "kobako-tutorial-"

// command is kobako's command line with the global flags first.
func (k Kobako) command(args ...string) *exec.Cmd {
	global := []string{"--root", k.Root, "--data-root", k.DataRoot}
	return exec.Command(k.Path, append(global, args...)...)
}

// run runs kobako ARGS and returns what it printed on stdout; its error
// carries kobako's own one-line message.
func (k Kobako) run(args ...string) (string, error) {
	cmd := k.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.String(), fmt.Errorf("kobako %s: %s", strings.Join(args, " "), msg)
	}
	return stdout.String(), nil
}

// traced runs kobako --trace ARGS and returns its narration apart from its
// output.
func (k Kobako) traced(args ...string) (out, narration string, err error) {
	cmd := k.command(append([]string{"--trace"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err != nil {
		err = fmt.Errorf("kobako %s: %s", strings.Join(args, " "), lastLine(stderr.String()))
	}
	return stdout.String(), stderr.String(), err
}

// lastLine is the last non-empty line of s: kobako's error, after its trace.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// attach connects the learner's terminal to a container's shell, until they
// detach (ctrl-p ctrl-q) or the shell ends.
func (k Kobako) attach(name string) error {
	cmd := k.command("attach", name)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

// interactive runs kobako ARGS on the learner's terminal.
func (k Kobako) interactive(args ...string) error {
	cmd := k.command(args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

// Container is what `kobako inspect` says of one container: the fields the
// checks need.
type Container struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Status     string            `json:"status"`
	Pid        int               `json:"pid"`
	Hostname   string            `json:"hostname"`
	Namespaces map[string]string `json:"namespaces"`
	Bundle     string            `json:"bundle"`
	Overlay    *struct {
		Lower []string `json:"lower"`
		Upper string   `json:"upper"`
		Work  string   `json:"work"`
	} `json:"overlay"`
	Cgroup *struct {
		Path string `json:"path"`
	} `json:"cgroup"`
	Network *struct {
		Mode     string `json:"mode"`
		IP       string `json:"ip"`
		Bridge   string `json:"bridge"`
		HostVeth string `json:"hostVeth"`
		MAC      string `json:"mac"`
	} `json:"network"`
}

// inspect reads one container's record and live state.
func (k Kobako) inspect(name string) (*Container, error) {
	out, err := k.run("inspect", name)
	if err != nil {
		return nil, err
	}
	var list []Container
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		var one Container
		if err2 := json.Unmarshal([]byte(out), &one); err2 != nil {
			return nil, fmt.Errorf("kobako inspect %s: %w", name, err)
		}
		return &one, nil
	}
	if len(list) != 1 {
		return nil, fmt.Errorf("kobako inspect %s: %d answers", name, len(list))
	}
	return &list[0], nil
}

// running inspects a container and says clearly when it is not running:
// the learner typed exit in its shell, most likely.
func (k Kobako) running(name string) (*Container, error) {
	c, err := k.inspect(name)
	if err != nil {
		return nil, err
	}
	if c.Status != "running" || c.Pid == 0 {
		return nil, errNotRunning
	}
	return c, nil
}

// errNotRunning is the checks' word for "its shell has ended".
var errNotRunning = fmt.Errorf("the container is not running")

// removeLeftovers removes every container and image whose name starts with
// Prefix: what this step made, or what a killed tutorial left.
func (k Kobako) removeLeftovers() error {
	out, err := k.run("ps", "-a", "--format", "{{.Names}}")
	if err != nil {
		return err
	}
	var errs []string
	for _, name := range strings.Fields(out) {
		if strings.HasPrefix(name, Prefix) {
			if _, err := k.run("rm", "-f", name); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	imgs, err := k.run("images")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(imgs, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], Prefix) {
			if _, err := k.run("rmi", "-f", f[0]); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("clean up: %s", strings.Join(errs, "; "))
	}
	return nil
}
