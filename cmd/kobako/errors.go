package main

// Mistakes on the command line, answered in one line that says what to do:
//
//	kobako: unknown flag --mount: see kobako run --help
//	kobako: --cpus abc: want a number of CPUs like 0.5
//	kobako: unknown command "stat": did you mean stats? see kobako --help
//
// urfave/cli's own answer is "Incorrect Usage: …" and the whole help text,
// 80 lines in which the one that matters scrolls away. Each command's
// OnUsageError hands its error here instead. urfave/cli has no error types
// for these, only messages (command_parse.go, command.go's set); the unit
// tests pin each message, so an upgrade that changes one fails there.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"
)

// urfave/cli's usage messages, as of v3.14.
const (
	notDefinedMsg   = "flag provided but not defined: -" // + the flag without its first dash
	needsValueMsg   = "flag needs an argument: "         // + the flag as typed
	invalidValueMsg = "invalid value "                   // + %q for flag -NAME: err
)

// oneLineErrors gives every command of app kobako's answers to usage
// mistakes. args is the command line, for naming a flag as it was typed
// (urfave/cli's messages drop a dash). A command with subcommands answers
// an unknown one itself, and stops reading flags at its first argument, so
// that `kobako network create --driver x` is about the missing command,
// not about --driver.
func oneLineErrors(app *cli.Command, args []string) {
	_ = app.Walk(func(c *cli.Command) error {
		c.OnUsageError = func(_ context.Context, cmd *cli.Command, err error, _ bool) error {
			return usageExit(cmd, usageMessage(cmd, err, args))
		}
		if len(c.Commands) > 0 && c.Action == nil {
			c.Action = groupAction
			c.StopOnNthArg = intPtr(1)
		}
		return nil
	})
}

// usageExit is the status for a usage mistake: run, create and exec keep 125 for
// kobako's own errors (their other codes are the container's), every other
// command 1.
func usageExit(cmd *cli.Command, err error) error {
	if cmd.Name == "run" || cmd.Name == "create" || cmd.Name == "exec" {
		return &exitError{code: 125, err: err}
	}
	return &exitError{code: 1, err: err}
}

// usageMessage says, in kobako's words, what urfave/cli's err means.
func usageMessage(cmd *cli.Command, err error, args []string) error {
	msg := err.Error()
	see := "see " + cmd.FullName() + " --help"
	if name, ok := strings.CutPrefix(msg, notDefinedMsg); ok {
		return unknownFlag(cmd, name, args, see)
	}
	if typed, ok := strings.CutPrefix(msg, needsValueMsg); ok {
		return fmt.Errorf("%s needs a value: %s", typed, see)
	}
	if name, value, why, ok := parseInvalidValue(msg); ok {
		return badValue(cmd, typedFlag(name, args), value, why)
	}
	return fmt.Errorf("%s: %s", msg, see)
}

// unknownFlag names the flag as it was typed, and the one meant if it is
// close to a real one.
func unknownFlag(cmd *cli.Command, name string, args []string, see string) error {
	typed := typedFlag(name, args)
	if !strings.HasPrefix(typed, "--") && len(name) > 1 {
		// -itz: urfave/cli names the whole group; say which letter is wrong
		// when it is one letter in a group of real ones.
		var unknown []string
		for _, r := range name {
			if findFlag(cmd, string(r)) == nil {
				unknown = append(unknown, string(r))
			}
		}
		if len(unknown) == 1 {
			return fmt.Errorf("unknown flag -%s in %s: %s", unknown[0], typed, see)
		}
	}
	if near := closest(name, flagNames(cmd)); len(near) > 0 {
		for i, n := range near {
			near[i] = dashes(n) + n
		}
		return fmt.Errorf("unknown flag %s: did you mean %s? %s", typed, strings.Join(near, " or "), see)
	}
	return fmt.Errorf("unknown flag %s: %s", typed, see)
}

// parseInvalidValue takes apart `invalid value "abc" for flag -cpus: why`.
func parseInvalidValue(msg string) (name, value, why string, ok bool) {
	rest, ok := strings.CutPrefix(msg, invalidValueMsg)
	if !ok {
		return "", "", "", false
	}
	quoted, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return "", "", "", false
	}
	if value, err = strconv.Unquote(quoted); err != nil {
		return "", "", "", false
	}
	rest, ok = strings.CutPrefix(rest[len(quoted):], " for flag -")
	if !ok {
		return "", "", "", false
	}
	name, why, ok = strings.Cut(rest, ": ")
	return name, value, why, ok
}

// valueHints say what a numeric flag wants, in its own units. A flag not
// listed gets its type's words (typeHint).
var valueHints = map[string]string{
	"cpus":         "want a number of CPUs like 0.5",
	"cpu-quota":    "want a whole number of µs like 50000",
	"cpu-period":   "want a whole number of µs from 1000 to 1000000, like 100000",
	"cpu-shares":   "want a whole number from 2 to 262144, like 512",
	"pids-limit":   "want a whole number of processes like 100, or -1 for no limit",
	"time":         "want a whole number of seconds like 10",
	"stop-timeout": "want a whole number of seconds like 10",
	"tail":         "want a whole number of lines like 20",
}

// badValue words a value a flag's parser refused: the strconv error
// becomes what the flag wants. A flag of kobako's own type (--trace) has
// said it already.
func badValue(cmd *cli.Command, typed, value, why string) error {
	f := findFlag(cmd, strings.TrimLeft(typed, "-"))
	if f != nil {
		if hint, ok := valueHints[f.Names()[0]]; ok {
			return fmt.Errorf("%s %s: %s", typed, showValue(value), hint)
		}
		if hint := typeHint(f); hint != "" {
			return fmt.Errorf("%s %s: %s", typed, showValue(value), hint)
		}
	}
	if strings.Contains(why, typed) {
		return errors.New(why)
	}
	return fmt.Errorf("%s %s: %s", typed, showValue(value), why)
}

func typeHint(f cli.Flag) string {
	switch f.(type) {
	case *cli.FloatFlag, *cli.Float32Flag:
		return "want a number like 0.5"
	case *cli.IntFlag, *cli.Int64Flag, *cli.Int32Flag:
		return "want a whole number like 10"
	case *cli.UintFlag, *cli.Uint64Flag, *cli.Uint32Flag:
		return "want a whole number, 0 or more, like 10"
	case *cli.DurationFlag:
		return "want a duration like 10s or 1m30s"
	}
	return ""
}

// showValue quotes a value only where it would not read as one word.
func showValue(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\n\"'") {
		return strconv.Quote(v)
	}
	return v
}

// typedFlag is the flag called name as the command line spells it (-m,
// --memory, -memory): urfave/cli's messages give it with one dash.
func typedFlag(name string, args []string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		body := strings.TrimLeft(a, "-")
		if len(body) == len(a) {
			continue
		}
		if n, _, _ := strings.Cut(body, "="); n == name {
			return a[:len(a)-len(body)] + name
		}
	}
	return dashes(name) + name
}

// dashes is how a flag is written: -m, --memory.
func dashes(name string) string {
	if len([]rune(name)) == 1 {
		return "-"
	}
	return "--"
}

// findFlag is the flag cmd knows by name, its own or an ancestor's (the
// global flags apply to every command).
func findFlag(cmd *cli.Command, name string) cli.Flag {
	for _, c := range cmd.Lineage() {
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				if n == name {
					return f
				}
			}
		}
	}
	return nil
}

// flagNames are the long names of the flags cmd shows in its help.
func flagNames(cmd *cli.Command) []string {
	var names []string
	for _, c := range cmd.Lineage() {
		for _, f := range c.Flags {
			if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
				continue
			}
			for _, n := range f.Names() {
				if len([]rune(n)) > 1 {
					names = append(names, n)
				}
			}
		}
	}
	return names
}
