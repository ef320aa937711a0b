package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/internal/trace"
)

// version is set at build time by the Makefile (-ldflags -X main.version=…).
var version = "dev"

// Where kobako keeps things, with the meanings runc and docker give them.
const (
	defaultRoot     = "/run/kobako"     // runc's --root: runtime state, gone at reboot
	defaultDataRoot = "/var/lib/kobako" // docker's --data-root: images and containers
)

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:  "root",
			Value: defaultRoot,
			Usage: "directory for runtime state (`DIR`/<id>/state.json), as runc's --root",
		},
		&cli.StringFlag{
			Name:  "data-root",
			Value: defaultDataRoot,
			Usage: "directory (`DIR`) for images and containers, as docker's --data-root",
		},
		&cli.BoolFlag{
			Name:  "trace",
			Usage: "narrate every kernel step on stderr: step — shell twin — Go call — result",
		},
	}
}

// settings are the global flags every command sees, read once.
type settings struct {
	root     string
	dataRoot string
	tracer   *trace.Tracer // nil unless --trace
}

func globals(cmd *cli.Command) settings {
	s := settings{root: cmd.String("root"), dataRoot: cmd.String("data-root")}
	if cmd.Bool("trace") {
		s.tracer = trace.New(os.Stderr)
	}
	return s
}

// requireRoot stops a command that needs root with a message that says what
// to do. kobako creates namespaces, mounts and device nodes, which only root
// may do until user namespaces arrive.
func requireRoot() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("this command needs root (namespaces, mounts and device nodes are root's business): run it with sudo")
	}
	return nil
}
