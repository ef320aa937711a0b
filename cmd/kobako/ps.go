package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
	"github.com/kobako/kobako/internal/termui"
)

func psCommand() *cli.Command {
	return &cli.Command{
		Name:  "ps",
		Usage: "list containers",
		Description: `Lists running containers; -a adds created and exited ones. The status is
read live from the container's init process, not from a file, so it is
right even when the kobako that started the container was killed.

PORTS are the ports published with -p while it runs, as docker writes them
(127.0.0.1:8080->80/tcp; 0.0.0.0 for every address of the host). -s adds
SIZE: what the container wrote, its overlay's upper dir (du -s upper), and in
brackets that plus its image, all it sees.

--filter KEY=VALUE keeps the containers that match, as docker's does:
status=created|running|paused|exited (shows them without -a), name= (part
of the name), label=KEY or label=KEY=VALUE, ancestor=IMAGE, id= (an id
prefix). A key given twice matches either value; different keys must all
match.

--format takes a Go template over the fields ID, Image, Command, Created,
Status, State, Ports, Size and Names, or "json" for one JSON object per line.

Examples:
   sudo kobako ps
   sudo kobako ps -a -q                          # ids only, for scripts
   sudo kobako ps --filter status=exited --filter ancestor=busybox
   sudo kobako ps -a -s                          # what each one wrote
   sudo kobako ps --format '{{.ID}} {{.Names}}'
   sudo kobako ps -a --format json

(ps ID, the processes of one container, is runc's ps: kobako help oci ps.)`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show all containers, not only running ones"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the short ids"},
			&cli.StringFlag{Name: "format", Usage: "a Go `TEMPLATE` per container, or json"},
			&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "only containers that match `KEY=VALUE`: status, name, label, ancestor, id (repeatable)"},
			&cli.BoolFlag{Name: "size", Aliases: []string{"s"}, Usage: "show what each container wrote (its upper dir) and, in brackets, that plus its image"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			rows, err := psRows(cmd)
			if err != nil {
				return err
			}
			switch format := cmd.String("format"); {
			case cmd.Bool("quiet"):
				return printTemplate(os.Stdout, "{{.ID}}", rows)
			case format == "json":
				enc := json.NewEncoder(os.Stdout)
				for _, r := range rows {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
				return nil
			case format != "":
				return printTemplate(os.Stdout, format, rows)
			}
			return printPsTable(rows, cmd.Bool("size"))
		},
	}
}

// psRow is one container as ps shows it, and as --format sees it.
type psRow struct {
	ID      string `json:"id"`
	Image   string `json:"image"`
	Command string `json:"command"`
	Created string `json:"created"`
	Status  string `json:"status"`
	State   string `json:"state"`
	Ports   string `json:"ports"`
	Names   string `json:"names"`
	Size    string `json:"size,omitempty"` // with -s
}

func psRows(cmd *cli.Command) ([]psRow, error) {
	filter, err := parsePsFilter(cmd.StringSlice("filter"))
	if err != nil {
		return nil, err
	}
	g := globals(cmd)
	store := container.NewStore(g.root, g.dataRoot, g.tracer)
	list, err := store.List()
	if err != nil {
		return nil, err
	}
	// A status filter shows what it asks for, running or not, as docker's.
	all := cmd.Bool("all") || len(filter["status"]) > 0
	var rows []psRow
	now := time.Now()
	for _, c := range list {
		st, err := store.Status(c)
		if err != nil {
			return nil, err
		}
		if st.State != specs.StateRunning && !all || !filter.match(c, st) {
			continue
		}
		row := psRow{
			ID: c.ShortID(), Image: c.Image, Command: c.CommandLine(), Created: c.DescribeAge(now) + " ago",
			Status: c.Describe(st, now), State: string(st.State), Ports: portsText(c, st), Names: c.Name,
		}
		if cmd.Bool("size") {
			row.Size = sizeText(store, g, c)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func printPsTable(rows []psRow, size bool) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
	header := "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES"
	if size {
		header += "\tSIZE"
	}
	fmt.Fprintln(w, header)
	for _, r := range rows {
		line := fmt.Sprintf("%s\t%s\t%q\t%s\t%s\t%s\t%s", r.ID, r.Image, truncate(r.Command, 20), r.Created, r.Status, r.Ports, r.Names)
		if size {
			line += "\t" + r.Size
		}
		fmt.Fprintln(w, line)
	}
	return w.Flush()
}

// portsText is docker's PORTS: the ports published while c runs.
func portsText(c *container.Container, st container.Status) string {
	if st.State != specs.StateRunning || c.Network == nil || c.Network.Endpoint == nil {
		return ""
	}
	var ports []string
	for _, p := range c.Network.Endpoint.Ports {
		host := "0.0.0.0" // no address given: every address of the host
		if p.HostIP.IsValid() {
			host = p.HostIP.String()
		}
		ports = append(ports, fmt.Sprintf("%s:%d->%d/%s", host, p.HostPort, p.ContainerPort, p.Protocol))
	}
	return strings.Join(ports, ", ")
}

// sizeText is docker's SIZE: "2.0 KiB (virtual 4.5 MiB)" — what c wrote,
// and that plus its image.
func sizeText(store *container.Store, g settings, c *container.Container) string {
	upper, err := store.UpperSize(c)
	if err != nil {
		return "?"
	}
	text := termui.Size(upper)
	if img, err := image.NewStore(g.dataRoot, g.tracer).Get(c.Image); err == nil {
		text += " (virtual " + termui.Size(upper+img.Size) + ")"
	}
	return text
}

// printTemplate prints each item through a Go template, one per line, as
// docker's --format does, with docker's functions: {{json .State}},
// {{join .Args " "}}, upper, lower, split.
func printTemplate[T any](w io.Writer, text string, items []T) error {
	tmpl, err := template.New("format").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	for _, item := range items {
		var b strings.Builder
		if err := tmpl.Execute(&b, item); err != nil {
			return fmt.Errorf("--format: %w (the fields: %s)", err, fieldNames(item))
		}
		fmt.Fprintln(w, b.String())
	}
	return nil
}

var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join":  strings.Join,
	"split": strings.Split,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
}

// fieldNames lists what a template can ask of v: ".Id .Name .State …".
func fieldNames(v any) string {
	t := reflect.TypeOf(v)
	if t.Kind() != reflect.Struct {
		return "none"
	}
	var names []string
	for f := range t.Fields() {
		if f.IsExported() {
			names = append(names, "."+f.Name)
		}
	}
	return strings.Join(names, " ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// psFilter is --filter: the values asked for, by key.
type psFilter map[string][]string

// parsePsFilter reads docker's KEY=VALUE filters.
func parsePsFilter(args []string) (psFilter, error) {
	f := psFilter{}
	for _, arg := range args {
		key, value, ok := strings.Cut(arg, "=")
		switch {
		case !ok || value == "":
			return nil, fmt.Errorf("--filter %q: give KEY=VALUE, like status=exited or name=web", arg)
		case !slices.Contains([]string{"status", "name", "label", "ancestor", "id"}, key):
			return nil, fmt.Errorf("--filter %q: kobako ps filters by status, name, label, ancestor or id", arg)
		case key == "status" && !slices.Contains([]string{"created", "running", "paused", "exited", "stopped"}, value):
			return nil, fmt.Errorf("--filter %q: a status is created, running, paused or exited", arg)
		}
		f[key] = append(f[key], value)
	}
	return f, nil
}

// match says whether c passes every key (and one value of each).
func (f psFilter) match(c *container.Container, st container.Status) bool {
	for key, values := range f {
		if !slices.ContainsFunc(values, func(v string) bool { return matchOne(key, v, c, st) }) {
			return false
		}
	}
	return true
}

func matchOne(key, value string, c *container.Container, st container.Status) bool {
	switch key {
	case "status":
		return dockerStatus(st) == value || string(st.State) == value
	case "name":
		return strings.Contains(c.Name, value)
	case "id":
		return strings.HasPrefix(c.ID, value)
	case "label":
		k, v, withValue := strings.Cut(value, "=")
		have, ok := c.Labels[k]
		return ok && (!withValue || have == v)
	case "ancestor":
		return c.Image == value || c.Image == strings.TrimSuffix(value, ":latest") || c.Image+":latest" == value
	}
	return false
}

// dockerStatus is docker's word for a state: OCI's "stopped" is docker's
// "exited".
func dockerStatus(st container.Status) string {
	if st.Restarting {
		return "restarting"
	}
	if st.State == specs.StateStopped {
		return "exited"
	}
	return string(st.State)
}
