package tutorial

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var languages = []string{"en", "ja"}

// Both languages have every chapter, and each chapter's steps are the
// course's, in its order, each with a body, a task, a hint and a why.
func TestLessonsMatchTheCourse(t *testing.T) {
	defs := course()
	for _, lang := range languages {
		chapters, err := loadChapters(lang)
		if err != nil {
			t.Fatal(err)
		}
		if len(chapters) != len(defs) {
			t.Fatalf("%s: %d chapters, the course has %d", lang, len(chapters), len(defs))
		}
		for c, ch := range chapters {
			if ch.File != defs[c].File {
				t.Errorf("%s chapter %d is %s, want %s", lang, c, ch.File, defs[c].File)
			}
			var want, got []string
			for _, st := range defs[c].Steps {
				want = append(want, st.ID)
			}
			for _, st := range ch.Steps {
				got = append(got, st.ID)
				for part, text := range map[string]string{"title": st.Title, "body": st.Body, "task": st.Task, "hint": st.Hint, "why": st.Why} {
					if strings.TrimSpace(text) == "" {
						t.Errorf("%s/%s %s: no %s", lang, ch.File, st.ID, part)
					}
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s/%s steps %v, the course has %v", lang, ch.File, got, want)
			}
			if ch.Title == "" || ch.Intro == "" {
				t.Errorf("%s/%s: no title or intro", lang, ch.File)
			}
		}
	}
}

// The lessons use only the placeholders the engine fills.
func TestLessonPlaceholders(t *testing.T) {
	known := map[string]bool{"name": true, "name2": true, "ip": true, "ip2": true, "port": true, "bundle": true, "cgroupv": true}
	placeholder := regexp.MustCompile(`\{([a-z0-9_]+)\}`)
	for _, lang := range languages {
		chapters, _ := loadChapters(lang)
		for _, ch := range chapters {
			all := ch.Intro
			for _, st := range ch.Steps {
				all += st.Body + st.Task + st.Hint + st.Why
			}
			for _, m := range placeholder.FindAllStringSubmatch(all, -1) {
				if !known[m[1]] {
					t.Errorf("%s/%s: unknown placeholder {%s}", lang, ch.File, m[1])
				}
			}
		}
	}
}

var japanese = regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}]`)

// The two catalogues have the same keys, the same %-verbs, and no English
// is left in the Japanese one.
func TestCataloguesMatch(t *testing.T) {
	en, err := loadCatalog("en")
	if err != nil {
		t.Fatal(err)
	}
	ja, err := loadCatalog("ja")
	if err != nil {
		t.Fatal(err)
	}
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
	for key, text := range en {
		jtext, ok := ja[key]
		if !ok {
			t.Errorf("ja/messages.txt has no %s", key)
			continue
		}
		if !slices.Equal(verbs.FindAllString(text, -1), verbs.FindAllString(jtext, -1)) {
			t.Errorf("%s: en has %v, ja %v", key, verbs.FindAllString(text, -1), verbs.FindAllString(jtext, -1))
		}
		if !japanese.MatchString(jtext) {
			t.Errorf("ja %s is not Japanese: %q", key, jtext)
		}
	}
	for key := range ja {
		if _, ok := en[key]; !ok {
			t.Errorf("en/messages.txt has no %s", key)
		}
	}
}

// Every key the code asks for is in the catalogue.
func TestMessagesUsedExist(t *testing.T) {
	en, _ := loadCatalog("en")
	for _, key := range usedKeys(t) {
		if _, ok := en[key]; !ok {
			t.Errorf("the code asks for %s, which en/messages.txt lacks", key)
		}
	}
}

// No paragraph of a Japanese lesson is left in English: outside code
// blocks and tables, each paragraph has kana or kanji.
func TestJapaneseLessonsAreJapanese(t *testing.T) {
	chapters, _ := loadChapters("ja")
	for _, ch := range chapters {
		texts := []string{ch.Title, ch.Intro}
		for _, st := range ch.Steps {
			texts = append(texts, st.Title, st.Body, st.Task, st.Hint, st.Why)
		}
		for _, text := range texts {
			for _, para := range proseParagraphs(text) {
				if !japanese.MatchString(para) {
					t.Errorf("ja/%s: a paragraph in English: %q", ch.File, para)
				}
			}
		}
	}
}

// proseParagraphs splits Markdown into paragraphs, leaving out fenced code
// and table rows.
func proseParagraphs(text string) []string {
	var paras []string
	var cur strings.Builder
	fenced := false
	flush := func() {
		if p := strings.TrimSpace(cur.String()); p != "" {
			paras = append(paras, p)
		}
		cur.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			fenced = !fenced
			flush()
		case fenced || strings.HasPrefix(trimmed, "|"):
		case trimmed == "":
			flush()
		default:
			cur.WriteString(line + "\n")
		}
	}
	flush()
	return paras
}

// Every function a step quotes is in kobako's source: renaming or moving
// one fails here, not in front of a learner.
func TestCodeRefsResolve(t *testing.T) {
	for _, d := range course() {
		for _, st := range d.Steps {
			for _, ref := range st.Code {
				ex, err := excerpt(ref)
				if err != nil {
					t.Errorf("%s: %v", st.ID, err)
					continue
				}
				if ex.Line == 0 || !strings.Contains(ex.Code, "func ") {
					t.Errorf("%s: %s.%s quoted as %+v", st.ID, ref.File, ref.Func, ex)
				}
			}
		}
	}
}

func TestParseChapter(t *testing.T) {
	ch, err := parseChapter("# Title\n\nintro\n\n## Step one\n<!-- step: a.b -->\n\nbody\n<!-- task -->\ndo\n<!-- hint -->\nhint\n<!-- why -->\nwhy\n")
	if err != nil {
		t.Fatal(err)
	}
	want := StepText{ID: "a.b", Title: "Step one", Body: "body", Task: "do", Hint: "hint", Why: "why"}
	if ch.Title != "Title" || ch.Intro != "intro" || len(ch.Steps) != 1 || ch.Steps[0] != want {
		t.Errorf("parsed %+v", ch)
	}
	if _, err := parseChapter("no title\n<!-- task -->\n"); err == nil {
		t.Error("a task before any step parsed")
	}
}

func TestParseStepNumber(t *testing.T) {
	for in, want := range map[string][2]int{"3.2": {3, 1}, "0.1": {0, 0}} {
		c, s, err := parseStepNumber(in)
		if err != nil || c != want[0] || s != want[1] {
			t.Errorf("%s: %d %d %v", in, c, s, err)
		}
	}
	for _, bad := range []string{"3", "a.1", "3.0", "3.x"} {
		if _, _, err := parseStepNumber(bad); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}
