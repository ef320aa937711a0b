package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/netns"
	"github.com/kobako/kobako/rootfs"
	"github.com/kobako/kobako/runtime"
)

// inspection is what `kobako inspect` prints for one container: docker's
// sections (Id, State, Config, HostConfig, Mounts, NetworkSettings, read
// as {{.State.Pid}} like docker's), and kobako's own fields next to them,
// lower-case, which show what the kernel was asked for: namespaces, the
// overlay's layers, the cgroup, the veth.
type inspection struct {
	Id              string            `json:"Id"` //nolint:revive // docker's name, for {{.Id}}
	Path            string            `json:"Path"`
	Args            []string          `json:"Args"`
	State           *dockerState      `json:"State"`
	Config          *dockerConfig     `json:"Config"`
	HostConfig      *dockerHost       `json:"HostConfig"`
	Mounts          []dockerMount     `json:"Mounts"`
	NetworkSettings *dockerNetwork    `json:"NetworkSettings"`
	LogPath         string            `json:"LogPath"`
	RestartCount    int               `json:"RestartCount"` // docker's: restarts by its monitor since its last start
	Driver          string            `json:"Driver"`
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	Image           string            `json:"image"`
	Command         []string          `json:"command"`
	Created         string            `json:"created"`
	Status          string            `json:"status"`
	StartedAt       string            `json:"startedAt,omitempty"`  // RFC 3339, as docker's State.StartedAt; empty: never started
	FinishedAt      string            `json:"finishedAt,omitempty"` // when it last ended, as docker keeps it while it runs again; empty: never seen to end
	Pid             int               `json:"pid,omitempty"`
	ExitCode        *int              `json:"exitCode,omitempty"`
	Hostname        string            `json:"hostname"`
	Namespaces      map[string]string `json:"namespaces,omitempty"`
	Bundle          string            `json:"bundle"`
	Rootfs          string            `json:"rootfs"`
	Overlay         *rootfs.Overlay   `json:"overlay"`
	Cgroup          *cgroupInfo       `json:"cgroup,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	Network         *networkInfo      `json:"network,omitempty"`
	Restarts        int               `json:"restartCount"`  // the same, under kobako's lower-case name
	RestartPolicy   string            `json:"restartPolicy"` // as --restart took it: no, on-failure:3 …
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
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "a Go `TEMPLATE`, like docker's {{.State.Pid}} or kobako's {{.Cgroup.Path}}; {{json .State}} writes JSON"},
		},
		Description: `Prints what docker inspect does, in its shape — Id, Name, State (Status,
Pid, StartedAt, FinishedAt, ExitCode, OOMKilled), Config (Cmd, Env, User,
Image), HostConfig (Memory, NanoCpus …), Mounts, NetworkSettings
(IPAddress …) — and next to it kobako's own view: pid, status, the inodes of
its namespaces (compare with ls -l /proc/$$/ns on the host: every one
differs), where its layers are (overlay), its cgroup, and its network: on
the bridge its IP and MAC, the host's end of its veth (ip link show master
kobako0 lists it) and its published ports. Name is the name as given, with
no leading "/".
While it runs, its root as the container sees it is /proc/<pid>/root: the
overlay is mounted inside the container's mount namespace only.

Examples:
   sudo kobako inspect web
   sudo kobako inspect --format '{{.State.Pid}} {{.State.Status}}' web
   sudo kobako inspect --format '{{json .Config.Env}}' web
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
			out := []inspection{}
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
		Id: c.ID, ID: c.ID, Name: c.Name, Image: c.Image, Command: c.Command,
		Created: c.Created.Format("2006-01-02T15:04:05Z"), Status: string(st.State),
		Pid: st.Pid, ExitCode: c.ExitCode, Hostname: spec.Hostname, Namespaces: st.Namespaces,
		Bundle: c.Bundle, Rootfs: filepath.Join(c.Bundle, "rootfs"), Overlay: c.Overlay, Labels: c.Labels,
		RestartCount: c.RestartCount, Restarts: c.RestartCount, RestartPolicy: c.RestartPolicy.String(),
	}
	in.StartedAt, in.FinishedAt = rfc3339(c.StartedAt), rfc3339(c.FinishedAt)
	dockerSections(&in, c, st, spec)
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

// docker's sections of inspect, from the same record, spec and state.

// dockerState is docker's .State.
type dockerState struct {
	Status     string // created, running, paused, restarting or exited
	Running    bool
	Paused     bool
	Restarting bool // exited, and its monitor waits to restart it
	OOMKilled  bool
	Pid        int
	ExitCode   int
	StartedAt  string // RFC 3339; docker's zero time when it never started
	FinishedAt string
}

// dockerConfig is docker's .Config: what the container was asked to run.
type dockerConfig struct {
	Hostname   string
	User       string
	Tty        bool
	Env        []string
	Cmd        []string
	Image      string
	WorkingDir string
	Labels     map[string]string
}

// dockerHost is docker's .HostConfig: its limits and how it is connected.
type dockerHost struct {
	NetworkMode    string
	PortBindings   map[string][]dockerPort
	AutoRemove     bool
	RestartPolicy  dockerRestartPolicy
	ReadonlyRootfs bool
	Memory         int64 // bytes; 0: no limit
	MemorySwap     int64 // memory and swap; -1: no swap limit
	NanoCpus       int64 // CPUs × 10⁹, from the CFS quota over its period
	CpuQuota       int64 //nolint:revive // docker's names
	CpuPeriod      uint64
	PidsLimit      int64
}

// dockerRestartPolicy is docker's .HostConfig.RestartPolicy.
type dockerRestartPolicy struct {
	Name              string // no, on-failure, always, unless-stopped
	MaximumRetryCount int    // on-failure's N; 0: no limit
}

// dockerMount is one of docker's .Mounts: a -v or --mount.
type dockerMount struct {
	Type        string // bind, volume or tmpfs
	Name        string `json:",omitempty"` // a named volume's
	Source      string
	Destination string
	Mode        string
	RW          bool
	Propagation string
}

// dockerNetwork is docker's .NetworkSettings.
type dockerNetwork struct {
	IPAddress   string
	IPPrefixLen int
	Gateway     string
	MacAddress  string
	Ports       map[string][]dockerPort
	SandboxKey  string // the namespace: /proc/<pid>/ns/net while it runs
}

type dockerPort struct {
	HostIp   string //nolint:revive // docker's name
	HostPort string
}

// dockerZeroTime is how docker writes "never".
const dockerZeroTime = "0001-01-01T00:00:00Z"

// dockerSections fills in docker's sections of in.
func dockerSections(in *inspection, c *container.Container, st container.Status, spec *specs.Spec) {
	if len(c.Command) > 0 {
		in.Path, in.Args = c.Command[0], c.Command[1:]
	}
	in.LogPath, in.Driver = filepath.Join(c.Bundle, "container.log"), "overlay"
	in.State = stateOf(c, st)
	in.Config = &dockerConfig{
		Hostname: spec.Hostname, Tty: c.Tty, Cmd: c.Command, Image: c.Image, Labels: c.Labels,
	}
	if p := spec.Process; p != nil {
		in.Config.Env, in.Config.WorkingDir, in.Config.User = p.Env, p.Cwd, userOf(spec)
	}
	in.HostConfig = hostConfigOf(c, spec)
	in.Mounts = mountsOf(c, spec)
	in.NetworkSettings = networkSettingsOf(c, st.Pid)
	if in.NetworkSettings != nil {
		in.HostConfig.PortBindings = in.NetworkSettings.Ports
	}
}

func stateOf(c *container.Container, st container.Status) *dockerState {
	s := &dockerState{
		Status: string(st.State), Running: st.State == specs.StateRunning, Paused: st.State == "paused",
		OOMKilled: c.OOMKilled, Pid: st.Pid, StartedAt: dockerZeroTime, FinishedAt: dockerZeroTime,
	}
	if st.State == specs.StateStopped {
		s.Status = "exited"
	}
	if st.Restarting {
		s.Status, s.Restarting = "restarting", true
	}
	if c.ExitCode != nil {
		s.ExitCode = *c.ExitCode
	}
	if c.StartedAt != nil {
		s.StartedAt = rfc3339(c.StartedAt)
	}
	if c.FinishedAt != nil {
		s.FinishedAt = rfc3339(c.FinishedAt)
	}
	return s
}

// userOf is the user as run -u gave it: a name kept unresolved, or the
// uid:gid of the spec ("" for root, as docker shows the default).
func userOf(spec *specs.Spec) string {
	if u := spec.Annotations[runtime.UserAnnotation]; u != "" {
		return u
	}
	u := spec.Process.User
	if u.UID == 0 && u.GID == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d", u.UID, u.GID)
}

func hostConfigOf(c *container.Container, spec *specs.Spec) *dockerHost {
	h := &dockerHost{AutoRemove: c.AutoRemove, NetworkMode: "none", RestartPolicy: dockerRestartPolicy{
		Name: cmp.Or(c.RestartPolicy.Name, container.RestartNo), MaximumRetryCount: c.RestartPolicy.MaximumRetryCount,
	}}
	if c.Network != nil {
		h.NetworkMode = c.Network.Mode
	}
	if spec.Root != nil {
		h.ReadonlyRootfs = spec.Root.Readonly
	}
	if spec.Linux == nil || spec.Linux.Resources == nil {
		return h
	}
	r := spec.Linux.Resources
	if m := r.Memory; m != nil {
		h.Memory, h.MemorySwap = deref(m.Limit), deref(m.Swap)
	}
	if cpu := r.CPU; cpu != nil {
		h.CpuQuota, h.CpuPeriod = deref(cpu.Quota), deref(cpu.Period)
		if h.CpuQuota > 0 && h.CpuPeriod > 0 {
			h.NanoCpus = h.CpuQuota * 1e9 / int64(h.CpuPeriod)
		}
	}
	if r.Pids != nil && r.Pids.Limit != nil {
		h.PidsLimit = *r.Pids.Limit
	}
	return h
}

func deref[T int64 | uint64](p *T) T {
	if p == nil {
		return 0
	}
	return *p
}

// mountsOf lists the person's mounts: the binds and tmpfs they asked for,
// not the /proc, /dev … every container has, nor the /etc files kobako
// binds from the container's own directory.
func mountsOf(c *container.Container, spec *specs.Spec) []dockerMount {
	mounts := []dockerMount{}
	for _, m := range spec.Mounts {
		switch {
		case m.Type == "bind" && !strings.HasPrefix(m.Source, c.Bundle+"/"):
		case m.Type == "tmpfs" && !slices.Contains([]string{"/dev", "/dev/shm"}, m.Destination):
		default:
			continue
		}
		dm := dockerMount{Type: m.Type, Source: m.Source, Destination: m.Destination, RW: !slices.Contains(m.Options, "ro")}
		if !dm.RW {
			dm.Mode = "ro"
		}
		for _, o := range m.Options {
			if strings.HasSuffix(o, "private") || strings.HasSuffix(o, "shared") || strings.HasSuffix(o, "slave") {
				dm.Propagation = o
			}
		}
		// A named volume's data is <data-root>/volumes/NAME/_data.
		if dir, name, ok := volumeOf(m.Source); ok && m.Type == "bind" {
			dm.Type, dm.Name, dm.Source = "volume", name, dir
		}
		mounts = append(mounts, dm)
	}
	return mounts
}

// volumeOf recognises a named volume's directory by its path.
func volumeOf(source string) (dir, name string, ok bool) {
	parent := filepath.Dir(source)
	if filepath.Base(source) != "_data" || filepath.Base(filepath.Dir(parent)) != "volumes" {
		return "", "", false
	}
	return source, filepath.Base(parent), true
}

func networkSettingsOf(c *container.Container, pid int) *dockerNetwork {
	n := &dockerNetwork{Ports: map[string][]dockerPort{}}
	if pid > 0 {
		n.SandboxKey = fmt.Sprintf("/proc/%d/ns/net", pid)
	}
	if c.Network == nil || c.Network.Endpoint == nil {
		return n
	}
	ep := c.Network.Endpoint
	n.IPAddress, n.IPPrefixLen = ep.Address.Addr().String(), ep.Address.Bits()
	n.Gateway, n.MacAddress = ep.Gateway.String(), ep.MAC
	for _, p := range ep.Ports {
		key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
		host := ""
		if p.HostIP.IsValid() {
			host = p.HostIP.String()
		}
		n.Ports[key] = append(n.Ports[key], dockerPort{HostIp: host, HostPort: fmt.Sprint(p.HostPort)})
	}
	return n
}
