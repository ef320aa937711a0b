// Package lang picks the language the tutorial and doctor speak: Japanese
// for a learner whose locale is Japanese, English for everyone else. The
// locale comes from the environment, the way gettext(3) reads it: LC_ALL
// overrides LC_MESSAGES, which overrides LANG — see locale(7).
//
// Shell twin: echo ${LC_ALL:-${LC_MESSAGES:-$LANG}}
package lang

import "strings"

// The languages kobako's lessons and messages are written in.
const (
	Japanese = "ja"
	English  = "en"
)

// Supported lists them, English first: the fallback.
var Supported = []string{English, Japanese}

// FromEnv is the language the locale asks for: "ja" when the first set of
// LC_ALL, LC_MESSAGES and LANG starts with "ja" (ja_JP.UTF-8, ja), "en"
// otherwise (C, POSIX, C.UTF-8, en_US.UTF-8, de_DE …). getenv is
// os.Getenv outside tests.
func FromEnv(getenv func(string) string) string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(name); v != "" {
			if strings.HasPrefix(v, Japanese) {
				return Japanese
			}
			return English
		}
	}
	return English
}

// Valid says whether s is a language kobako speaks (the value of --lang).
func Valid(s string) bool {
	for _, l := range Supported {
		if s == l {
			return true
		}
	}
	return false
}
