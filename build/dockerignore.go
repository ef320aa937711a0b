package build

// .dockerignore: the files of the build context that COPY and ADD do not
// see, as docker reads it — one pattern a line, "#" comments, "!" to take
// a file back, "*" and "?" within a name, "**" across directories; a
// pattern that matches a directory leaves out all of it, and the last
// pattern that matches a path decides.
//
// Shell twin: tar -c --exclude-from=.dockerignore -C $CONTEXT . (roughly:
// tar has no "!").

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
)

// ignoreRule is one line of .dockerignore.
type ignoreRule struct {
	re     *regexp.Regexp
	except bool // "!pattern": take matching paths back
}

// ignorer says which context paths .dockerignore leaves out.
type ignorer struct{ rules []ignoreRule }

// parseIgnore reads .dockerignore from r.
func parseIgnore(r io.Reader) (*ignorer, error) {
	ig := &ignorer{}
	scan := bufio.NewScanner(r)
	for n := 1; scan.Scan(); n++ {
		line := strings.TrimSpace(scan.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rule := ignoreRule{}
		if p, ok := strings.CutPrefix(line, "!"); ok {
			rule.except, line = true, strings.TrimSpace(p)
		}
		line = strings.TrimPrefix(path.Clean("/"+line), "/") // "./a/", "/a" and "a" are one pattern
		re, err := patternRegexp(line)
		if err != nil {
			return nil, fmt.Errorf(".dockerignore:%d: %q: %w", n, line, err)
		}
		rule.re = re
		ig.rules = append(ig.rules, rule)
	}
	if err := scan.Err(); err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	return ig, nil
}

// patternRegexp turns a pattern into a regular expression over a whole
// slash-separated path: "*" and "?" stay within a name, "**" spans names.
func patternRegexp(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			if i+1 < len(p) && p[i+1] == '*' {
				i++
				if i+1 < len(p) && p[i+1] == '/' {
					i++
					b.WriteString("(.*/)?") // "**/" : any directories, or none
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("missing ]")
			}
			class := p[i+1 : i+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += end
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(string(p[i])))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// ignored says whether the context path rel ("a/b", slash-separated,
// relative) is left out: by a rule that matches it or a directory above
// it, the last such rule deciding.
func (ig *ignorer) ignored(rel string) bool {
	if ig == nil || rel == "." || rel == "" {
		return false
	}
	out := false
	for _, r := range ig.rules {
		if r.matches(rel) {
			out = !r.except
		}
	}
	return out
}

// matches is true for rel and everything under a directory that matches.
func (r ignoreRule) matches(rel string) bool {
	for p := rel; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		if r.re.MatchString(p) {
			return true
		}
	}
	return false
}

// mayHoldExceptions says whether a "!" rule could take back something
// under the ignored directory dir: then its walk must go on inside.
func (ig *ignorer) mayHoldExceptions() bool {
	for _, r := range ig.rules {
		if r.except {
			return true
		}
	}
	return false
}
