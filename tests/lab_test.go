package tests

// The lab (the article's 環境構築): every script under scripts/ passes
// shellcheck; the Vagrantfile validates and offers the machines and boxes
// its comments promise; the cloud-init user-data is valid cloud-config; and
// scripts/setup.sh does its job for real on this machine — twice, the second
// time doing nothing — and fetches Go only when its SHA-256 is the pinned one.

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kobako/kobako/internal/testenv"
)

// repoRoot is the checkout, seen from tests/.
const repoRoot = ".."

// labTimeout bounds one run of a lab tool; setup.sh may build kobako.
const labTimeout = 10 * time.Minute

// requireTool stops the test when name is not on PATH.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		testenv.Missing(t, fmt.Sprintf("%s (apt-get install %s): %v", name, pkg, err))
	}
	return path
}

// runLab runs cmd with a timeout and returns its combined output.
func runLab(t *testing.T, cmd *exec.Cmd) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), labTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	c.Dir, c.Env = cmd.Dir, cmd.Env
	out, err := c.CombinedOutput()
	return string(out), err
}

// --- shellcheck -------------------------------------------------------------

// shellScripts lists the files under scripts/ that start with a sh or bash
// shebang.
func shellScripts(t *testing.T) []string {
	t.Helper()
	var scripts []string
	err := filepath.WalkDir(filepath.Join(repoRoot, "scripts"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		head := make([]byte, 64)
		n, _ := io.ReadFull(f, head)
		first, _, _ := strings.Cut(string(head[:n]), "\n")
		if regexp.MustCompile(`^#!.*\b(sh|bash)\b`).MatchString(first) {
			scripts = append(scripts, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return scripts
}

// Every shell script under scripts/ — setup, EC2, bench, the v2 guest —
// passes Debian's shellcheck with its default checks.
func TestLabShellcheck(t *testing.T) {
	shellcheck := requireTool(t, "shellcheck", "shellcheck")
	scripts := shellScripts(t)
	for _, want := range []string{"setup.sh", "as-root", "bench.sh"} {
		if !slices.Contains(scripts, filepath.Join(repoRoot, "scripts", want)) {
			t.Errorf("scripts/%s is not among the shell scripts found: %v", want, scripts)
		}
	}
	for _, script := range scripts {
		out, err := runLab(t, exec.Command(shellcheck, "--format=gcc", script))
		if err != nil {
			t.Errorf("shellcheck %s: %v\n%s", script, err, out)
		}
	}
}

// --- Vagrantfile --------------------------------------------------------------

// labMachines is what the Vagrantfile's header promises: each machine's
// box. The boxes are cloud-image/* (github.com/alchemy-solutions/
// vagrant-cloud-images): Ubuntu's cloud images, published for virtualbox,
// libvirt and qemu.
var labMachines = map[string]string{
	"noble":    "cloud-image/ubuntu-24.04",
	"jammy-v1": "cloud-image/ubuntu-22.04",
	"bionic":   "cloud-image/ubuntu-18.04",
}

// labBoxProviders is what those boxes are published for.
var labBoxProviders = []string{"virtualbox", "libvirt", "qemu"}

// vagrant runs vagrant in dir, with a VAGRANT_HOME of its own (no box, no
// plugin but the system's) and the libvirt provider as default, since
// VirtualBox is not installed on CI machines.
func vagrant(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(requireTool(t, "vagrant", "vagrant vagrant-libvirt"), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VAGRANT_HOME="+t.TempDir(), "VAGRANT_DEFAULT_PROVIDER=libvirt",
		"VAGRANT_CHECKPOINT_DISABLE=1")
	out, err := runLab(t, cmd)
	if err != nil {
		t.Fatalf("vagrant %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// The Vagrantfile validates (offline: no box is fetched), and Vagrant sees
// the three machines, noble first.
func TestLabVagrantValidate(t *testing.T) {
	// A copy, so that vagrant's .vagrant/ lands in a temporary directory,
	// not in the checkout.
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(repoRoot, "Vagrantfile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Vagrantfile"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := vagrant(t, dir, "validate"); !strings.Contains(out, "validated successfully") {
		t.Errorf("vagrant validate:\n%s", out)
	}
	var names []string
	for _, line := range strings.Split(vagrant(t, dir, "status", "--machine-readable"), "\n") {
		// timestamp,target,type,data
		f := strings.Split(line, ",")
		if len(f) >= 4 && f[2] == "state" && !slices.Contains(names, f[1]) {
			names = append(names, f[1])
		}
	}
	if want := []string{"noble", "jammy-v1", "bionic"}; !slices.Equal(names, want) {
		t.Errorf("vagrant status lists %v, want %v", names, want)
	}
}

// Each machine's box is the one the header names, the boxes exist for
// both providers the Vagrantfile configures, the article's 1 GB and 2
// CPUs are set for both, noble is the default, and setup.sh provisions.
func TestLabVagrantMachines(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "Vagrantfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	entry := regexp.MustCompile(`(?m)^\s*"([a-z0-9-]+)"\s*=>\s*\{\s*box:\s*"([^"]+)",\s*primary:\s*(true|false)`)
	found := map[string]string{}
	for _, m := range entry.FindAllStringSubmatch(text, -1) {
		found[m[1]] = m[2]
		if primary := m[3] == "true"; primary != (m[1] == "noble") {
			t.Errorf("machine %s: primary is %s; only noble is the default", m[1], m[3])
		}
		if !strings.Contains(text, "vagrant up "+m[1]) && m[1] != "noble" {
			t.Errorf("the header does not say how to bring up %s", m[1])
		}
	}
	for name, box := range labMachines {
		if found[name] != box {
			t.Errorf("machine %s: box %q, want %q", name, found[name], box)
		}
	}
	if len(found) != len(labMachines) {
		t.Errorf("machines %v, want those of %v", found, labMachines)
	}
	providers := regexp.MustCompile(`config\.vm\.provider "([a-z_]+)" do \|(\w+)\|\s*\n\s*(\w+)\.memory = MEMORY_MB\s*\n\s*(\w+)\.cpus = CPUS`)
	var configured []string
	for _, m := range providers.FindAllStringSubmatch(text, -1) {
		configured = append(configured, m[1])
		if !slices.Contains(labBoxProviders, m[1]) {
			t.Errorf("provider %s: the cloud-image boxes are published for %v only", m[1], labBoxProviders)
		}
	}
	if want := []string{"virtualbox", "libvirt"}; !slices.Equal(configured, want) {
		t.Errorf("providers with memory and cpus set: %v, want %v", configured, want)
	}
	for _, want := range []string{"MEMORY_MB = 1024", "CPUS = 2", `/scripts/setup.sh"`, "/scripts/setup.sh --cgroup-v1"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Vagrantfile lacks %q", want)
		}
	}
}

// --- cloud-init -----------------------------------------------------------------

// setupList returns the bash array NAME=(...) of scripts/setup.sh.
func setupList(t *testing.T, name string) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "setup.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + name + `=\(([^)]*)\)`).FindSubmatch(src)
	if m == nil {
		t.Fatalf("scripts/setup.sh has no %s=(…)", name)
	}
	return strings.Fields(string(m[1]))
}

// The user-data is valid cloud-config, installs what setup.sh would, and
// tells the learner in /etc/motd how to finish.
func TestLabCloudInit(t *testing.T) {
	cloudInit := requireTool(t, "cloud-init", "cloud-init")
	userData := filepath.Join(repoRoot, "scripts", "cloud-init", "user-data.yaml")
	out, err := runLab(t, exec.Command(cloudInit, "schema", "--config-file", userData))
	if err != nil || !strings.Contains(out, "Valid cloud-config") {
		t.Fatalf("cloud-init schema --config-file %s: %v\n%s", userData, err, out)
	}
	src, err := os.ReadFile(userData)
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	if !strings.HasPrefix(text, "#cloud-config\n") {
		t.Errorf("%s does not start with #cloud-config", userData)
	}
	for _, list := range []string{"TUTORIAL_PKGS", "ARTICLE_PKGS", "BUILD_PKGS"} {
		for _, pkg := range setupList(t, list) {
			if !strings.Contains(text, "\n  - "+pkg+"\n") {
				t.Errorf("user-data does not install %s (setup.sh's %s)", pkg, list)
			}
		}
	}
	for _, want := range []string{"path: /etc/motd", "scripts/setup.sh", "sudo kobako tutorial"} {
		if !strings.Contains(text, want) {
			t.Errorf("user-data lacks %q", want)
		}
	}
}

// --- setup.sh's Go route --------------------------------------------------------

const labGoVersion = "1.26.8"

// fakeToolchainZip is a module-proxy toolchain zip in miniature: its go
// answers `go env GOVERSION` and `go version`. Its modes are 0644, as a
// module zip may have them, so setup.sh must make the tools executable.
func fakeToolchainZip(t *testing.T, arch string) []byte {
	t.Helper()
	top := "golang.org/toolchain@v0.0.1-go" + labGoVersion + ".linux-" + arch + "/"
	goScript := "#!/bin/sh\ncase \"$1\" in\nenv) echo go" + labGoVersion + " ;;\n" +
		"version) echo \"go version go" + labGoVersion + " linux/" + arch + " (fake)\" ;;\nesac\n"
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"VERSION":                             "go" + labGoVersion + "\n",
		"bin/go":                              goScript,
		"pkg/tool/linux_" + arch + "/compile": "#!/bin/sh\n",
		"src/fmt/print.go":                    "package fmt\n",
	} {
		h := &zip.FileHeader{Name: top + name, Method: zip.Deflate}
		h.SetMode(0o644)
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(f, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// goRoute is one run of setup.sh --go against a local proxy.
type goRoute struct {
	dir     string // the run's own directory: go/, profile.d/, sums
	env     []string
	fetches *atomic.Int32
}

// newGoRoute serves the fake zip on 127.0.0.1 and prepares a PATH whose
// go is 1.10, the Go of Ubuntu 18.04: too old, so setup.sh fetches its own.
func newGoRoute(t *testing.T, sum string) goRoute {
	t.Helper()
	archOut, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		testenv.Missing(t, fmt.Sprintf("dpkg --print-architecture: %v", err))
	}
	arch := strings.TrimSpace(string(archOut))
	name := "v0.0.1-go" + labGoVersion + ".linux-" + arch + ".zip"
	body := fakeToolchainZip(t, arch)
	if sum == "" {
		h := sha256.Sum256(body)
		sum = hex.EncodeToString(h[:])
	}
	r := goRoute{dir: t.TempDir(), fetches: new(atomic.Int32)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/"+name {
			http.NotFound(w, req)
			return
		}
		r.fetches.Add(1)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)

	sums := filepath.Join(r.dir, "sums")
	if err := os.WriteFile(sums, []byte(sum+"  "+name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	oldGo := filepath.Join(r.dir, "old-go")
	if err := os.MkdirAll(oldGo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(oldGo, "go"), []byte("#!/bin/sh\necho go1.10.4\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.env = append(os.Environ(),
		"PATH="+oldGo+":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"KOBAKO_GO_URL="+srv.URL,
		"KOBAKO_GO_SUMS="+sums,
		"KOBAKO_GO_ROOT="+filepath.Join(r.dir, "go"),
		"KOBAKO_GO_PROFILE="+filepath.Join(r.dir, "profile.d", "kobako-go.sh"),
	)
	return r
}

func (r goRoute) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot, "scripts", "setup.sh"), args...)
	cmd.Env = r.env
	return runLab(t, cmd)
}

// leftovers lists what setup.sh left in r.dir besides the test's own files.
func (r goRoute) leftovers(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if e.Name() != "sums" && e.Name() != "old-go" {
			left = append(left, e.Name())
		}
	}
	return left
}

func requireGoRoute(t *testing.T) {
	t.Helper()
	// GO_ROOT is written through scripts/as-root, as /usr/local/go is.
	testenv.RequireRoot(t, "setup.sh installs Go and packages as root")
	requireTool(t, "unzip", "unzip")
	requireTool(t, "sha256sum", "coreutils")
	if _, err := exec.LookPath("curl"); err != nil {
		requireTool(t, "wget", "curl")
	}
}

// Where the distribution's Go is too old, setup.sh fetches Go from the
// (here: local) module proxy, checks it against the pinned SHA-256, unpacks
// it and puts it on PATH; run again, it fetches nothing.
func TestLabSetupGoRoute(t *testing.T) {
	requireGoRoute(t)
	r := newGoRoute(t, "")

	out, err := r.run(t, "--dry-run", "--go")
	if err != nil || r.fetches.Load() != 0 || len(r.leftovers(t)) != 0 {
		t.Fatalf("setup.sh --dry-run --go: %v, %d downloads, left %v\n%s", err, r.fetches.Load(), r.leftovers(t), out)
	}
	if !strings.Contains(out, "would download") {
		t.Errorf("setup.sh --dry-run --go does not say what it would download:\n%s", out)
	}

	out, err = r.run(t, "--go")
	if err != nil {
		t.Fatalf("setup.sh --go: %v\n%s", err, out)
	}
	for _, want := range []string{"too old", "checking its SHA-256", "installed go version go" + labGoVersion} {
		if !strings.Contains(out, want) {
			t.Errorf("setup.sh --go does not say %q:\n%s", want, out)
		}
	}
	goBin := filepath.Join(r.dir, "go", "bin", "go")
	if v, err := exec.Command(goBin, "version").Output(); err != nil || !strings.Contains(string(v), "go"+labGoVersion) {
		t.Errorf("%s version: %v %s", goBin, err, v)
	}
	if fi, err := os.Stat(filepath.Join(r.dir, "go", "VERSION")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the toolchain's VERSION is not in go/: %v", err)
	}
	profile, err := os.ReadFile(filepath.Join(r.dir, "profile.d", "kobako-go.sh"))
	if want := `export PATH="$PATH:` + filepath.Join(r.dir, "go", "bin") + `"`; err != nil || !strings.Contains(string(profile), want) {
		t.Errorf("profile.d/kobako-go.sh: %v, want a line %s:\n%s", err, want, profile)
	}
	if left := r.leftovers(t); !slices.Equal(left, []string{"go", "profile.d"}) {
		t.Errorf("after setup.sh --go the directory holds %v, want only go and profile.d", left)
	}

	out, err = r.run(t, "--go")
	if err != nil || r.fetches.Load() != 1 || !strings.Contains(out, "new enough") {
		t.Errorf("setup.sh --go, again: %v, %d downloads in all (want 1)\n%s", err, r.fetches.Load(), out)
	}
}

// A zip whose SHA-256 is not the pinned one is refused, and nothing is
// installed: no Go, no PATH line, no half-unpacked directory.
func TestLabSetupGoRouteWrongChecksum(t *testing.T) {
	requireGoRoute(t)
	r := newGoRoute(t, strings.Repeat("0", 64))
	out, err := r.run(t, "--go")
	if err == nil {
		t.Fatalf("setup.sh --go accepted a zip whose SHA-256 is not the pinned one:\n%s", out)
	}
	if r.fetches.Load() != 1 || !strings.Contains(out, "refused, nothing installed") {
		t.Errorf("setup.sh --go: %d downloads, want 1 and a refusal:\n%s", r.fetches.Load(), out)
	}
	if left := r.leftovers(t); len(left) != 0 {
		t.Errorf("after a refused zip the directory holds %v, want nothing", left)
	}
}

// --- setup.sh for real ----------------------------------------------------------

// copyTree copies the checkout's sources (not .git, bin/, .vagrant/) to dst,
// so that setup.sh builds there and never rewrites the bin/ other tests run.
func copyTree(t *testing.T, dst string) {
	t.Helper()
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(repoRoot, path)
		if err != nil {
			return err
		}
		if d.IsDir() && (rel == ".git" || rel == "bin" || rel == ".vagrant") {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
		return nil // symlinks and others: the build needs none
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fileHash is the SHA-256 of path's content, or "" when it cannot be read.
func fileHash(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// scripts/setup.sh on this very machine, as a learner runs it: packages,
// the article's tools, Go, make install into /usr/local, kobako doctor. The
// second run installs nothing. make uninstall takes kobako away afterwards.
func TestLabSetupTwice(t *testing.T) {
	testenv.RequireRoot(t, "setup.sh installs packages and kobako into /usr/local")
	requireTool(t, "make", "make")
	requireTool(t, "go", "golang-go, or scripts/setup.sh --go")
	const prefix = "/usr/local"
	installed := []string{"kobako", "kobako-pull", "kobako-tutor"}
	for _, name := range installed {
		if _, err := os.Stat(filepath.Join(prefix, "bin", name)); err == nil {
			testenv.Missing(t, fmt.Sprintf("a machine without %s/bin/%s (this test installs kobako there and removes it)", prefix, name))
		}
	}
	const profile = "/etc/profile.d/kobako-go.sh"
	_, profileErr := os.Stat(profile)
	// make install creates these when missing and make uninstall leaves
	// them: the test removes those it made, deepest first, if empty.
	var madeDirs []string
	for _, dir := range []string{
		"share/man/man1", "share/bash-completion/completions", "share/bash-completion",
		"share/zsh/site-functions", "share/zsh",
	} {
		if _, err := os.Stat(filepath.Join(prefix, dir)); err != nil {
			madeDirs = append(madeDirs, filepath.Join(prefix, dir))
		}
	}

	src := t.TempDir()
	copyTree(t, src)
	t.Cleanup(func() {
		cmd := exec.Command("make", "-C", src, "--no-print-directory", "uninstall", "PREFIX="+prefix)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("make uninstall: %v\n%s", err, out)
		}
		if profileErr != nil {
			os.Remove(profile) // only if this test's run made it
		}
		for _, dir := range madeDirs {
			os.Remove(dir) // fails, as it should, unless empty
		}
	})
	setup := func() string {
		t.Helper()
		cmd := exec.Command(filepath.Join(src, "scripts", "setup.sh"))
		cmd.Env = append(os.Environ(), "PREFIX="+prefix)
		out, err := runLab(t, cmd)
		if err != nil {
			t.Fatalf("scripts/setup.sh: %v\n%s", err, out)
		}
		return out
	}

	out := setup()
	for _, want := range []string{"1/5", "2/5", "3/5", "4/5", "5/5 kobako doctor", "kobako doctor — ", "sudo kobako tutorial"} {
		if !strings.Contains(out, want) {
			t.Errorf("scripts/setup.sh does not say %q:\n%s", want, out)
		}
	}
	for _, name := range installed {
		got, want := fileHash(filepath.Join(prefix, "bin", name)), fileHash(filepath.Join(src, "bin", name))
		if got == "" || got != want {
			t.Errorf("%s/bin/%s is not the build of the checkout", prefix, name)
		}
	}
	for _, pkg := range append(setupList(t, "TUTORIAL_PKGS"), setupList(t, "ARTICLE_PKGS")...) {
		if err := exec.Command("dpkg-query", "-W", pkg).Run(); err != nil {
			t.Errorf("after scripts/setup.sh, %s is not installed: %v", pkg, err)
		}
	}

	// Again: dpkg's database and the installed files stay as they are.
	dpkgBefore := fileHash("/var/lib/dpkg/status")
	mtimes := map[string]time.Time{}
	for _, name := range installed {
		if fi, err := os.Stat(filepath.Join(prefix, "bin", name)); err == nil {
			mtimes[name] = fi.ModTime()
		}
	}
	out = setup()
	if strings.Contains(out, "setup: installing") {
		t.Errorf("the second run installed something:\n%s", out)
	}
	for _, want := range []string{"already installed", "nothing to install", "kobako doctor — "} {
		if !strings.Contains(out, want) {
			t.Errorf("the second run does not say %q:\n%s", want, out)
		}
	}
	if fileHash("/var/lib/dpkg/status") != dpkgBefore {
		t.Errorf("the second run changed dpkg's database")
	}
	for _, name := range installed {
		if fi, err := os.Stat(filepath.Join(prefix, "bin", name)); err != nil || !fi.ModTime().Equal(mtimes[name]) {
			t.Errorf("the second run rewrote %s/bin/%s", prefix, name)
		}
	}
}
