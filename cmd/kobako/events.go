package main

// kobako events: docker events, read from the journal every kobako
// appends to (container/events.go) — `tail -f $DATA_ROOT/events.jsonl`,
// filtered and formatted as docker prints it.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

// eventsPoll is how often a followed journal is read again.
const eventsPoll = 200 * time.Millisecond

func eventsCommand() *cli.Command {
	return &cli.Command{
		Name:  "events",
		Usage: "print what happens to containers, as it happens",
		Description: `Every kobako that creates, starts, stops, kills, pauses, renames, execs in
or removes a container appends one JSON line to $DATA_ROOT/events.jsonl
(kept under 1 MB: the older part is events.jsonl.1). kobako events reads it:
   tail -f /var/lib/kobako/events.jsonl
one line per event, as docker prints them:
   2026-12-07T05:55:01.123456789Z container start 3f2a… (image=busybox, name=web)

Without --until it follows the journal until ^C; with it, it prints what
there is up to that time and exits. --since and --until take a time
(2026-12-07T05:55:01Z, 2026-12-07), seconds since 1970, or a duration
back from now (10m). --filter KEY=VALUE keeps the events that match:
container (a name or an id), event (create, start, die, stop, kill, pause,
unpause, rename, restart, destroy, exec_start), image, type. --format json
prints each event as JSON; another Go template sees .Type, .Action,
.Actor.ID, .Actor.Attributes, .Time.

Example:
   sudo kobako events --since 10m --until 0s --filter container=web

(events ID, one container's usage as JSON lines, is runc's events: kobako
help oci events.)`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "since", Usage: "events from `TIME` on"},
			&cli.StringFlag{Name: "until", Usage: "events up to `TIME`, then exit"},
			&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Usage: "only events that match `KEY=VALUE`: container, event, image, type (repeatable)"},
			&cli.StringFlag{Name: "format", Usage: "a Go `TEMPLATE` per event, or json"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := requireRootOrOwnStore(cmd); err != nil {
				return err
			}
			return events(ctx, cmd)
		},
	}
}

// events prints the past events asked for, then follows the journal
// until --until or ^C.
func events(ctx context.Context, cmd *cli.Command) error {
	now := time.Now()
	var since, until time.Time
	var err error
	if v := cmd.String("since"); v != "" {
		if since, err = container.ParseLogTime("--since", v, now); err != nil {
			return err
		}
	} else if cmd.String("until") == "" {
		since = now // docker's: no --since, only what happens from now on
	}
	if v := cmd.String("until"); v != "" {
		if until, err = container.ParseLogTime("--until", v, now); err != nil {
			return err
		}
	}
	filter, err := parseEventFilter(cmd.StringSlice("filter"))
	if err != nil {
		return err
	}
	print, err := eventPrinter(cmd.String("format"))
	if err != nil {
		return err
	}
	show := func(e container.Event) error {
		t := e.When()
		if t.Before(since) || !until.IsZero() && t.After(until) || !filter.match(e) {
			return nil
		}
		return print(e)
	}
	dataRoot := globals(cmd).dataRoot
	f, err := container.ReadEvents(dataRoot, show)
	if err != nil {
		return err
	}
	if !until.IsZero() && !until.After(time.Now()) {
		if f != nil {
			f.Close()
		}
		return nil
	}
	// Follow: until ^C, or until --until has passed.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !until.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, until.Add(eventsPoll))
		defer cancel()
	}
	return container.FollowEvents(dataRoot, f, eventsPoll, ctx.Done(), show)
}

// eventPrinter prints an event as --format asks: docker's line, json, or
// a template.
func eventPrinter(format string) (func(container.Event) error, error) {
	switch format {
	case "":
		return func(e container.Event) error {
			_, err := fmt.Println(eventLine(e))
			return err
		}, nil
	case "json":
		enc := json.NewEncoder(os.Stdout)
		return func(e container.Event) error { return enc.Encode(e) }, nil
	}
	tmpl, err := template.New("format").Funcs(templateFuncs).Parse(format)
	if err != nil {
		return nil, fmt.Errorf("--format: %w", err)
	}
	return func(e container.Event) error {
		var b strings.Builder
		if err := tmpl.Execute(&b, e); err != nil {
			return fmt.Errorf("--format: %w (the fields: %s)", err, fieldNames(e))
		}
		_, err := fmt.Println(b.String())
		return err
	}, nil
}

// eventLine is docker's line: time, type, action, id, (attributes sorted).
func eventLine(e container.Event) string {
	keys := make([]string, 0, len(e.Actor.Attributes))
	for k := range e.Actor.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]string, len(keys))
	for i, k := range keys {
		attrs[i] = k + "=" + e.Actor.Attributes[k]
	}
	when := e.When().Format("2006-01-02T15:04:05.000000000Z07:00")
	return fmt.Sprintf("%s %s %s %s (%s)", when, e.Type, e.Action, e.Actor.ID, strings.Join(attrs, ", "))
}

// eventFilter is --filter: the values asked for, by key. Values of one
// key are alternatives; keys must all match.
type eventFilter map[string][]string

// parseEventFilter reads docker's KEY=VALUE filters of events.
func parseEventFilter(args []string) (eventFilter, error) {
	f := eventFilter{}
	for _, arg := range args {
		k, v, ok := strings.Cut(arg, "=")
		if !ok || v == "" {
			return nil, fmt.Errorf("--filter %q: give KEY=VALUE, like container=web or event=start", arg)
		}
		switch k {
		case "container", "event", "image", "type":
		default:
			return nil, fmt.Errorf("--filter %q: kobako events filters by container, event, image or type", arg)
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

// match says whether e passes every key of f.
func (f eventFilter) match(e container.Event) bool {
	for key, values := range f {
		ok := false
		for _, v := range values {
			switch key {
			case "container":
				ok = ok || v == e.Actor.Attributes["name"] || strings.HasPrefix(e.Actor.ID, v)
			case "event":
				ok = ok || v == e.Action
			case "image":
				ok = ok || v == e.Actor.Attributes["image"]
			case "type":
				ok = ok || v == e.Type
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
