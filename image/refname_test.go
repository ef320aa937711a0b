package image

import "testing"

func TestNameFromRef(t *testing.T) {
	for in, want := range map[string]string{
		"bash":                             "bash",
		"bash:5.2":                         "bash:5.2",
		"bash:latest":                      "bash",
		"docker.io/library/bash:5.2":       "bash:5.2",
		"127.0.0.1:5000/tools/jq":          "jq",
		"ghcr.io/a/b@sha256:0123":          "b",
		"registry.example:5000/team/app:1": "app:1",
	} {
		if got := NameFromRef(in); got != want {
			t.Errorf("NameFromRef(%q) = %q, want %q", in, got, want)
		}
	}
}
