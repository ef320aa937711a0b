package main

// kill, stop, start, restart, wait, rename: one small command each, all
// working on containers by name, id or unique id prefix.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/container"
)

// eachContainer runs do for every CONTAINER argument (refs), and reports
// each failure on its own line.
func eachContainer(cmd *cli.Command, refs []string, usage string, do func(*container.Store, *container.Container) error) error {
	if err := requireRootOrOwnStore(cmd); err != nil {
		return err
	}
	if len(refs) == 0 {
		return errors.New(usage)
	}
	g := globals(cmd)
	store := container.NewStore(g.root, g.dataRoot, g.tracer)
	var errs []error
	for _, ref := range refs {
		c, err := store.Lookup(ref)
		if err == nil {
			err = do(store, c)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func killCommand() *cli.Command {
	return &cli.Command{
		Name:      "kill",
		Usage:     "send a signal to containers' PID 1",
		ArgsUsage: "CONTAINER...",
		Description: `Sends SIGNAL (default KILL) to each container's PID 1, by a pidfd — the
host's "kill -s SIGNAL $PID". Remember that a PID namespace's init ignores
signals it has no handler for: TERM to a plain sleep does nothing.

Examples:
   sudo kobako kill web
   sudo kobako kill -s HUP web

(kill ID SIGNAL and kill --all ID are runc's kill, for engines: kobako help oci kill.)`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "signal", Aliases: []string{"s"}, Value: "KILL", Usage: "signal name or number (KILL, TERM, HUP, 9 …)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			sig, err := parseSignal(cmd.String("signal"))
			if err != nil {
				return err
			}
			return eachContainer(cmd, cmd.Args().Slice(), `"kill" needs at least one container: kobako kill [-s SIGNAL] CONTAINER...`,
				func(s *container.Store, c *container.Container) error { return printed(c, s.Kill(c, sig)) })
		},
	}
}

// parseSignal reads "TERM", "SIGTERM" or "15".
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q: use a name like TERM or KILL, or a number", s)
}

func stopCommand() *cli.Command {
	return &cli.Command{
		Name:      "stop",
		Usage:     "stop containers: SIGTERM, then SIGKILL after a timeout",
		ArgsUsage: "CONTAINER...",
		Description: `Sends SIGTERM to each container's PID 1 and waits; if it is still running
after the timeout, SIGKILL ends it (and, as it is the PID namespace's init,
every other process in the container). A PID 1 that ignores SIGTERM — any
program without a handler for it — takes the whole timeout and exits 137.

Examples:
   sudo kobako stop web
   sudo kobako stop -t 1 web`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Value: 10, Usage: "seconds to wait before SIGKILL (default: the container's --stop-timeout, or 10)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return eachContainer(cmd, cmd.Args().Slice(), `"stop" needs at least one container: kobako stop [-t SECONDS] CONTAINER...`,
				func(s *container.Store, c *container.Container) error { return printed(c, stopContainer(cmd, s, c)) })
		},
	}
}

// stopContainer stops c with its own stop signal and timeout unless -t
// says otherwise.
func stopContainer(cmd *cli.Command, s *container.Store, c *container.Container) error {
	sig := unix.SIGTERM
	if c.StopSignal != "" {
		var err error
		if sig, err = parseSignal(c.StopSignal); err != nil {
			return err
		}
	}
	seconds := cmd.Int("time")
	if !cmd.IsSet("time") && c.StopTimeout != nil {
		seconds = *c.StopTimeout
	}
	return s.Stop(c, sig, time.Duration(seconds)*time.Second)
}

func startCommand() *cli.Command {
	return &cli.Command{
		Name:      "start",
		Usage:     "start an exited container again",
		ArgsUsage: "CONTAINER",
		Description: `Runs an exited container's command again, in new namespaces and a new
cgroup but on its same writable layer: the files it wrote are still there.
Without -a it runs in the background (see kobako ps and logs); with -a in
the foreground, like run.

Examples:
   sudo kobako start web
   sudo kobako start -a -i shell

(start ID of a container an engine created is runc's start: kobako help oci start.)`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "attach", Aliases: []string{"a"}, Usage: "run in the foreground and return its exit status"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "with -a: connect stdin"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return exitStatus(startContainer(cmd))
		},
	}
}

func startContainer(cmd *cli.Command) (container.Exit, error) {
	if err := requireRootOrOwnStore(cmd); err != nil {
		return container.Exit{}, err
	}
	if cmd.Args().Len() != 1 {
		return container.Exit{}, errors.New(`"start" needs one container: kobako start [-a] [-i] CONTAINER`)
	}
	g := globals(cmd)
	store := container.NewStore(g.root, g.dataRoot, g.tracer)
	c, err := store.Lookup(cmd.Args().First())
	if err != nil {
		return container.Exit{}, err
	}
	if cmd.Bool("attach") {
		if err := checkInputTerminal(cmd.Bool("interactive"), c.Tty, "drop -i (kobako start -a "+c.Name+")"); err != nil {
			return container.Exit{}, err
		}
		container.SurviveClosedPipes()
	}
	exit, err := store.Start(c, cmd.Bool("attach"), stdioFor(cmd))
	if err == nil && !cmd.Bool("attach") {
		fmt.Println(c.Name)
	}
	return exit, err
}

func restartCommand() *cli.Command {
	return &cli.Command{
		Name:      "restart",
		Usage:     "stop containers, then start them again in the background",
		ArgsUsage: "CONTAINER...",
		Description: `stop (SIGTERM, SIGKILL after -t seconds), then start. A container run with
--rm stays through a restart, as with docker, and goes when it stops later.

Example:
   sudo kobako restart web`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Value: 10, Usage: "seconds to wait before SIGKILL"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return eachContainer(cmd, cmd.Args().Slice(), `"restart" needs at least one container: kobako restart [-t SECONDS] CONTAINER...`,
				func(s *container.Store, c *container.Container) error {
					err := s.Restart(c, func() error { return stopContainer(cmd, s, c) })
					return printed(c, err)
				})
		},
	}
}

func waitCommand() *cli.Command {
	return &cli.Command{
		Name:      "wait",
		Usage:     "wait until containers stop, and print their exit statuses",
		ArgsUsage: "CONTAINER...",
		Description: `Blocks until each container's PID 1 has exited (a pidfd turns readable when
its process exits, whoever its parent is), then prints its exit status, or
"unknown" when the kobako that waited for it was killed.

Example:
   sudo kobako wait web`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return eachContainer(cmd, cmd.Args().Slice(), `"wait" needs at least one container: kobako wait CONTAINER...`,
				func(s *container.Store, c *container.Container) error {
					code, err := s.Wait(c)
					if err != nil {
						return err
					}
					if code == nil {
						fmt.Println("unknown")
					} else {
						fmt.Println(*code)
					}
					return nil
				})
		},
	}
}

func renameCommand() *cli.Command {
	return &cli.Command{
		Name:      "rename",
		Usage:     "rename a container",
		ArgsUsage: "CONTAINER NEW_NAME",
		Description: `Example:
   sudo kobako rename tiny_bento web`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 2 {
				return errors.New(`"rename" needs a container and a new name: kobako rename CONTAINER NEW_NAME`)
			}
			name := cmd.Args().Get(1)
			if name == "" {
				return errors.New("the new name is empty")
			}
			return eachContainer(cmd, cmd.Args().Slice()[:1], "",
				func(s *container.Store, c *container.Container) error { return s.Rename(c, name) })
		},
	}
}

// printed prints the container's name after a successful command, as
// docker does, so scripts can chain on it.
func printed(c *container.Container, err error) error {
	if err == nil {
		fmt.Println(c.Name)
	}
	return err
}
