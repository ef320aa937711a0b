package main

// Two command lines share one binary: kobako's own, for people (run IMAGE,
// ps, rm …), and runc's, for engines (create --bundle B ID, state ID …),
// which podman, containerd and Docker call in place of runc. Some verbs
// are in both — start, kill, exec, pause, update, events, ps, create, run
// — with different flags and arguments, and engines never call the
// people's forms. Before any parser runs, this file reads the command line
// and decides which of the two it is (design.md, "Command line"):
//
//   - a global flag only engines use (--log, --log-format, --debug,
//     --systemd-cgroup, --criu, --rootless): runc's;
//   - a verb only runc has (state, delete, list, spec, resume, features,
//     checkpoint, restore): runc's;
//   - a flag only runc's form of the verb has (create --bundle, exec
//     --process, kill --all, update --resources, events --stats …): runc's;
//   - ps ID, events ID: runc's (the people's ps and events take no id);
//   - kill ID SIG, with a second argument that is a signal: runc's;
//   - start, pause, update, kill or exec of one id that is an engine's
//     container — the runtime has a state of exactly that id, and no
//     people's container (theirs have a state there too) has exactly that
//     id: runc's;
//   - everything else: kobako's own, an id nobody knows among them.
//
// The flags of both forms are read from their cli.Command definitions, so
// a flag added to either is known here without a second list to keep.

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/runtime"
)

// ociOnlyVerbs have only runc's meaning: people use rm, inspect, unpause.
var ociOnlyVerbs = []string{"state", "delete", "list", "spec", "resume", "features", "checkpoint", "restore"}

// sharedVerbs are verbs of both command lines.
var sharedVerbs = []string{"create", "run", "start", "kill", "exec", "pause", "update", "events", "ps"}

// engineCommandLine reads args (os.Args) and says whether they are
// runc's command line.
// people is the people's command tree, which run goes on to use.
func engineCommandLine(args []string, people []*cli.Command) (commandLine, bool) {
	return classifyCommands(args, people, engineContainer)
}

// classifyCommandLine is engineCommandLine with the question "is this id
// an engine's container under root?" answered by isEngineContainer.
func classifyCommandLine(args []string, isEngineContainer func(root, dataRoot, id string) bool) (commandLine, bool) {
	return classifyCommands(args, commands(), isEngineContainer)
}

func classifyCommands(args []string, peopleCmds []*cli.Command, isEngineContainer func(root, dataRoot, id string) bool) (commandLine, bool) {
	people, oci := commandsByName(peopleCmds), commandsByName(ociCommands())
	peopleGlobals, ociGlobals := globalFlags(), ociGlobalFlags()
	line := readCommandLine(args, ociGlobals, func(verb string) []cli.Flag {
		return slices.Concat(flagsOf(people[verb]), flagsOf(oci[verb]))
	})
	root, dataRoot := defaultRoots()
	if v, ok := line.globals["root"]; ok {
		root = v
	}
	if v, ok := line.globals["data-root"]; ok {
		dataRoot = v
	}
	isEngine := func(id string) bool { return isEngineContainer(root, dataRoot, id) }
	return line, line.engineForm(peopleGlobals, ociGlobals, people[line.verb], oci[line.verb], isEngine)
}

// commandsByName indexes commands by their names.
func commandsByName(cmds []*cli.Command) map[string]*cli.Command {
	byName := map[string]*cli.Command{}
	for _, c := range cmds {
		for _, n := range c.Names() {
			byName[n] = c
		}
	}
	return byName
}

func flagsOf(c *cli.Command) []cli.Flag {
	if c == nil {
		return nil
	}
	return c.Flags
}

// commandLine is a command line as the dispatcher reads it.
type commandLine struct {
	globals map[string]string // global flags given: name → value ("" for a switch)
	verb    string
	flags   map[string]bool // the verb's flags given, by every name they go by
	args    []string        // the verb's arguments, up to the first flag after them
}

// readCommandLine splits args (os.Args) into global flags, the verb, its
// flags and its arguments. globalFlags and verbFlags say which flags take
// a value, so that `--root /x` and `-e A=1` are not taken for arguments.
func readCommandLine(args []string, globalFlags []cli.Flag, verbFlags func(verb string) []cli.Flag) commandLine {
	l := commandLine{globals: map[string]string{}, flags: map[string]bool{}}
	rest := args[1:]
	for len(rest) > 0 && isFlag(rest[0]) {
		var names []string
		var value string
		names, value, rest = takeFlag(rest, globalFlags)
		for _, n := range names {
			l.globals[n] = value
		}
	}
	if len(rest) == 0 {
		return l
	}
	l.verb, rest = rest[0], rest[1:]
	flags := verbFlags(l.verb)
	for len(rest) > 0 {
		switch {
		case rest[0] == "--":
			l.args = append(l.args, rest[1:]...)
			return l
		case isFlag(rest[0]) && len(l.args) == 0:
			var names []string
			names, _, rest = takeFlag(rest, flags)
			for _, name := range names {
				for _, n := range namesOf(name, flags) {
					l.flags[n] = true
				}
			}
		case isFlag(rest[0]):
			// A flag after the arguments: the rest is the command's
			// (exec ID ps -ef) or a flag people put last; either way it
			// says nothing more about the form.
			return l
		default:
			l.args = append(l.args, rest[0])
			rest = rest[1:]
		}
	}
	return l
}

func isFlag(s string) bool { return len(s) > 1 && s[0] == '-' }

// takeFlag reads the flag at the head of args — --name, --name=value,
// -n, or a group of one-letter switches (-it) — and its value when it
// takes one. It returns the flag's names (each letter of a group) and the
// arguments after it.
func takeFlag(args []string, flags []cli.Flag) (names []string, value string, rest []string) {
	body := strings.TrimLeft(args[0], "-")
	rest = args[1:]
	name, value, hasValue := strings.Cut(body, "=")
	names = []string{name}
	if flagNamed(name, flags) == nil && !strings.HasPrefix(args[0], "--") && len(name) > 1 {
		// -it: each letter a flag of its own; the last may take a value.
		names = strings.Split(name, "")
		name = names[len(names)-1]
	}
	if !hasValue && takesValue(flagNamed(name, flags)) && len(rest) > 0 {
		value, rest = rest[0], rest[1:]
	}
	return names, value, rest
}

// flagNamed is the flag of flags called name, or nil.
func flagNamed(name string, flags []cli.Flag) cli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

// namesOf is every name of the flag called name (--all and -a), or just
// name when flags do not know it.
func namesOf(name string, flags []cli.Flag) []string {
	if f := flagNamed(name, flags); f != nil {
		return f.Names()
	}
	return []string{name}
}

// takesValue says whether a flag reads the next argument as its value. An
// unknown flag is taken for a switch. A flag whose value is optional
// (--trace, --trace=all) is a switch when it stands alone.
func takesValue(f cli.Flag) bool {
	if g, ok := f.(*cli.GenericFlag); ok {
		if b, ok := g.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			return false
		}
	}
	v, ok := f.(cli.DocGenerationFlag)
	return ok && v.TakesValue()
}

// engineForm says whether l is runc's command line. isEngineContainer
// answers for an id that names a container of an engine's.
func (l commandLine) engineForm(peopleGlobals, ociGlobals []cli.Flag, peopleVerb, ociVerb *cli.Command, isEngineContainer func(id string) bool) bool {
	for name := range l.globals {
		if flagNamed(name, ociGlobals) != nil && flagNamed(name, peopleGlobals) == nil {
			return true
		}
	}
	if slices.Contains(ociOnlyVerbs, l.verb) {
		return true
	}
	if !slices.Contains(sharedVerbs, l.verb) || ociVerb == nil {
		return false
	}
	for name := range l.flags {
		if flagNamed(name, ociVerb.Flags) != nil && (peopleVerb == nil || flagNamed(name, peopleVerb.Flags) == nil) {
			return true
		}
	}
	if len(l.args) == 0 || l.verb == "create" || l.verb == "run" {
		return false // create and run: --bundle (or another flag of runc's) or nothing
	}
	switch l.verb {
	case "ps", "events":
		return true
	case "kill":
		if len(l.args) == 2 {
			_, err := parseSignal(l.args[1])
			return err == nil
		}
	}
	// runc's start, pause, update and kill take one id; more are the
	// people's containers.
	if len(l.args) > 1 && l.verb != "exec" {
		return false
	}
	return isEngineContainer(l.args[0])
}

// engineContainer reports whether id is an engine's container under
// root: the runtime has a state of exactly that id, and the people's
// store in dataRoot — whose containers have their runtime state there
// too — has no container with exactly that id. An id nobody knows is the
// people's: `kobako start typo` says "no such container".
func engineContainer(root, dataRoot, id string) bool {
	if _, err := (&runtime.Runtime{Root: root}).State(id); err != nil {
		return false
	}
	c, err := container.NewStore(root, dataRoot, nil).Lookup(id)
	return err != nil || c.ID != id
}
