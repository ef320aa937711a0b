package main

// runc's command line, for engines: podman (through conmon), containerd
// (through its runc shim) and Docker (through containerd) call kobako
// exactly as they call runc, once per step of a container's life:
//
//	kobako --root R --log B/log.json --log-format json create --bundle B --pid-file B/init.pid ID
//	kobako --root R start ID
//	kobako --root R state ID          (runc's JSON: what the engine polls)
//	kobako --root R kill ID 15
//	kobako --root R delete ID
//
// The engine keeps the bundle (config.json and its rootfs), waits for the
// container's init as its subreaper, and reads the pid file and the log.
// kobako keeps the runtime state under --root, exactly as for its own
// containers: each verb here parses its flags and makes one call into the
// runtime package — nothing else happens in cmd. `kobako help oci` lists
// the verbs; oci_dispatch.go says how a command line is known for runc's.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/runtime"
)

// ociDescription is `kobako help oci`'s text.
const ociDescription = `These are runc's verbs and flags (runc 1.1), for the engines that use kobako
in place of runc: Docker, podman, containerd (and Kubernetes through it).
They work on OCI bundles — a directory with config.json and a root file
system — and on containers by the id the engine gives them. A person can
drive them by hand too, the way the article builds a container step by step:

   mkdir -p b/rootfs && cp -a /path/to/a/rootfs/. b/rootfs/
   kobako spec --bundle b                  # runc's example config.json; edit process.args
   sudo kobako create --bundle b c1        # built, waiting before its command
   sudo kobako state c1                    # "status": "created", its pid
   sudo kobako start c1                    # now the command runs
   sudo kobako kill c1 KILL && sudo kobako delete c1

kobako tells these from its own commands by their flags and ids (create with
--bundle, kill ID SIGNAL, the id of an engine's container …); state, delete,
list, spec, resume and features are runc's alone.`

// ociCommands are runc's verbs, in runc's order.
func ociCommands() []*cli.Command {
	return []*cli.Command{
		ociCheckpointCommand("checkpoint", "checkpoint a running container"),
		ociCreateCommand(),
		ociDeleteCommand(),
		ociEventsCommand(),
		ociExecCommand(),
		ociKillCommand(),
		ociListCommand(),
		ociPauseCommand(),
		ociPsCommand(),
		ociCheckpointCommand("restore", "restore a container from a previous checkpoint"),
		ociResumeCommand(),
		ociRunCommand(),
		ociSpecCommand(),
		ociStartCommand(),
		ociStateCommand(),
		ociUpdateCommand(),
		ociFeaturesCommand(),
	}
}

// ociGlobalFlags are runc's global flags, and kobako's own (--data-root,
// --trace), which work here too.
func ociGlobalFlags() []cli.Flag {
	return append(globalFlags(),
		&cli.StringFlag{Name: "log", Usage: "append kobako's errors to `FILE`, as runc does (default: stderr); containerd reads the last error from it"},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "the log's `FORMAT`: text (logrus's key=value) or json (one object a line)"},
		&cli.BoolFlag{Name: "debug", Usage: "write debug lines to the log too: each command as received"},
		&cli.BoolFlag{Name: "systemd-cgroup", Usage: `read cgroupsPath as systemd's "slice:prefix:name" and use the cgroupfs path systemd would make for it (system.slice/prefix-name.scope); no systemd is asked`},
		&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "runc's cgroup permission switch, `true|false|auto`: accepted; kobako decides by who runs it"},
		&cli.StringFlag{Name: "criu", Value: "criu", Usage: "path to criu: accepted and ignored (kobako has no checkpoint/restore)"},
	)
}

// ociApp is the root of runc's command line.
func ociApp(args []string) *cli.Command {
	app := &cli.Command{
		Name:                   "kobako",
		Usage:                  "runc's command line, for engines",
		Description:            ociDescription,
		Version:                version,
		Flags:                  ociGlobalFlags(),
		Commands:               ociCommands(),
		UseShortOptionHandling: true,
		HideHelpCommand:        true,
		Before:                 checkOCIGlobals,
		ExitErrHandler:         func(context.Context, *cli.Command, error) {},
	}
	// Usage mistakes in one line, exit 1 (runc's status for them).
	_ = app.Walk(func(c *cli.Command) error {
		c.OnUsageError = func(_ context.Context, cmd *cli.Command, err error, _ bool) error {
			return &exitError{code: 1, err: usageMessage(cmd, err, args)}
		}
		return nil
	})
	return app
}

// checkOCIGlobals refuses a --rootless value runc would refuse.
func checkOCIGlobals(ctx context.Context, cmd *cli.Command) (context.Context, error) {
	v := cmd.String("rootless")
	if _, err := strconv.ParseBool(v); err != nil && v != "" && strings.ToLower(v) != "auto" {
		return ctx, fmt.Errorf("--rootless %q: use true, false or auto", v)
	}
	return ctx, nil
}

// runOCI runs runc's command line and returns the exit status. Every
// error is logged (--log) and said on stderr.
func runOCI(args []string, line commandLine) int {
	log, err := openOCILog(line.globals["log"], line.globals["log-format"], line.has("debug"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "kobako: %v\n", err)
		return 1
	}
	defer log.Close()
	log.Debugf("%s", strings.Join(args, " "))
	err = ociApp(args).Run(withOCILog(context.Background(), log), args)
	if err == nil {
		return 0
	}
	var exit *exitError
	if errors.As(err, &exit) {
		if exit.err != nil {
			log.Error(exit.err)
		}
		return exit.code
	}
	log.Error(err)
	return 1
}

// has says whether a global switch was given (and not as =false).
func (l commandLine) has(name string) bool {
	v, ok := l.globals[name]
	return ok && v != "false" && v != "0"
}

// runtimeOf is the runtime the global flags describe: --root made
// absolute (runc does so too), --trace's narrator.
func runtimeOf(cmd *cli.Command) (*runtime.Runtime, error) {
	root, err := filepath.Abs(cmd.String("root"))
	if err != nil {
		return nil, err
	}
	return &runtime.Runtime{Root: root, Tracer: tracerFor(cmd)}, nil
}

// withContainer is the action of a verb that works on one container: it
// reads the id and the runtime from the command line, then calls do.
func withContainer(do func(cmd *cli.Command, rt *runtime.Runtime, id string) error) cli.ActionFunc {
	return func(ctx context.Context, cmd *cli.Command) error {
		id, err := oneID(cmd)
		if err != nil {
			return err
		}
		rt, err := runtimeOf(cmd)
		if err != nil {
			return err
		}
		return do(cmd, rt, id)
	}
}

// oneID checks that cmd got exactly one argument, the container's id, and
// returns it.
func oneID(cmd *cli.Command) (string, error) {
	if cmd.Args().Len() != 1 {
		return "", fmt.Errorf("%q needs exactly one argument, the container's id: kobako %s ID", cmd.Name, cmd.Name)
	}
	return cmd.Args().First(), nil
}

// tableOrJSON is the --format of list and ps: runc's two.
func tableOrJSON(cmd *cli.Command) (string, error) {
	format := cmd.String("format")
	if format != "table" && format != "json" {
		return "", fmt.Errorf("--format %q: use table or json", format)
	}
	return format, nil
}

// noArgs checks that cmd got no arguments.
func noArgs(cmd *cli.Command) error {
	if cmd.Args().Len() != 0 {
		return fmt.Errorf("%q takes no arguments: kobako %s --help says what it takes", cmd.Name, cmd.Name)
	}
	return nil
}

// ociCheckpointCommand is checkpoint or restore: runc does them with CRIU,
// which kobako does not use.
func ociCheckpointCommand(name, usage string) *cli.Command {
	return &cli.Command{
		Name:            name,
		Usage:           usage + " (not supported)",
		ArgsUsage:       "ID",
		SkipFlagParsing: true, // runc's many CRIU flags: whatever they are, the answer is the same
		Description: `runc checkpoints a container into files and restores it from them with
CRIU (criu.org), which freezes the processes and writes out their memory,
descriptors and sockets. kobako does not use CRIU: it refuses both.`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return fmt.Errorf("%s is not supported: it needs CRIU, which kobako does not use", name)
		},
	}
}

// ociHelpArgs turns `kobako help oci [VERB]` and `kobako help VERB` (a
// verb only runc has) into the command line that shows that help.
func ociHelpArgs(args []string) ([]string, bool) {
	if len(args) < 3 || args[1] != "help" {
		return nil, false
	}
	topic := args[2:]
	if topic[0] == "oci" {
		topic = topic[1:]
	} else if !isOCIOnlyVerb(topic[0]) {
		return nil, false
	}
	return append(append([]string{args[0]}, topic...), "--help"), true
}

func isOCIOnlyVerb(verb string) bool { return slices.Contains(ociOnlyVerbs, verb) }
