package main

// A command kobako does not have: the real ones it may have been, or what
// kobako does instead.
//
//	kobako: unknown command "stat": did you mean stats? see kobako --help
//	kobako: kobako has no network command: give a container its network with kobako run --network none|bridge|host|container:NAME
//
// Only commands a user can see are suggested: hidden ones (the detached
// monitor, the man page writer) are kobako's own business.

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"
)

// elsewhere says where kobako does what a docker command of that name
// does. A command added later wins over its entry here, since only a
// command that is not found is looked up.
var elsewhere = map[string]string{
	"network": "kobako has no network command: give a container its network with kobako run --network none|bridge|host|container:NAME",
	"volume":  "kobako has no volume command: bind a host directory with kobako run -v HOST_DIR:CTR_DIR[:ro]",
}

// groupAction runs a command that only holds others (kobako itself,
// kobako container …): without an argument it shows its help, with one
// that is no command it says so. `kobako help [COMMAND]` works as docker's.
func groupAction(ctx context.Context, cmd *cli.Command) error {
	args := cmd.Args().Slice()
	if len(args) > 0 && args[0] == "help" && cmd.Root() == cmd {
		return showHelp(ctx, cmd, args[1:])
	}
	if len(args) == 0 {
		if cmd.Root() == cmd {
			return cli.ShowRootCommandHelp(cmd)
		}
		return cli.ShowSubcommandHelp(cmd)
	}
	return unknownCommand(cmd, args[0])
}

// showHelp is `kobako help run` or `kobako help container prune`.
func showHelp(ctx context.Context, root *cli.Command, path []string) error {
	if len(path) == 0 {
		return cli.ShowRootCommandHelp(root)
	}
	parent := root
	for _, name := range path[:len(path)-1] {
		sub := parent.Command(name)
		if sub == nil {
			return unknownCommand(parent, name)
		}
		parent = sub
	}
	last := path[len(path)-1]
	if parent.Command(last) == nil {
		return unknownCommand(parent, last)
	}
	return cli.ShowCommandHelp(ctx, parent, last)
}

// unknownCommand is the error for `kobako NAME` when kobako has no NAME.
func unknownCommand(cmd *cli.Command, name string) error {
	if cmd.Root() == cmd {
		if instead, ok := elsewhere[name]; ok {
			return &exitError{code: 1, err: fmt.Errorf("%s", instead)}
		}
	}
	full := strings.TrimPrefix(strings.TrimPrefix(cmd.FullName(), cmd.Root().Name), " ")
	if full != "" {
		full += " "
	}
	see := "see " + cmd.FullName() + " --help"
	var names []string
	for _, c := range cmd.VisibleCommands() {
		names = append(names, c.Names()...)
	}
	if near := closest(name, names); len(near) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("unknown command %q: did you mean %s? %s", full+name, strings.Join(near, " or "), see)}
	}
	return &exitError{code: 1, err: fmt.Errorf("unknown command %q: %s", full+name, see)}
}

// closest are the candidates nearest to s, if a typo away, at most three: one edit for a short word, two for a longer one, or a prefix
// of three letters or more (insp → inspect).
func closest(s string, candidates []string) []string {
	limit := 1
	if len(s) > 5 {
		limit = 2
	}
	best := limit + 1
	var near []string
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] {
			continue
		}
		seen[c] = true
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if len(s) >= 3 && strings.HasPrefix(c, s) {
			d = min(d, 1)
		}
		switch {
		case d > limit:
		case d < best:
			best, near = d, []string{c}
		case d == best:
			near = append(near, c)
		}
	}
	if len(near) > 3 {
		near = near[:3]
	}
	return near
}

// editDistance counts the single-letter insertions, deletions,
// substitutions and swaps of neighbours that turn a into b (optimal string
// alignment: "memroy" is one swap from "memory").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j]: the distance between ra[:i] and rb[:j]
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
