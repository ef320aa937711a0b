package build

// Words and variables in a Dockerfile: what docker's shell lexer does for
// COPY, ADD, ENV, LABEL, ARG, EXPOSE, WORKDIR and USER — quotes, escapes,
// and $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative} from ENV and ARG.
// RUN, CMD and ENTRYPOINT are left to the container's shell, as in docker.

import (
	"errors"
	"fmt"
	"strings"
)

// lookupFunc returns a variable's value, and whether it is set.
type lookupFunc func(name string) (string, bool)

// words splits s into words, quotes removed, escapes and variables
// expanded: `a "b c" $X` is [a, "b c", <X's value>].
func words(s string, lookup lookupFunc) ([]string, error) {
	return lex(s, lookup, true)
}

// expand is s with its quotes removed and variables expanded, as one word.
func expand(s string, lookup lookupFunc) (string, error) {
	w, err := lex(s, lookup, false)
	if err != nil || len(w) == 0 {
		return "", err
	}
	return w[0], nil
}

func lex(s string, lookup lookupFunc, split bool) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case split && (c == ' ' || c == '\t' || c == '\n'):
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
			continue
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i += 2
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end]) // no expansion in single quotes
			i += end + 2
		case c == '"':
			n, err := doubleQuoted(s[i+1:], lookup, &cur)
			if err != nil {
				return nil, fmt.Errorf("%w in %q", err, s)
			}
			i += n + 1
		case c == '$':
			n, err := variable(s[i:], lookup, &cur)
			if err != nil {
				return nil, err
			}
			i += n
		default:
			cur.WriteByte(c)
			i++
		}
		inWord = true
	}
	if inWord || !split {
		out = append(out, cur.String())
	}
	return out, nil
}

// doubleQuoted copies the inside of "…" from s, which starts after the
// opening quote, and returns how much of s it read, the closing quote
// included. \" \\ \$ are escapes there; variables expand.
func doubleQuoted(s string, lookup lookupFunc, out *strings.Builder) (int, error) {
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$", s[i+1]) >= 0:
			out.WriteByte(s[i+1])
			i += 2
		case c == '$':
			n, err := variable(s[i:], lookup, out)
			if err != nil {
				return 0, err
			}
			i += n
		default:
			out.WriteByte(c)
			i++
		}
	}
	return 0, errors.New(`unterminated "`)
}

// variable expands the reference at the start of s ("$X…", "${X…}") into
// out and returns its length. A "$" that starts none stays a "$".
func variable(s string, lookup lookupFunc, out *strings.Builder) (int, error) {
	if len(s) > 1 && s[1] == '{' {
		return braced(s, lookup, out)
	}
	n := 1
	for n < len(s) && isNameByte(s[n], n == 1) {
		n++
	}
	if n == 1 {
		out.WriteByte('$')
		return 1, nil
	}
	value, _ := lookup(s[1:n])
	out.WriteString(value)
	return n, nil
}

// braced expands ${NAME}, ${NAME:-word} and ${NAME:+word}.
func braced(s string, lookup lookupFunc, out *strings.Builder) (int, error) {
	depth, end := 0, -1
	for i := 2; i < len(s) && end < 0; i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			if depth == 0 {
				end = i
			}
			depth--
		}
	}
	if end < 0 {
		return 0, fmt.Errorf("missing } in %q", s)
	}
	inner := s[2:end]
	name, word, op := inner, "", byte(0)
	if i := strings.Index(inner, ":"); i >= 0 {
		if i+1 >= len(inner) || (inner[i+1] != '-' && inner[i+1] != '+') {
			return 0, fmt.Errorf("${%s}: kobako build knows ${NAME}, ${NAME:-default} and ${NAME:+alternative}", inner)
		}
		name, op, word = inner[:i], inner[i+1], inner[i+2:]
	}
	for i := range len(name) {
		if !isNameByte(name[i], i == 0) {
			return 0, fmt.Errorf("${%s}: %q is not a variable name", inner, name)
		}
	}
	value, set := lookup(name)
	switch {
	case op == '-' && (!set || value == ""), op == '+' && set && value != "":
		w, err := expand(word, lookup)
		if err != nil {
			return 0, err
		}
		value = w
	case op == '+':
		value = ""
	}
	out.WriteString(value)
	return end + 1, nil
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// keyValues reads ENV's and LABEL's KEY=VALUE pairs, or the older form
// with one key and the rest of the line as its value: "ENV KEY some value".
func keyValues(args string, lookup lookupFunc) ([][2]string, error) {
	w, err := words(args, lookup)
	if err != nil {
		return nil, err
	}
	if len(w) > 0 && !strings.Contains(w[0], "=") {
		// the old form: the first word is the key, all the rest its value
		key, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
		if key, err = expand(key, lookup); err != nil {
			return nil, err
		}
		value, err := expand(strings.TrimSpace(rest), lookup)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(rest) == "" {
			return nil, fmt.Errorf("%s needs a value: KEY=VALUE", key)
		}
		return [][2]string{{key, value}}, nil
	}
	var pairs [][2]string
	for _, kv := range w {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("%q is not KEY=VALUE", kv)
		}
		pairs = append(pairs, [2]string{key, value})
	}
	return pairs, nil
}
