package build

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := "# syntax=docker/dockerfile:1\n\nFROM busybox\nrun echo a \\\n    && echo b\n# inside\nCOPY [\"a b\", \"/c/\"]\nCMD echo hi\n"
	insts, err := Parse(strings.NewReader(src), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	want := []Instruction{
		{Line: 3, Keyword: "FROM", Args: "busybox"},
		{Line: 4, Keyword: "RUN", Args: "echo a && echo b"},
		{Line: 7, Keyword: "COPY", Args: `["a b", "/c/"]`},
		{Line: 8, Keyword: "CMD", Args: "echo hi"},
	}
	if !slices.Equal(insts, want) {
		t.Errorf("Parse = %+v\nwant %+v", insts, want)
	}
	if got := insts[2].execForm(); !slices.Equal(got, []string{"a b", "/c/"}) {
		t.Errorf("execForm = %q", got)
	}
	if got := insts[3].execForm(); got != nil {
		t.Errorf("shell form's execForm = %q, want nil", got)
	}
}

func TestParseRefuses(t *testing.T) {
	for src, want := range map[string]string{
		"FROM a\nHEALTHCHECK CMD true\n":  "Dockerfile:2: HEALTHCHECK is not supported by kobako build (kobako has no health checks)",
		"FROM a AS b\n":                   "Dockerfile:1: FROM … AS b: multi-stage builds are not supported by kobako build",
		"FROM a\nRUN x\nFROM b\n":         "Dockerfile:3: a second FROM: multi-stage builds are not supported by kobako build",
		"RUN x\n":                         "Dockerfile:1: RUN before FROM: a Dockerfile starts with FROM (only ARG may come before it)",
		"FROM a\nFROB x\n":                "Dockerfile:2: unknown instruction FROB (kobako build knows FROM, RUN, COPY, ADD, ENV, WORKDIR, USER, CMD, ENTRYPOINT, LABEL, ARG, EXPOSE)",
		"FROM a\nRUN\n":                   "Dockerfile:2: RUN needs an argument",
		"# escape=`\nFROM a\n":            "Dockerfile:1: the escape parser directive is not supported: kobako reads \\ as the escape character",
		"FROM --platform=linux/arm64 a\n": "Dockerfile:1: FROM --platform=linux/arm64 is not supported by kobako build: it builds for this machine, from a local image",
		"ARG X\n":                         "Dockerfile:1: no FROM: a Dockerfile starts with FROM IMAGE (or FROM scratch)",
	} {
		_, err := Parse(strings.NewReader(src), "Dockerfile")
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v\nwant %s", src, err, want)
		}
	}
}
