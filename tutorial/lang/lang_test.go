package lang

import "testing"

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing set", nil, "en"},
		{"LANG ja", map[string]string{"LANG": "ja_JP.UTF-8"}, "ja"},
		{"LANG plain ja", map[string]string{"LANG": "ja"}, "ja"},
		{"LANG C", map[string]string{"LANG": "C.UTF-8"}, "en"},
		{"LANG German", map[string]string{"LANG": "de_DE.UTF-8"}, "en"},
		{"LC_MESSAGES beats LANG", map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8"}, "ja"},
		{"LC_ALL beats both", map[string]string{"LANG": "ja_JP.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8", "LC_ALL": "C"}, "en"},
		{"empty LC_ALL is unset", map[string]string{"LC_ALL": "", "LANG": "ja_JP.eucJP"}, "ja"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FromEnv(func(k string) string { return tt.env[k] })
			if got != tt.want {
				t.Errorf("FromEnv(%v) = %q, want %q", tt.env, got, tt.want)
			}
		})
	}
}

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{"ja": true, "en": true, "": false, "JA": false, "fr": false, "ja_JP": false} {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
}
