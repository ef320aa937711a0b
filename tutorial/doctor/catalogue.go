package doctor

// The texts doctor shows, one catalogue per language (en.txt, ja.txt),
// embedded in the binary. The format is described at the top of en.txt:
// [section] headers, "key = value" lines, indented lines continuing a
// value on a new line, # comments — simple enough for a teacher to edit
// without Go. A test checks that both files have the same keys.

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"strings"

	"github.com/kobako/kobako/tutorial/lang"
)

//go:embed en.txt ja.txt
var catalogueFiles embed.FS

// Catalogue is the texts of one language: section → key → text.
type Catalogue struct {
	Lang     string
	sections map[string]map[string]string
}

// LoadCatalogue returns the catalogue of language l ("ja", "en"); any
// other language gets English.
func LoadCatalogue(l string) (*Catalogue, error) {
	if !lang.Valid(l) {
		l = lang.English
	}
	f, err := catalogueFiles.Open(l + ".txt")
	if err != nil {
		return nil, fmt.Errorf("open catalogue %s.txt: %w", l, err)
	}
	defer f.Close()
	sections, err := parseCatalogue(f)
	if err != nil {
		return nil, fmt.Errorf("catalogue %s.txt: %w", l, err)
	}
	return &Catalogue{Lang: l, sections: sections}, nil
}

// parseCatalogue reads the format:
//
//	# a comment
//	[overlay]
//	title = overlayfs
//	missing = This kernel has no overlayfs.
//	  A second line of the same text.
func parseCatalogue(r io.Reader) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	var section map[string]string
	var lastKey string
	scan := bufio.NewScanner(r)
	for n := 1; scan.Scan(); n++ {
		line := scan.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			lastKey = "" // a blank line or comment ends a value
		case line[0] == ' ' || line[0] == '\t':
			if lastKey == "" {
				return nil, fmt.Errorf("line %d: indented line continues no value", n)
			}
			section[lastKey] += "\n" + trimmed
		case strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]"):
			name := strings.TrimSpace(trimmed[1 : len(trimmed)-1])
			if _, dup := out[name]; dup {
				return nil, fmt.Errorf("line %d: section [%s] twice", n, name)
			}
			section = map[string]string{}
			out[name] = section
			lastKey = ""
		default:
			key, value, ok := strings.Cut(trimmed, "=")
			key = strings.TrimSpace(key)
			if !ok || key == "" {
				return nil, fmt.Errorf("line %d: want \"key = value\", [section] or # comment: %q", n, line)
			}
			if section == nil {
				return nil, fmt.Errorf("line %d: %q before any [section]", n, key)
			}
			if _, dup := section[key]; dup {
				return nil, fmt.Errorf("line %d: key %q twice in its section", n, key)
			}
			value = strings.TrimSpace(value)
			// "…" keeps the spaces at its ends: list-separator = ", "
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			section[key] = value
			lastKey = key
		}
	}
	return out, scan.Err()
}

// Text is the text of section.key with its {name} placeholders filled
// from args; ok is false when the catalogue has no such text.
func (c *Catalogue) Text(section, key string, args map[string]string) (text string, ok bool) {
	text, ok = c.sections[section][key]
	if !ok {
		return "", false
	}
	for name, v := range args {
		text = strings.ReplaceAll(text, "{"+name+"}", v)
	}
	return text, true
}

// must is Text for the catalogue's own keys (ui, group, chapter): a
// missing one shows as its name, which the catalogue test prevents.
func (c *Catalogue) must(section, key string, args map[string]string) string {
	if t, ok := c.Text(section, key, args); ok {
		return t
	}
	return section + "." + key
}

// Explained is a finding in words.
type Explained struct {
	Title string // "overlayfs"
	Text  string // what was found and what it means
	Fix   string // what to do; "" when nothing needs doing
}

// Explain puts f into words. A finding the catalogue lacks (a bug, which
// the catalogue test catches) is explained by its id and variant.
func (c *Catalogue) Explain(f Finding) Explained {
	e := Explained{Title: c.must(f.ID, "title", f.Args), Text: c.must(f.ID, f.Variant, f.Args)}
	e.Fix, _ = c.Text(f.ID, f.Variant+".fix", f.Args)
	return e
}

// keys lists every section.key of c, for the catalogue test.
func (c *Catalogue) keys() map[string]bool {
	out := map[string]bool{}
	for s, kv := range c.sections {
		for k := range kv {
			out[s+"."+k] = true
		}
	}
	return out
}
