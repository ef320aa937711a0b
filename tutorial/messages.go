package tutorial

// The tutorial's own words — prompts, results, the labels of its boxes —
// in one catalogue per language, tutorial/en/messages.txt and
// tutorial/ja/messages.txt, so a teacher can fix a sentence without Go:
//
//	# a comment
//	check.pid1.ok = your shell is PID 1 (host PID %d)
//
// One message a line; %s and %d are filled in by the code, in order; \n is
// a line break. Both files have the same keys (a test compares them).

import (
	"bufio"
	"fmt"
	"strings"
)

// catalog is one language's messages, by key.
type catalog map[string]string

// loadCatalog reads tutorial/LANG/messages.txt.
func loadCatalog(lang string) (catalog, error) {
	data, err := texts.ReadFile(lang + "/messages.txt")
	if err != nil {
		return nil, err
	}
	return parseCatalog(string(data))
}

// parseCatalog reads "key = text" lines.
func parseCatalog(text string) (catalog, error) {
	c := catalog{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("messages line %d: want key = text", n)
		}
		c[strings.TrimSpace(key)] = strings.ReplaceAll(strings.TrimSpace(value), `\n`, "\n")
	}
	return c, sc.Err()
}

// get returns the message for key, filled with args. A missing key shows
// itself, so a gap is seen at once (and the catalogue test fails).
func (c catalog) get(key string, args ...any) string {
	text, ok := c[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) == 0 {
		return text
	}
	return fmt.Sprintf(text, args...)
}
