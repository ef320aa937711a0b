package build

import (
	"strings"
	"testing"
)

func TestDockerignore(t *testing.T) {
	ig, err := parseIgnore(strings.NewReader("# comment\n*.log\n/build\n**/*.key\ndocs\n!docs/keep.md\nt?mp\n"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		"a.log": true, "sub/a.log": false, // * stays within a name
		"build": true, "build/x/y": true, "builder": false,
		"k.key": true, "a/b/c.key": true,
		"docs/x.md": true, "docs/keep.md": false,
		"tmp": false, "temp": true, "src/main.go": false, ".": false,
	} {
		if got := ig.ignored(path); got != want {
			t.Errorf("ignored(%q) = %v, want %v", path, got, want)
		}
	}
	var none *ignorer
	if none.ignored("a") {
		t.Errorf("no .dockerignore ignores a")
	}
}
