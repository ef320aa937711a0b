package main

// The manual page. `kobako man` prints kobako(1) in roff, made from the same
// command tree that --help shows, so the two cannot disagree; make install
// runs it into share/man/man1/kobako.1. Read it before installing with
// `kobako man | man -l -`. The macros are the classic man ones: see
// groff_man(7), and man-pages(7) for the order of the sections.

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"
)

func manCommand() *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "print kobako(1), the manual page, in roff",
		Hidden: true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return writeManPage(os.Stdout, cmd.Root())
		},
	}
}

// seeAlso are the pages behind kobako's steps, for a learner to read next.
const seeAlso = `unshare(1), nsenter(1), runc(8),
namespaces(7), cgroups(7), pivot_root(2), mount_namespaces(7), capabilities(7)`

// writeManPage prints the page: NAME, SYNOPSIS, DESCRIPTION, GLOBAL OPTIONS,
// one subsection per command, SEE ALSO.
func writeManPage(w io.Writer, root *cli.Command) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH %s 1 \"\" \"%s %s\" \"User Commands\"\n",
		strings.ToUpper(root.Name), root.Name, roffEscape(root.Version))
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", root.Name, roffEscape(root.Usage))
	fmt.Fprintf(&b, ".SH SYNOPSIS\n.B %s\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR...]\n", root.Name)
	fmt.Fprintf(&b, ".SH DESCRIPTION\n%s", roffText(root.Description))
	b.WriteString(".SH \"GLOBAL OPTIONS\"\n")
	writeManFlags(&b, root.VisibleFlags())
	b.WriteString(".SH COMMANDS\n")
	for _, cmd := range root.VisibleCommands() {
		writeManCommand(&b, root.Name, cmd)
	}
	fmt.Fprintf(&b, ".SH \"SEE ALSO\"\n%s\n", seeAlso)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeManCommand prints one command as a subsection headed by its
// synopsis ("kobako logs [OPTIONS] CONTAINER"), then its subcommands.
func writeManCommand(b *strings.Builder, parent string, cmd *cli.Command) {
	name := parent + " " + cmd.Name
	flags := ownFlags(cmd)
	synopsis := name
	if len(flags) > 0 {
		synopsis += " [OPTIONS]"
	}
	if len(cmd.VisibleCommands()) > 0 {
		synopsis += " COMMAND"
	}
	if cmd.ArgsUsage != "" {
		synopsis += " " + cmd.ArgsUsage
	}
	fmt.Fprintf(b, ".SS \"%s\"\n", roffEscape(synopsis))
	fmt.Fprintf(b, "%s\n", roffEscape(cmd.Usage))
	if cmd.Description != "" {
		fmt.Fprintf(b, ".PP\n%s", roffText(cmd.Description))
	}
	writeManFlags(b, flags)
	for _, sub := range cmd.VisibleCommands() {
		writeManCommand(b, name, sub)
	}
}

// ownFlags are a command's visible flags but --help, which every command
// has and GLOBAL OPTIONS already lists.
func ownFlags(cmd *cli.Command) []cli.Flag {
	var flags []cli.Flag
	for _, f := range cmd.VisibleFlags() {
		if !slices.Equal(f.Names(), cli.HelpFlag.Names()) {
			flags = append(flags, f)
		}
	}
	return flags
}

// writeManFlags prints each flag as a tagged paragraph, in the words of
// --help: cli.FlagStringer gives "names and placeholder<TAB>usage (default)".
func writeManFlags(b *strings.Builder, flags []cli.Flag) {
	for _, f := range flags {
		names, usage, _ := strings.Cut(cli.FlagStringer(f), "\t")
		fmt.Fprintf(b, ".TP\n\\fB%s\\fR\n%s\n", roffEscape(names), roffEscape(usage))
	}
}

// roffText turns a --help description into roff: blank lines part
// paragraphs, and indented lines (the examples) are kept as they are,
// unfilled, as --help shows them.
func roffText(text string) string {
	var b strings.Builder
	unfilled := false
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		indented := strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")
		if indented != unfilled {
			if indented {
				b.WriteString(".nf\n")
			} else {
				b.WriteString(".fi\n")
			}
			unfilled = indented
		}
		if strings.TrimSpace(line) == "" {
			b.WriteString(".PP\n")
			continue
		}
		b.WriteString(roffEscape(line) + "\n")
	}
	if unfilled {
		b.WriteString(".fi\n")
	}
	return b.String()
}

// roffEscape makes text safe as roff input: a backslash is roff's escape
// character, "-" is typed as "\-" so that options print as the ASCII minus
// one can paste into a shell, and a line may not begin with a control
// character ("." or "'"), which "\&" (a zero-width nothing) prevents.
func roffEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
