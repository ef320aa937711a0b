package main

// kobako's version, two ways: `kobako --version` in runc's form, which
// engines show (podman info: ociRuntime.version), and `kobako version`,
// which adds the Go it was built with.
//
//	kobako version v0.4.0
//	commit: 3f2a9c1
//	spec: 1.3.0

import (
	"context"
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/debug"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
)

// commit is set at build time (-ldflags -X main.commit=…); without it,
// the commit Go recorded from the work tree (go build's -buildvcs).
var commit = ""

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print kobako's version and the OCI runtime spec it speaks",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			printVersion(cmd.Root().Writer)
			fmt.Fprintf(cmd.Root().Writer, "go: %s\n", goruntime.Version())
			return nil
		},
	}
}

// printVersion writes runc's three lines, with kobako's name.
func printVersion(w io.Writer) {
	fmt.Fprintf(w, "kobako version %s\ncommit: %s\nspec: %s\n", version, commitOf(), specs.Version)
}

// commitOf is the commit kobako was built from, "unknown" if nobody said.
func commitOf() string {
	if commit != "" {
		return commit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var revision, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			revision = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if revision == "" {
		return "unknown"
	}
	return revision + dirty
}
