package main

import "testing"

// urfave/cli gets only the command that runs, unless the command line
// needs the whole tree: help, the manual page, completion, a suggestion.
func TestNeededCommands(t *testing.T) {
	all := commands()
	cases := []struct {
		args []string
		want string // the one command given; "" for all of them
	}{
		{[]string{"kobako", "run", "--rm", "busybox", "true"}, "run"},
		{[]string{"kobako", "--trace", "ps", "-a"}, "ps"},
		{[]string{"kobako", "container", "ls"}, "container"},
		{[]string{"kobako", "rm", "-f", "x"}, "rm"},
		{[]string{"kobako", "run", "--help"}, ""},
		{[]string{"kobako", "help", "run"}, ""},
		{[]string{"kobako", "man"}, ""},
		{[]string{"kobako", "completion", "bash"}, ""},
		{[]string{"kobako", "rnu"}, ""},
		{[]string{"kobako"}, ""},
	}
	for _, c := range cases {
		line, _ := classifyCommands(c.args, all, func(_, _, _ string) bool { return false })
		got := neededCommands(all, line.verb, c.args)
		switch {
		case c.want == "" && len(got) != len(all):
			t.Errorf("%q: %d commands, want all %d", c.args, len(got), len(all))
		case c.want != "" && (len(got) != 1 || got[0].Name != c.want):
			t.Errorf("%q: %d commands, want only %s", c.args, len(got), c.want)
		}
	}
}
