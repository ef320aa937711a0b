package runtime

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The filter cache's key names this very build: the Go build ID that
// `go tool buildid` reads from the binary (when go is at hand to ask).
func TestBuildVersion(t *testing.T) {
	v := buildVersion()
	if v == "" || !strings.Contains(v, "/") {
		t.Fatalf("buildVersion() = %q, want the binary's Go build ID", v)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", self).Output()
	if err != nil {
		t.Logf("go tool buildid: %v; the ID alone was checked", err)
		return
	}
	if want := strings.TrimSpace(string(out)); v != want {
		t.Errorf("buildVersion() = %q, go tool buildid says %q", v, want)
	}
}
