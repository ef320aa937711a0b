package main

// runc's kill and delete: a signal to the container's init (or, with
// --all, to every process of its cgroup), and the container's end:
//
//	kill -TERM $PID                          # kill ID
//	for p in $(cat cgroup.procs); do kill -KILL $p; done   # kill --all ID KILL
//	rmdir /sys/fs/cgroup/…/$ID; rm -rf /run/kobako/$ID      # delete ID

import (
	"context"
	"errors"

	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/runtime"
)

func ociKillCommand() *cli.Command {
	return &cli.Command{
		Name:      "kill",
		Usage:     "kill sends the specified signal (default: SIGTERM) to the container's init process",
		ArgsUsage: "ID [SIGNAL]",
		Description: `Sends SIGNAL — a name (KILL, SIGKILL) or a number (9) — to the container's
init, through a pidfd, so a pid reused after the init exited is never hit.
Engines stop a container with kill ID 15, then kill ID 9 after their
timeout; containerd sends kill --all when the container has no PID namespace
of its own, where the init's death would not end the others. A stopped
container answers "container not running".

(kobako kill [-s SIGNAL] NAME is kobako's own kill.)`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "send the signal to every process of the container's cgroup"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			n := cmd.Args().Len()
			if n < 1 || n > 2 {
				return errors.New(`"kill" needs the container's id and, optionally, a signal: kobako kill [--all] ID [SIGNAL]`)
			}
			sig := unix.SIGTERM
			if n == 2 {
				var err error
				if sig, err = parseSignal(cmd.Args().Get(1)); err != nil {
					return err
				}
			}
			rt, err := runtimeOf(cmd)
			if err != nil {
				return err
			}
			id := cmd.Args().First()
			if cmd.Bool("all") {
				return rt.KillAll(id, sig)
			}
			return rt.Kill(id, sig)
		},
	}
}

func ociDeleteCommand() *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Usage:     "delete any resources held by the container often used with detached container",
		ArgsUsage: "ID",
		Description: `Removes a stopped container: its cgroup (the parents an engine made stay),
its state under --root, and runs its poststop hooks. A running one is
refused unless --force, which kills it with SIGKILL and waits until it is
gone. A container with no PID namespace of its own has whatever is left in
its cgroup killed too. Engines call delete after the init has exited, and
delete --force to clean up: for an id that does not exist, --force succeeds.

(People remove kobako's own containers with kobako rm.)`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill the container first if it still runs (SIGKILL); succeed if it does not exist"},
		},
		Action: withContainer(func(cmd *cli.Command, rt *runtime.Runtime, id string) error {
			err := rt.Delete(id, cmd.Bool("force"))
			if errors.Is(err, runtime.ErrNotExist) && cmd.Bool("force") {
				return nil // gone already: what --force asks for
			}
			return err
		}),
	}
}
