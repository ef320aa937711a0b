// Package testenv holds the one rule every kobako test follows about
// prerequisites: outside CI a missing one skips the test, loudly; with
// CI=true it fails it, since CI must provide everything.
package testenv

import (
	"os"
	"testing"
)

// Missing skips (or, in CI, fails) t because of what is missing.
func Missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI must provide this: %s", what)
	}
	t.Skipf("SKIPPED (prerequisite missing): %s", what)
}

// RequireRoot stops t unless it runs as root; why says what needs root.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "root, because "+why+"; run the tests with sudo (make test does)")
	}
}
