package doctor

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// Both catalogues have the same sections and keys, the same {placeholders}
// in each text, and every Japanese text is Japanese.
func TestCataloguesMatch(t *testing.T) {
	en, err := LoadCatalogue("en")
	if err != nil {
		t.Fatal(err)
	}
	ja, err := LoadCatalogue("ja")
	if err != nil {
		t.Fatal(err)
	}
	enKeys, jaKeys := en.keys(), ja.keys()
	for k := range enKeys {
		if !jaKeys[k] {
			t.Errorf("ja.txt lacks %s, which en.txt has", k)
		}
	}
	for k := range jaKeys {
		if !enKeys[k] {
			t.Errorf("en.txt lacks %s, which ja.txt has", k)
		}
	}
	// names that read the same in both languages
	sameInBoth := map[string]bool{"ui.fix": true, "chapter.cow": true}
	for _, k := range sortedKeys(jaKeys) {
		section, key, _ := strings.Cut(k, ".")
		jaText, _ := ja.Text(section, key, nil)
		enText, _ := en.Text(section, key, nil)
		if !sameInBoth[k] && !isJapanese(jaText) {
			t.Errorf("ja.txt %s is not Japanese: %q", k, jaText)
		}
		if got, want := placeholders(jaText), placeholders(enText); got != want {
			t.Errorf("%s: ja has placeholders %s, en has %s", k, got, want)
		}
	}
}

var placeholderRE = regexp.MustCompile(`\{[a-z]+\}`)

// placeholders lists the {name}s of a text, sorted and without repeats.
func placeholders(text string) string {
	set := map[string]bool{}
	for _, p := range placeholderRE.FindAllString(text, -1) {
		set[p] = true
	}
	names := sortedKeys(set)
	sort.Strings(names)
	return strings.Join(names, " ")
}

// isJapanese says whether text holds kana or kanji (or the Japanese comma).
func isJapanese(text string) bool {
	for _, r := range text {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) || r == '、' {
			return true
		}
	}
	return false
}

func TestParseCatalogue(t *testing.T) {
	in := `# comment
[a]
title = A title
text = first line
  second line

sep = ", "
[b]
x=1
`
	got, err := parseCatalogue(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got["a"]["text"] != "first line\nsecond line" {
		t.Errorf("continued text = %q", got["a"]["text"])
	}
	if got["a"]["sep"] != ", " {
		t.Errorf("quoted text = %q", got["a"]["sep"])
	}
	if got["b"]["x"] != "1" {
		t.Errorf("b.x = %q", got["b"]["x"])
	}
	for name, bad := range map[string]string{
		"key before section": "x = 1\n",
		"no equals":          "[a]\njust words\n",
		"dangling indent":    "[a]\n  indented\n",
		"duplicate key":      "[a]\nx = 1\nx = 2\n",
		"duplicate section":  "[a]\n[a]\n",
	} {
		if _, err := parseCatalogue(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestUnknownLanguageIsEnglish(t *testing.T) {
	c, err := LoadCatalogue("fr")
	if err != nil {
		t.Fatal(err)
	}
	if c.Lang != "en" {
		t.Errorf("LoadCatalogue(fr).Lang = %q, want en", c.Lang)
	}
}
