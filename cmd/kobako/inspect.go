package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/netns"
	"github.com/kobako/kobako/rootfs"
)

// inspection is what `kobako inspect` prints for one container.
type inspection struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Image      string            `json:"image"`
	Command    []string          `json:"command"`
	Created    string            `json:"created"`
	Status     string            `json:"status"`
	StartedAt  string            `json:"startedAt,omitempty"`  // RFC 3339, as docker's State.StartedAt; empty: never started
	FinishedAt string            `json:"finishedAt,omitempty"` // when it last ended, as docker keeps it while it runs again; empty: never seen to end
	Pid        int               `json:"pid,omitempty"`
	ExitCode   *int              `json:"exitCode,omitempty"`
	Hostname   string            `json:"hostname"`
	Namespaces map[string]string `json:"namespaces,omitempty"`
	Bundle     string            `json:"bundle"`
	Rootfs     string            `json:"rootfs"`
	Overlay    *rootfs.Overlay   `json:"overlay"`
	Cgroup     *cgroupInfo       `json:"cgroup,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Network    *networkInfo      `json:"network,omitempty"`
}

// networkInfo is how the container is connected: its mode, the namespace
// to look into (nsenter --net=PATH ip addr), and on the bridge its
// address, MAC, the two ends of its veth and its published ports.
type networkInfo struct {
	Mode      string `json:"mode"`
	Container string `json:"container,omitempty"` // container mode: whose namespace
	Namespace string `json:"namespace,omitempty"` // /proc/<pid>/ns/net, while it runs
	IP        string `json:"ip,omitempty"`
	*netns.Endpoint
}

// cgroupInfo is the container's cgroup: where, its limits and its usage.
type cgroupInfo struct {
	Path      string         `json:"path"`
	Resources any            `json:"resources,omitempty"` // the spec's linux.resources
	Usage     *cgroups.Stats `json:"usage,omitempty"`     // while it runs
	OOMKilled bool           `json:"oomKilled,omitempty"`
}

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show a container's details as JSON",
		ArgsUsage: "CONTAINER...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "a Go `TEMPLATE` over the JSON fields' Go names, like {{.Pid}} or {{.Cgroup.Path}}"},
		},
		Description: `Prints id, image, pid, status, the inodes of its namespaces (compare with
ls -l /proc/$$/ns on the host: every one differs), where its layers are,
and its network: on the bridge its IP and MAC, the host's end of its veth
(ip link show master kobako0 lists it) and its published ports.
While it runs, its root as the container sees it is /proc/<pid>/root: the
overlay is mounted inside the container's mount namespace only.

Examples:
   sudo kobako inspect web
   sudo kobako inspect --format '{{.Pid}} {{.Status}}' web
   sudo kobako inspect --format '{{.Network.IP}} {{.Network.HostVeth}}' web`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			if cmd.Args().Len() == 0 {
				return errors.New(`"inspect" needs at least one container: kobako inspect CONTAINER...`)
			}
			g := globals(cmd)
			store := container.NewStore(g.root, g.dataRoot, g.tracer)
			var out []inspection
			for _, ref := range cmd.Args().Slice() {
				c, err := store.Lookup(ref)
				if err != nil {
					return err
				}
				in, err := inspect(store, c)
				if err != nil {
					return err
				}
				out = append(out, in)
			}
			if format := cmd.String("format"); format != "" {
				return printTemplate(os.Stdout, format, out)
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
}

func inspect(store *container.Store, c *container.Container) (inspection, error) {
	st, err := store.Status(c)
	if err != nil {
		return inspection{}, err
	}
	spec, err := c.Spec()
	if err != nil {
		return inspection{}, err
	}
	in := inspection{
		ID: c.ID, Name: c.Name, Image: c.Image, Command: c.Command,
		Created: c.Created.Format("2006-01-02T15:04:05Z"), Status: string(st.State),
		Pid: st.Pid, ExitCode: c.ExitCode, Hostname: spec.Hostname, Namespaces: st.Namespaces,
		Bundle: c.Bundle, Rootfs: filepath.Join(c.Bundle, "rootfs"), Overlay: c.Overlay, Labels: c.Labels,
	}
	in.StartedAt, in.FinishedAt = rfc3339(c.StartedAt), rfc3339(c.FinishedAt)
	if st.Pid > 0 {
		in.Rootfs = fmt.Sprintf("/proc/%d/root", st.Pid)
	}
	in.Network = networkOf(c, st.Pid)
	if spec.Linux != nil && spec.Linux.CgroupsPath != "" {
		in.Cgroup = &cgroupInfo{Path: spec.Linux.CgroupsPath, Resources: spec.Linux.Resources, OOMKilled: c.OOMKilled}
		if usage, err := store.Stats(c); err == nil {
			in.Cgroup.Usage = usage
		}
	}
	return in, nil
}

// networkOf is the record's network, with the live namespace path.
func networkOf(c *container.Container, pid int) *networkInfo {
	if c.Network == nil {
		return nil
	}
	info := &networkInfo{Mode: c.Network.Mode, Container: c.Network.Container, Endpoint: c.Network.Endpoint}
	if pid > 0 {
		info.Namespace = fmt.Sprintf("/proc/%d/ns/net", pid)
	}
	if ep := c.Network.Endpoint; ep != nil {
		info.IP = ep.Address.Addr().String()
	}
	return info
}

// rfc3339 writes a time as docker's inspect does ("" for none).
func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
