package main

import (
	"os/exec"
	"strings"
	"testing"
)

// kobako-init starts at every container start and every exec, so it links
// only what the init does (cmd/kobako-init/main.go). Anything outside the
// standard library must be on this list: a new import is a decision, taken
// here, with its cost measured (docs/bench.md) — not an accident of
// importing a package that happens to import it.
var initMayLink = []string{
	"golang.org/x/sys/",
	"golang.org/x/term",                                // the reaper's terminal check
	"github.com/kobako/kobako/runtime/initproc",        // the init's own code
	"github.com/kobako/kobako/runtime/seccomp/program", // installing a compiled filter
	"github.com/kobako/kobako/rootfs",                  // the mounts and pivot_root
	"github.com/kobako/kobako/internal/trace",          // --trace from inside
	"github.com/kobako/kobako/internal/fault",          // test builds' fault points
	"github.com/cyphar/filepath-securejoin",            // paths resolved inside the root
	"github.com/opencontainers/runtime-spec/specs-go",
	"github.com/moby/sys/capability",
	"github.com/moby/sys/user", // the image's /etc/passwd
	"github.com/creack/pty",    // a terminal from the container's /dev/pts
	"github.com/kobako/kobako/cmd/kobako-init",
}

// What must never come back, even from the standard library: the parent's
// libraries (command line, netlink, nftables, eBPF, the seccomp compiler,
// the registry client), kobako's parent-side packages, and HTTP. Each is a
// package path or the start of one.
var initMustNotLink = []string{
	"net/http", "crypto/tls", "archive/tar", "compress/gzip",
	"github.com/kobako/kobako/rootfs/unpack", // image layers are the parent's
	"github.com/urfave/cli", "github.com/vishvananda/netlink", "github.com/google/nftables",
	"github.com/cilium/ebpf", "github.com/elastic/go-seccomp-bpf", "github.com/google/go-containerregistry",
	"github.com/kobako/kobako/cgroups", "github.com/kobako/kobako/netns",
	"github.com/kobako/kobako/container", "github.com/kobako/kobako/image",
}

func TestInitLinksLittle(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		// the seccomp compiler is runtime/seccomp itself; its program
		// package, below it, is the init's
		if pkg == "github.com/kobako/kobako/runtime/seccomp" || pkg == "github.com/kobako/kobako/runtime" {
			t.Errorf("kobako-init links %s: it belongs to kobako, the parent", pkg)
		}
		for _, bad := range initMustNotLink {
			if strings.HasPrefix(pkg, bad) {
				t.Errorf("kobako-init links %s: it belongs to kobako, the parent", pkg)
			}
		}
		if standard(pkg) {
			continue
		}
		allowed := false
		for _, ok := range initMayLink {
			allowed = allowed || strings.HasPrefix(pkg, ok)
		}
		if !allowed {
			t.Errorf("kobako-init links %s, which is not on initMayLink: measure what it costs every container, then add it there", pkg)
		}
	}
}

// standard says whether pkg is of Go's standard library: its first path
// element has no dot.
func standard(pkg string) bool {
	first, _, _ := strings.Cut(pkg, "/")
	return !strings.Contains(first, ".")
}
