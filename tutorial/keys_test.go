package tutorial

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// usedKeys are the message keys the package's Go files name literally.
func usedKeys(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	get := regexp.MustCompile(`msg\.get\("([a-z0-9_.]+)"|"(check\.[a-z0-9_.]+)"|«()([a-z0-9_]+\.[a-z0-9_.]+)»`)
	var keys []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range get.FindAllStringSubmatch(string(data), -1) {
			if m[4] != "" {
				keys = append(keys, "article."+m[4])
				continue
			}
			if key := m[1] + m[2]; !strings.HasSuffix(key, ".") { // a prefix, as in "article." + k
				keys = append(keys, key)
			}
		}
	}
	return keys
}
