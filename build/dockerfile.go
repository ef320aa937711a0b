// Package build is `kobako build`: the article's §7.3, "building an image
// by hand like a Dockerfile", one instruction at a time. Each RUN is a
// container on the layers so far, whose upper dir becomes the next layer;
// each COPY is the same without a process; the rest only change the
// image's config. The builder sits above container and image and uses
// only what they offer: Create, Run, Remove; AddLayer, Register.
//
// This file reads the Dockerfile: lines, continuations, comments, and
// which instructions kobako builds. Parsing is pure; Build reads the file.
package build

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Instruction is one Dockerfile instruction, continuation lines joined.
type Instruction struct {
	Line    int    // where it starts, counted from 1
	Keyword string // upper case: "RUN"
	Args    string // the rest, trimmed: "echo hi > /x"
}

// String is the instruction as `Step N/M :` shows it.
func (in Instruction) String() string { return in.Keyword + " " + in.Args }

// execForm is the instruction's arguments in JSON form (["a", "b"]), or
// nil if they are not: then they are the shell form, as docker decides.
func (in Instruction) execForm() []string {
	if !strings.HasPrefix(in.Args, "[") {
		return nil
	}
	var args []string
	if err := json.Unmarshal([]byte(in.Args), &args); err != nil {
		return nil
	}
	return args
}

// supported are the instructions kobako builds, and what each makes.
var supported = map[string]string{
	"FROM": "base", "RUN": "layer", "COPY": "layer", "ADD": "layer",
	"ENV": "config", "WORKDIR": "config", "USER": "config", "CMD": "config",
	"ENTRYPOINT": "config", "LABEL": "config", "ARG": "config", "EXPOSE": "config",
}

// unsupported are docker's other instructions, with what to do instead.
var unsupported = map[string]string{
	"HEALTHCHECK": "kobako has no health checks",
	"ONBUILD":     "kobako records no triggers for later builds",
	"SHELL":       "RUN's shell form is always /bin/sh -c; use the JSON form for another program",
	"STOPSIGNAL":  "give kobako run --stop-signal instead",
	"VOLUME":      "give kobako run -v instead",
	"MAINTAINER":  "use LABEL maintainer=… instead",
}

// ParseError is a Dockerfile error: one line, naming the file and line.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Parse reads a Dockerfile named file (for messages) from r and checks
// that kobako can build every instruction in it, before anything runs.
func Parse(r io.Reader, file string) ([]Instruction, error) {
	insts, err := split(r, file)
	if err != nil {
		return nil, err
	}
	return insts, check(insts, file)
}

// split is the Dockerfile's lines as instructions: "#" starts a comment
// line (parser directives included), "\" at the end of a line continues
// it on the next, where a comment line is skipped, as docker does.
func split(r io.Reader, file string) ([]Instruction, error) {
	var insts []Instruction
	var cur *Instruction
	scan := bufio.NewScanner(r)
	scan.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; scan.Scan(); n++ {
		line := strings.TrimRight(scan.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			if cur == nil && insts == nil && isEscapeDirective(trimmed) {
				return nil, &ParseError{file, n, "the escape parser directive is not supported: kobako reads \\ as the escape character"}
			}
			continue
		}
		if trimmed == "" {
			continue // between instructions, or inside one (docker allows it too)
		}
		text, more := strings.CutSuffix(strings.TrimRight(line, " \t"), "\\")
		if cur == nil {
			keyword, args, _ := strings.Cut(strings.TrimSpace(text), " ")
			if i := strings.IndexAny(keyword, "\t"); i >= 0 {
				keyword, args = keyword[:i], keyword[i+1:]+" "+args
			}
			cur = &Instruction{Line: n, Keyword: strings.ToUpper(keyword), Args: args}
		} else {
			cur.Args += " " + strings.TrimLeft(text, " \t")
		}
		if !more {
			cur.Args = strings.TrimSpace(cur.Args)
			insts = append(insts, *cur)
			cur = nil
		}
	}
	if err := scan.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if cur != nil { // a continuation at the end of the file ends there
		cur.Args = strings.TrimSpace(cur.Args)
		insts = append(insts, *cur)
	}
	return insts, nil
}

// isEscapeDirective is "# escape=`" and its spellings.
func isEscapeDirective(comment string) bool {
	key, _, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(comment, "#")), "=")
	return ok && strings.EqualFold(strings.TrimSpace(key), "escape")
}

// check refuses, naming the line, whatever kobako does not build: other
// instructions, a second FROM or FROM … AS (multi-stage builds), and an
// empty instruction. Only ARG may come before FROM.
func check(insts []Instruction, file string) error {
	from := 0
	for _, in := range insts {
		fail := func(format string, a ...any) error {
			return &ParseError{file, in.Line, fmt.Sprintf(format, a...)}
		}
		if why, ok := unsupported[in.Keyword]; ok {
			return fail("%s is not supported by kobako build (%s)", in.Keyword, why)
		}
		if _, ok := supported[in.Keyword]; !ok {
			return fail("unknown instruction %s (kobako build knows FROM, RUN, COPY, ADD, ENV, WORKDIR, USER, CMD, ENTRYPOINT, LABEL, ARG, EXPOSE)", in.Keyword)
		}
		if in.Args == "" {
			return fail("%s needs an argument", in.Keyword)
		}
		switch {
		case in.Keyword == "FROM":
			if from > 0 {
				return fail("a second FROM: multi-stage builds are not supported by kobako build")
			}
			if err := checkFrom(in.Args); err != "" {
				return fail("%s", err)
			}
			from = in.Line
		case from == 0 && in.Keyword != "ARG":
			return fail("%s before FROM: a Dockerfile starts with FROM (only ARG may come before it)", in.Keyword)
		}
	}
	if from == 0 {
		return &ParseError{file, max(1, len(insts)), "no FROM: a Dockerfile starts with FROM IMAGE (or FROM scratch)"}
	}
	return nil
}

// checkFrom refuses FROM's forms kobako does not build; "" if it does.
func checkFrom(args string) string {
	words := strings.Fields(args)
	switch {
	case strings.HasPrefix(words[0], "--"):
		return fmt.Sprintf("FROM %s is not supported by kobako build: it builds for this machine, from a local image", words[0])
	case len(words) == 3 && strings.EqualFold(words[1], "AS"):
		return "FROM … AS " + words[2] + ": multi-stage builds are not supported by kobako build"
	case len(words) != 1:
		return "FROM takes one image: FROM IMAGE (or FROM scratch)"
	}
	return ""
}
