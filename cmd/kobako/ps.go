package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func psCommand() *cli.Command {
	return &cli.Command{
		Name:  "ps",
		Usage: "list containers",
		Description: `Lists running containers; -a adds created and exited ones. The status is
read live from the container's init process, not from a file, so it is
right even when the kobako that started the container was killed.

--format takes a Go template over the fields ID, Image, Command, Created,
Status, State and Names, or "json" for one JSON object per line.

Examples:
   sudo kobako ps
   sudo kobako ps -a -q                          # ids only, for scripts
   sudo kobako ps --format '{{.ID}} {{.Names}}'
   sudo kobako ps -a --format json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "show all containers, not only running ones"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the short ids"},
			&cli.StringFlag{Name: "format", Usage: "a Go `TEMPLATE` per container, or json"},
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
			return printPsTable(rows)
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
	Names   string `json:"names"`
}

func psRows(cmd *cli.Command) ([]psRow, error) {
	g := globals(cmd)
	store := container.NewStore(g.root, g.dataRoot, g.tracer)
	list, err := store.List()
	if err != nil {
		return nil, err
	}
	var rows []psRow
	now := time.Now()
	for _, c := range list {
		st, err := store.Status(c)
		if err != nil {
			return nil, err
		}
		if st.State != specs.StateRunning && !cmd.Bool("all") {
			continue
		}
		rows = append(rows, psRow{
			ID: c.ShortID(), Image: c.Image, Command: c.CommandLine(), Created: c.DescribeAge(now) + " ago",
			Status: c.Describe(st, now), State: string(st.State), Names: c.Name,
		})
	}
	return rows, nil
}

func printPsTable(rows []psRow) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
	fmt.Fprintln(w, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tNAMES")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%q\t%s\t%s\t%s\n", r.ID, r.Image, truncate(r.Command, 20), r.Created, r.Status, r.Names)
	}
	return w.Flush()
}

// printTemplate prints each item through a Go template, one per line, as
// docker's --format does.
func printTemplate[T any](w io.Writer, text string, items []T) error {
	tmpl, err := template.New("format").Parse(text)
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	for _, item := range items {
		var b strings.Builder
		if err := tmpl.Execute(&b, item); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		fmt.Fprintln(w, b.String())
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
