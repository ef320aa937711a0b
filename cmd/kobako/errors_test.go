package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
)

// miniApp is kobako's command line in small: a root with a global flag,
// run (whose mistakes exit 125), ps, a group, and a hidden command. Its
// errors go through the same oneLineErrors as kobako's.
func miniApp(args []string, action cli.ActionFunc) *cli.Command {
	if action == nil {
		action = func(context.Context, *cli.Command) error { return nil }
	}
	app := &cli.Command{
		Name:  "kobako",
		Flags: []cli.Flag{&cli.StringFlag{Name: "root"}},
		Commands: []*cli.Command{
			{Name: "run", Action: action, StopOnNthArg: intPtr(1), Flags: append(resourceFlags(),
				&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}},
				&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}})},
			{Name: "ps", Action: action, Flags: []cli.Flag{&cli.BoolFlag{Name: "all", Aliases: []string{"a"}}}},
			{Name: "stop", Action: action, Flags: []cli.Flag{&cli.IntFlag{Name: "time", Aliases: []string{"t"}}}},
			{Name: "stats", Action: action},
			{Name: "start", Action: action},
			{Name: "container", Commands: []*cli.Command{{Name: "prune", Action: action}}},
			{Name: "monitor", Hidden: true, Action: action},
		},
		UseShortOptionHandling: true,
		HideHelpCommand:        true,
		Writer:                 io.Discard,
		ErrWriter:              io.Discard,
		ExitErrHandler:         func(context.Context, *cli.Command, error) {},
	}
	oneLineErrors(app, args)
	return app
}

// The line and the status kobako gives each mistake. urfave/cli's own
// messages are what these parse: a new urfave/cli that words them
// differently fails here, not in front of a user.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "--mount", "x", "busybox"}, 125, "unknown flag --mount: see kobako run --help"},
		{[]string{"run", "-mount", "x", "busybox"}, 125, "unknown flag -mount: see kobako run --help"},
		{[]string{"run", "--mount=type=bind", "busybox"}, 125, "unknown flag --mount: see kobako run --help"},
		{[]string{"run", "-itz", "busybox"}, 125, "unknown flag -z in -itz: see kobako run --help"},
		{[]string{"run", "--memroy", "10m", "busybox"}, 125, "unknown flag --memroy: did you mean --memory? see kobako run --help"},
		{[]string{"run", "--memory"}, 125, "--memory needs a value: see kobako run --help"},
		{[]string{"run", "--cpus", "abc", "busybox"}, 125, "--cpus abc: want a number of CPUs like 0.5"},
		{[]string{"run", "--cpus=", "busybox"}, 125, `--cpus "": want a number of CPUs like 0.5`},
		{[]string{"run", "--pids-limit", "x", "busybox"}, 125, "--pids-limit x: want a whole number of processes like 100, or -1 for no limit"},
		{[]string{"run", "--cpu-period", "-5", "busybox"}, 125, "--cpu-period -5: want a whole number of µs from 1000 to 1000000, like 100000"},
		{[]string{"ps", "--bogus"}, 1, "unknown flag --bogus: see kobako ps --help"},
		{[]string{"ps", "-a", "-z"}, 1, "unknown flag -z: see kobako ps --help"},
		{[]string{"stop", "-t", "x", "c"}, 1, "-t x: want a whole number of seconds like 10"},
		{[]string{"--bogus", "ps"}, 1, "unknown flag --bogus: see kobako --help"},
		{[]string{"build", "-t", "x", "."}, 1, `unknown command "build": see kobako --help`},
		{[]string{"monitr"}, 1, `unknown command "monitr": see kobako --help`},
		{[]string{"stat"}, 1, `unknown command "stat": did you mean stats or start? see kobako --help`},
		{[]string{"network", "create", "--driver", "bridge", "n"}, 1, "kobako has no network command: give a container its network with kobako run --network none|bridge|host|container:NAME"},
		{[]string{"container", "bogus"}, 1, `unknown command "container bogus": see kobako container --help`},
		{[]string{"help", "bogus"}, 1, `unknown command "bogus": see kobako --help`},
	} {
		args := append([]string{"kobako"}, tc.args...)
		err := miniApp(args, nil).Run(context.Background(), args)
		var exit *exitError
		if !errors.As(err, &exit) {
			t.Errorf("kobako %q: %v, want an exit %d error", tc.args, err, tc.code)
			continue
		}
		if exit.code != tc.code || exit.Error() != tc.want {
			t.Errorf("kobako %q: exit %d %q\nwant exit %d %q", tc.args, exit.code, exit.Error(), tc.code, tc.want)
		}
	}
}

// Right command lines still reach their command.
func TestUsageGood(t *testing.T) {
	for _, args := range [][]string{
		{"kobako", "run", "-it", "--memory", "10m", "busybox", "ls", "-z"},
		{"kobako", "--root", "/r", "ps", "-a"},
		{"kobako", "container", "prune"},
		{"kobako", "monitor"},
	} {
		ran := false
		err := miniApp(args, func(context.Context, *cli.Command) error { ran = true; return nil }).Run(context.Background(), args)
		if err != nil || !ran {
			t.Errorf("%q: ran %v, %v", args, ran, err)
		}
	}
}

// --memory and --memory-swap as docker reads them, -1 (unlimited swap)
// included; and each refusal in one line with the valid range.
func TestMemoryFlags(t *testing.T) {
	limit := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		flags []string
		want  *specs.LinuxMemory
		err   string
	}{
		{nil, nil, ""},
		{[]string{"--memory", "10m"}, &specs.LinuxMemory{Limit: limit(10 << 20), Swap: limit(10 << 20)}, ""},
		{[]string{"--memory", "10m", "--memory-swap", "-1"}, &specs.LinuxMemory{Limit: limit(10 << 20), Swap: limit(-1)}, ""},
		{[]string{"--memory", "10m", "--memory-swap", "0"}, &specs.LinuxMemory{Limit: limit(10 << 20), Swap: limit(10 << 20)}, ""},
		{[]string{"--memory", "10m", "--memory-swap", "30m"}, &specs.LinuxMemory{Limit: limit(10 << 20), Swap: limit(30 << 20)}, ""},
		{[]string{"--memory-swap", "-1"}, nil, ""},
		{[]string{"--memory", "-1"}, nil, "--memory -1: want a size of at least 6m, like 10m (units b, k, m, g, t); leave --memory out for no limit"},
		{[]string{"--memory", "1k"}, nil, "--memory 1k: want a size of at least 6m, like 10m (units b, k, m, g, t); leave --memory out for no limit"},
		{[]string{"--memory", "10m", "--memory-swap", "5m"}, nil, "--memory-swap 5m: want a size of at least --memory 10m (it counts memory plus swap), or -1 for unlimited swap"},
		{[]string{"--memory-swap", "20m"}, nil, "--memory-swap 20m needs --memory too: it limits memory plus swap, like --memory 10m --memory-swap 20m"},
	} {
		var got *specs.LinuxMemory
		var gotErr error
		cmd := &cli.Command{Name: "run", Flags: resourceFlags(), Action: func(_ context.Context, cmd *cli.Command) error {
			got, gotErr = memoryFromFlags(cmd)
			return nil
		}}
		if err := cmd.Run(context.Background(), append([]string{"run"}, tc.flags...)); err != nil {
			t.Fatalf("%q: %v", tc.flags, err)
		}
		if tc.err != "" {
			if gotErr == nil || gotErr.Error() != tc.err {
				t.Errorf("%q: %v\nwant %s", tc.flags, gotErr, tc.err)
			}
			continue
		}
		if gotErr != nil || !sameMemory(got, tc.want) {
			t.Errorf("%q: %+v, %v; want %+v", tc.flags, got, gotErr, tc.want)
		}
	}
}

func sameMemory(a, b *specs.LinuxMemory) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a.Limit == *b.Limit && *a.Swap == *b.Swap
}

func TestClosest(t *testing.T) {
	names := []string{"run", "rm", "rmi", "stats", "start", "inspect", "images", "logs", "kill"}
	for in, want := range map[string]string{
		"rn": "run rm", "stat": "stats start", "insp": "inspect", "image": "images",
		"build": "", "bogus": "", "network": "", "lgos": "logs",
	} {
		got := closest(in, names)
		if joined := strings.Join(got, " "); joined != want {
			t.Errorf("closest(%q) = %q, want %q", in, joined, want)
		}
	}
}
