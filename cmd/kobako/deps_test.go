package main

import (
	"os/exec"
	"strings"
	"testing"
)

// kobako starts at every run, exec and stop: what it links, it pays for at
// each start. HTTP, TLS and the registry client
// belong to kobako-pull (docs/bench.md, "The price of pull").
func TestNoHTTPInKobako(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "net/http" || pkg == "crypto/tls" || strings.Contains(pkg, "go-containerregistry") {
			t.Errorf("kobako links %s: keep it in kobako-pull", pkg)
		}
	}
}

// The tutorial's rendering (glamour, lipgloss, chroma) and kobako's
// embedded source belong to kobako-tutor, for the same reason: kobako
// tutorial and kobako doctor exec it.
func TestNoTutorialInKobako(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "charmbracelet") || strings.Contains(pkg, "alecthomas/chroma") ||
			pkg == "github.com/kobako/kobako" || strings.HasPrefix(pkg, "github.com/kobako/kobako/tutorial") {
			t.Errorf("kobako links %s: keep it in kobako-tutor", pkg)
		}
	}
}
