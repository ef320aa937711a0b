package main

// runc's state and list: what the runtime knows of its containers, in
// runc's JSON. Engines poll state after create and after a kill; list is
// for people (runc list), and for scripts with --format json.
//
//	cat /run/kobako/$ID/state.json    # what is recorded; the status is
//	                                  # derived again from the live init

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"text/tabwriter"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/runtime"
)

// containerState is a container as runc's state and list print it:
// runc's field names and order (its list.go), not the OCI state's.
type containerState struct {
	Version        string            `json:"ociVersion"`
	ID             string            `json:"id"`
	InitProcessPid int               `json:"pid"`
	Status         string            `json:"status"`
	Bundle         string            `json:"bundle"`
	Rootfs         string            `json:"rootfs"`
	Created        time.Time         `json:"created"`
	Annotations    map[string]string `json:"annotations,omitempty"`
	Owner          string            `json:"owner"`
}

// runcState is st as runc prints it. A stopped container's pid is 0: the
// number may already be someone else's.
func runcState(st *runtime.State) containerState {
	pid := st.Pid
	if st.Status == specs.StateStopped {
		pid = 0
	}
	return containerState{
		Version:        st.Version,
		ID:             st.ID,
		InitProcessPid: pid,
		Status:         string(st.Status),
		Bundle:         st.Bundle,
		Rootfs:         st.Rootfs,
		Created:        st.Created,
		Annotations:    st.Annotations,
	}
}

func ociStateCommand() *cli.Command {
	return &cli.Command{
		Name:      "state",
		Usage:     "output the state of a container",
		ArgsUsage: "ID",
		Description: `Prints the container's state as runc does: its OCI version, id, the init's
pid (0 once stopped), status (creating, created, running, paused, stopped),
bundle, root file system, creation time and annotations. The status is not
read from a file: it is derived each time from the init's pid and start
time, the exec fifo and the cgroup freezer, so it is right even when the
kobako that created the container is long gone.`,
		Action: withContainer(func(cmd *cli.Command, rt *runtime.Runtime, id string) error {
			st, err := rt.State(id)
			if err != nil {
				return err
			}
			data, err := json.MarshalIndent(runcState(st), "", "  ")
			if err != nil {
				return err
			}
			// No newline after it: runc writes none.
			_, err = os.Stdout.Write(data)
			return err
		}),
	}
}

func ociListCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "lists containers started by kobako with the given root",
		Description: `Lists every container under --root (default /run/kobako): the ones engines
made, and kobako's own, whose runtime state lives there too (by their 64-digit
ids; kobako ps shows those by name). OWNER is the owner of the container's
state directory.

   sudo kobako list
   sudo kobako --root /run/containerd/runc/default list -q`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the ids"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := noArgs(cmd); err != nil {
				return err
			}
			format, err := tableOrJSON(cmd)
			if err != nil {
				return err
			}
			rt, err := runtimeOf(cmd)
			if err != nil {
				return err
			}
			states, err := rt.List()
			if err != nil {
				return err
			}
			var list []containerState
			for _, st := range states {
				cs := runcState(st)
				cs.Owner = ownerOf(filepath.Join(rt.Root, st.ID))
				list = append(list, cs)
			}
			switch {
			case cmd.Bool("quiet"):
				for _, cs := range list {
					fmt.Println(cs.ID)
				}
				return nil
			case format == "json":
				// An empty list is null, as runc prints it.
				return json.NewEncoder(os.Stdout).Encode(list)
			}
			return printList(list)
		},
	}
}

// printList is runc's table.
func printList(list []containerState) error {
	w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
	fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
	for _, cs := range list {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", cs.ID, cs.InitProcessPid, cs.Status, cs.Bundle, cs.Created.Format(time.RFC3339Nano), cs.Owner)
	}
	return w.Flush()
}

// ownerOf is the name of dir's owner, or #UID when it has none.
func ownerOf(dir string) string {
	fi, err := os.Stat(dir)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	uid := strconv.Itoa(int(st.Uid))
	u, err := user.LookupId(uid)
	if err != nil {
		return "#" + uid
	}
	return u.Username
}
