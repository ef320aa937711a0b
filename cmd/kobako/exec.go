package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/runtime"
)

func execCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a command in a running container",
		ArgsUsage: "CONTAINER COMMAND [ARG...]",
		Description: `Starts another process inside a running container: it joins the container's
IPC, UTS, network, PID, cgroup and mount namespaces — one setns(2) each, the
article's "nsenter -t $PID --ipc --uts --net --pid --cgroup --mount" — and
its cgroup, so it shares the container's limits. --trace shows each step.

The exit status is the command's; 126/127 when it cannot be run or is not
found, 125 when kobako failed.

Examples:
   sudo kobako run -d --name web busybox httpd -f
   sudo kobako exec web ps                  # PID 1 is httpd
   sudo kobako exec -it web sh
   sudo kobako exec -u nobody web id        # nobody of the container's /etc/passwd

(exec --process FILE ID, and exec into an engine's container, is runc's exec:
kobako help oci exec.)`,
		// Flags end at the container: everything after it is the command's.
		StopOnNthArg: intPtr(1),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "keep stdin open and connect it to the command"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "give the command a terminal (a pty from the container's /dev/pts)"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "start the command and return at once"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable `KEY=VALUE` (repeatable)"},
			&cli.StringSliceFlag{Name: "env-file", Usage: "read KEY=VALUE lines from `FILE` (# starts a comment)"},
			&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory inside the container"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "run as `USER[:GROUP]` (names from the container's /etc/passwd, or numbers); default: the container's user"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return exitStatus(execInContainer(cmd))
		},
	}
}

func execInContainer(cmd *cli.Command) (container.Exit, error) {
	if err := requireRootOrOwnStore(cmd); err != nil {
		return container.Exit{}, err
	}
	// From here on, this process must not be the host's binary: it forks
	// inside the container (see runtime/selfexe.go).
	if err := runtime.RunSealed(); err != nil {
		return container.Exit{}, fmt.Errorf("run kobako from a sealed copy of itself: %w", err)
	}
	if cmd.Args().Len() < 2 {
		return container.Exit{}, errors.New(`"exec" needs a container and a command: kobako exec [OPTIONS] CONTAINER COMMAND [ARG...]`)
	}
	g := globals(cmd)
	store := container.NewStore(g.root, g.dataRoot, g.tracer)
	c, err := store.Lookup(cmd.Args().First())
	if err != nil {
		return container.Exit{}, err
	}
	env, err := envFiles(cmd.StringSlice("env-file"))
	if err != nil {
		return container.Exit{}, err
	}
	opts := container.ExecOptions{
		Args: cmd.Args().Tail(), Env: append(env, envFromFlags(cmd)...), Cwd: cmd.String("workdir"),
		User: cmd.String("user"), Terminal: cmd.Bool("tty"), Detach: cmd.Bool("detach"),
	}
	stdio := stdioFor(cmd)
	if stdio.In == nil {
		stdio.In, _ = os.Open(os.DevNull)
	}
	return store.Exec(c, opts, stdio)
}
