package main

// runc's ps: the processes of a container's cgroup.
//
//	cat /sys/fs/cgroup/…/$ID/cgroup.procs          # ps --format json ID
//	ps -ef | filter by those pids                   # ps ID
//
// containerd's `ctr task ps` calls ps --format json ID and reads the array
// of host pids.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"
)

func ociPsCommand() *cli.Command {
	return &cli.Command{
		Name:      "ps",
		Usage:     "ps displays the processes running inside a container",
		ArgsUsage: "ID [PS_OPTIONS...]",
		Description: `Lists the processes of the container's cgroup (cgroup.procs), host pids. As
a table it runs the host's ps (with PS_OPTIONS, default -ef) and keeps the
lines of those pids, as runc does; --format json prints the pids alone.

(kobako ps, without an id, lists kobako's own containers.)`,
		StopOnNthArg: intPtr(1),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() < 1 {
				return errors.New(`"ps" needs the container's id: kobako ps [--format table|json] ID [PS_OPTIONS...]`)
			}
			format, err := tableOrJSON(cmd)
			if err != nil {
				return err
			}
			rt, err := runtimeOf(cmd)
			if err != nil {
				return err
			}
			pids, err := rt.Pids(cmd.Args().First())
			if err != nil {
				return err
			}
			if format == "json" {
				if pids == nil {
					pids = []int{}
				}
				return json.NewEncoder(os.Stdout).Encode(pids)
			}
			psArgs := cmd.Args().Tail()
			if len(psArgs) == 0 {
				psArgs = []string{"-ef"}
			}
			// ps -ef
			out, err := exec.Command("ps", psArgs...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("ps %s: %w: %s", strings.Join(psArgs, " "), err, strings.TrimSpace(string(out)))
			}
			table, err := psLinesOf(string(out), pids)
			if err != nil {
				return err
			}
			fmt.Print(table)
			return nil
		},
	}
}

// psLinesOf keeps ps's header and the lines whose PID column is one of
// pids.
func psLinesOf(out string, pids []int) (string, error) {
	lines := strings.Split(out, "\n")
	column := slices.Index(strings.Fields(lines[0]), "PID")
	if column < 0 {
		return "", errors.New("ps printed no PID column: give it options that show one (-ef)")
	}
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) <= column {
			continue
		}
		pid, err := strconv.Atoi(fields[column])
		if err != nil {
			return "", fmt.Errorf("ps line %q: no pid in column %d", line, column+1)
		}
		if slices.Contains(pids, pid) {
			b.WriteString(line + "\n")
		}
	}
	return b.String(), nil
}
