package tutorial

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// usedKeys are the message keys the package's Go files name literally.
func usedKeys(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	get := regexp.MustCompile(`msg\.get\("([a-z0-9_.]+)"|"(check\.[a-z0-9_.]+)"`)
	var keys []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range get.FindAllStringSubmatch(string(data), -1) {
			keys = append(keys, m[1]+m[2])
		}
	}
	return keys
}
