package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/internal/trace"
)

// version is set at build time by the Makefile (-ldflags -X main.version=…).
var version = "dev"

// Where root's kobako keeps things, with the meanings runc and docker give
// them.
const (
	defaultRoot     = "/run/kobako"     // runc's --root: runtime state, gone at reboot
	defaultDataRoot = "/var/lib/kobako" // docker's --data-root: images and containers
)

// defaultRoots are root's, or a user's own (a rootless kobako, which may
// not write root's): $XDG_RUNTIME_DIR/kobako, gone at logout like /run at
// reboot, and ~/.local/share/kobako ($XDG_DATA_HOME), where podman keeps
// a user's containers too.
func defaultRoots() (root, dataRoot string) {
	if os.Geteuid() == 0 {
		return defaultRoot, defaultDataRoot
	}
	runtimeDir := os.Getenv("XDG_RUNTIME_DIR")
	if runtimeDir == "" {
		runtimeDir = fmt.Sprintf("/run/user/%d", os.Geteuid()) // what pam_systemd would set
	}
	dataHome := os.Getenv("XDG_DATA_HOME")
	if dataHome == "" {
		dataHome = filepath.Join(homeDir(), ".local", "share")
	}
	return filepath.Join(runtimeDir, "kobako"), filepath.Join(dataHome, "kobako")
}

// stateRootHint says what to do when a user's default --root cannot be
// made: without a login session (sudo -u, su, a cron job) there is no
// $XDG_RUNTIME_DIR, and /run/user/<uid> is only made by pam_systemd at
// login. It recognises the failure by its path, the root or a directory
// above it, and leaves every other error alone.
func stateRootHint(app *cli.Command, err error) error {
	if os.Geteuid() == 0 || app.IsSet("root") {
		return err
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || !(errors.Is(pe.Err, fs.ErrPermission) || errors.Is(pe.Err, fs.ErrNotExist)) {
		return err
	}
	root := app.String("root")
	if pe.Path != root && !strings.HasPrefix(root, pe.Path+"/") {
		return err
	}
	why := "XDG_RUNTIME_DIR is not set"
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		why = "XDG_RUNTIME_DIR is " + dir
	}
	return fmt.Errorf("no state dir %s: %v (%s): pass --root DIR, a directory of your own, or log in with a session that sets XDG_RUNTIME_DIR (ssh, or machinectl shell USER@)", root, pe, why)
}

// homeDir is $HOME, or the home /etc/passwd gives the user.
func homeDir() string {
	if home, err := os.UserHomeDir(); err == nil {
		return home
	}
	if u, err := user.Current(); err == nil {
		return u.HomeDir
	}
	return "/nonexistent" // like a system user's: fails, naming it, at first use
}

func globalFlags() []cli.Flag {
	root, dataRoot := defaultRoots()
	return []cli.Flag{
		&cli.StringFlag{
			Name:  "root",
			Value: root,
			Usage: "directory for runtime state (`DIR`/<id>/state.json), as runc's --root",
		},
		&cli.StringFlag{
			Name:  "data-root",
			Value: dataRoot,
			Usage: "directory (`DIR`) for images and containers, as docker's --data-root",
		},
		&cli.GenericFlag{
			Name:        "trace",
			Value:       &traceFlag{},
			Usage:       "narrate each kernel step on stderr, by the article's chapters, with the time it took, its shell twin and Go file:line; `[=all|=time]`: =all adds skipped steps and whole Go calls, =time narrates nothing and ends with a table of where the milliseconds went",
			HideDefault: true,
		},
	}
}

// traceFlag is --trace's value. --trace alone is a bool flag, as it always
// was (urfave/cli sets it to "true", and --trace=false is off); --trace=MODE
// asks for more (trace.ParseMode).
type traceFlag struct {
	on   bool
	mode trace.Mode
}

func (f *traceFlag) Set(s string) error {
	if on, err := strconv.ParseBool(s); err == nil {
		f.on, f.mode = on, trace.Mode{}
		return nil
	}
	mode, err := trace.ParseMode(s)
	if err != nil {
		return err
	}
	f.on, f.mode = true, mode
	return nil
}

func (f *traceFlag) String() string {
	if !f.on {
		return "off"
	}
	if m := f.mode.String(); m != "" {
		return m
	}
	return "on"
}

func (f *traceFlag) Get() any { return *f }

// IsBoolFlag lets --trace stand alone: the parser gives it "true".
func (f *traceFlag) IsBoolFlag() bool { return true }

// settings are the global flags every command sees, read once.
type settings struct {
	root     string
	dataRoot string
	tracer   *trace.Tracer // nil unless --trace
}

// traced is the tracer tracerFor made, kept for the rest of the command:
// every globals(cmd) of one command line gets the same one, so that its
// headings and names are told once and --trace=time sees every step; and
// finishTrace finds it. One process runs one command line; a test that
// runs several finishes each (finishTrace forgets it).
var traced struct {
	tracer *trace.Tracer
	mode   trace.Mode
}

// tracerFor is the tracer the --trace flag asks for: nil when off. It is
// made at the first call — as early as a command's code runs, which
// --trace=time's "parent start" counts on: the CPU time used until then
// is the Go runtime's start-up and the package inits before main.
func tracerFor(cmd *cli.Command) *trace.Tracer {
	f, ok := cmd.Value("trace").(traceFlag)
	if !ok || !f.on {
		return nil
	}
	if traced.tracer == nil || traced.mode != f.mode {
		traced.tracer, traced.mode = trace.NewMode(os.Stderr, f.mode), f.mode
	}
	return traced.tracer
}

// finishTrace ends the trace of the command that ran: --trace=time prints
// its table (trace.Tracer.Finish); the narration has nothing left to say.
// main calls it once the command has returned.
func finishTrace() {
	traced.tracer.Finish() // nil without --trace: nothing
	traced.tracer = nil
}

func globals(cmd *cli.Command) settings {
	return settings{root: cmd.String("root"), dataRoot: cmd.String("data-root"), tracer: tracerFor(cmd)}
}

// requireRootOrOwnStore lets a command through for root, and for a user
// who works on its own store: a user's kobako is rootless, its containers
// live in its own --root and --data-root (defaultRoots) and run in user
// namespaces (run --userns), and the kernel decides the rest. Root's store
// is closed to it: that takes sudo.
func requireRootOrOwnStore(cmd *cli.Command) error {
	if os.Geteuid() == 0 {
		return nil
	}
	g := globals(cmd)
	for _, dir := range []string{g.root, g.dataRoot} {
		if dir == defaultRoot || dir == defaultDataRoot {
			return fmt.Errorf("%s is root's: run it with sudo, or leave --root and --data-root out to work on your own containers (rootless)", dir)
		}
	}
	return nil
}
