package tests

// kobako pull, end to end, against a registry of our own: go-containerregistry's
// in-memory registry, served by httptest on 127.0.0.1 (which kobako speaks
// plain HTTP to), with the images pushed by go-containerregistry too. The
// handler is wrapped where a test needs a registry that misbehaves: one
// that corrupts a blob, asks for a password, or stalls in the middle of a
// layer while kobako is killed.
//
// kobako runs with HOME set to an empty directory, so that the docker
// config (~/.docker/config.json) of whoever runs the tests cannot log it
// in anywhere.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// startRegistry serves an empty registry on 127.0.0.1, its handler wrapped
// by wrap if it is not nil, until the test ends. It returns the
// registry's host:port.
func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return l.Addr().String()
}

// registryLayer makes a layer of the entries, as a gzipped tarball of
// mediaType.
func registryLayer(t *testing.T, mediaType types.MediaType, entries []tarEntry) v1.Layer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "layer.tar")
	writeTar(t, path, false, entries)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(mediaType))
	if err != nil {
		t.Fatal(err)
	}
	return layer
}

// busyboxLayer is the busybox tree of import_test.go as a layer, with
// extra entries after it.
func busyboxLayer(t *testing.T, mediaType types.MediaType, extra ...tarEntry) v1.Layer {
	t.Helper()
	entries, _ := busyboxTar(t)
	return registryLayer(t, mediaType, append(entries, extra...))
}

// registryImage stacks layers into an image for linux/arch with the
// config cfg, of OCI media types if oci, else docker's.
func registryImage(t *testing.T, oci bool, arch string, cfg v1.Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	base := empty.Image
	if oci {
		base = mutate.ConfigMediaType(mutate.MediaType(base, types.OCIManifestSchema1), types.OCIConfigJSON)
	}
	img, err := mutate.AppendLayers(base, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Config = "linux", arch, cfg
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// pushImage writes img to the registry as ref (host/repo:tag).
func pushImage(t *testing.T, ref string, img v1.Image, opts ...remote.Option) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

// layerDigests are the blob digests and diff_ids of img's layers, lowest
// first.
func layerDigests(t *testing.T, img v1.Image) (digests, diffIDs []v1.Hash) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		id, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		digests, diffIDs = append(digests, d), append(diffIDs, id)
	}
	return digests, diffIDs
}

// pullCommand is a kobako command line of e, run with HOME an empty
// directory and no other place where ggcr's keychain looks for docker's
// or podman's credentials: the tester's logins stay out of the tests.
func (e *env) pullCommand(ctx context.Context, home string, args ...string) *exec.Cmd {
	cmd := e.command(ctx, args...)
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "HOME", "DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+home)
	return cmd
}

// pull runs kobako pull args with an empty HOME.
func (e *env) pull(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	return e.pullWithHome(e.t.TempDir(), args...)
}

// pullWithHome runs kobako pull args with HOME home.
func (e *env) pullWithHome(home string, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := e.pullCommand(ctx, home, append([]string{"pull"}, args...)...)
	stdout, stderr, code, err := collect(ctx, cmd, nil)
	if err != nil {
		e.t.Fatalf("kobako pull %s: %v (stderr: %s)", strings.Join(args, " "), err, stderr)
	}
	return stdout, stderr, code
}

// mustPull is pull that fails the test unless it exits 0; it returns
// what pull said about each layer: short digest → "downloading" or
// "already exists".
func (e *env) mustPull(args ...string) (stdout string, layers map[string]string) {
	e.t.Helper()
	stdout, stderr, code := e.pull(args...)
	if code != 0 {
		e.t.Fatalf("kobako pull %s: exit %d, stderr:\n%s", strings.Join(args, " "), code, stderr)
	}
	return stdout, pulledLayers(e.t, stderr)
}

// pulledLayers reads pull's lines "<12 hex>: downloading <size>" and
// "<12 hex>: already exists".
func pulledLayers(t *testing.T, stderr string) map[string]string {
	t.Helper()
	layers := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		short, what, ok := strings.Cut(line, ": ")
		if !ok || len(short) != 12 {
			t.Errorf("pull wrote %q, want \"<12 hex>: downloading SIZE\" or \"<12 hex>: already exists\"", line)
			continue
		}
		switch {
		case what == "already exists":
			layers[short] = what
		case strings.HasPrefix(what, "downloading "):
			layers[short] = "downloading"
		default:
			t.Errorf("pull wrote %q about layer %s", what, short)
		}
	}
	return layers
}

// short is how pull names a layer: 12 hex digits of its blob's digest.
func short(d v1.Hash) string { return d.Hex[:12] }

// expectPulled checks what pull said about each layer, lowest first.
func expectPulled(t *testing.T, got map[string]string, digests []v1.Hash, want ...string) {
	t.Helper()
	wantMap := map[string]string{}
	for i, d := range digests {
		wantMap[short(d)] = want[i]
	}
	if len(got) != len(wantMap) {
		t.Errorf("pull reported layers %v, want %v", got, wantMap)
	}
	for s, w := range wantMap {
		if got[s] != w {
			t.Errorf("pull said %q about layer %s, want %q (all: %v)", got[s], s, w, got)
		}
	}
}

// expectNothingStored checks that a failed pull left no image, no layer
// and, once the next command has swept, no work dir.
func (e *env) expectNothingStored(what string) {
	e.t.Helper()
	if left := dirEntries(e.t, filepath.Join(e.dataRoot, "images")); len(left) > 0 {
		e.t.Errorf("images/ holds %v after %s", left, what)
	}
	if left := dirEntries(e.t, filepath.Join(e.dataRoot, "layers")); len(left) > 0 {
		e.t.Errorf("layers/ holds %v after %s", left, what)
	}
	e.mustRun("images") // sweeps the work dirs of dead kobakos
	if left := dirEntries(e.t, filepath.Join(e.dataRoot, "tmp")); len(left) > 0 {
		e.t.Errorf("tmp/ holds %v after %s and one more command", left, what)
	}
}

// statIno is the device and inode number of path.
func statIno(t *testing.T, path string) (dev, ino uint64) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	return sys.Dev, sys.Ino
}

// A two-layer image of docker's media types, the second layer with a new
// file, whiteouts and an opaque dir: the container sees the stack as
// docker would, with the config's Env, Cmd and WorkingDir.
func TestPullLayers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	host := startRegistry(t, nil)
	img := registryImage(t, false, runtime.GOARCH, v1.Config{
		Env:        []string{"PATH=/bin", "TOOL_MODE=fast"},
		Cmd:        []string{"sh", "-c", "echo cmd ran in $(pwd)"},
		WorkingDir: "/opt/tools",
	},
		busyboxLayer(t, types.DockerLayer,
			tarDir("data/", 0o755), tarFile("data/old1", 0o644, []byte("old1\n")), tarFile("data/old2", 0o644, []byte("old2\n"))),
		registryLayer(t, types.DockerLayer, []tarEntry{
			tarDir("opt/", 0o755), tarDir("opt/tools/", 0o755), tarFile("opt/tools/hello", 0o644, []byte("hello from layer 2\n")),
			tarFile(".wh..dockerenv", 0o644, nil),                          // a regular file of the lower layer
			tarDir("bin/", 0o755), tarFile("bin/.wh.hostname", 0o644, nil), // a symlink of it
			tarDir("data/", 0o755), tarFile("data/.wh..wh..opq", 0o644, nil), tarFile("data/kept", 0o644, []byte("kept\n")),
		}),
	)
	if mt, _ := img.MediaType(); mt != types.DockerManifestSchema2 {
		t.Fatalf("test image has media type %s, want docker's", mt)
	}
	ref := host + "/test/tools:1.0"
	pushImage(t, ref, img)
	digests, diffIDs := layerDigests(t, img)

	stdout, layers := e.mustPull(ref)
	if stdout != "tools:1.0\n" {
		t.Errorf("pull printed %q on stdout, want the local name tools:1.0", stdout)
	}
	expectPulled(t, layers, digests, "downloading", "downloading")

	script := "echo $TOOL_MODE; pwd; cat hello; ls /data; " +
		"test -e /.dockerenv || echo dockerenv gone; test -L /bin/hostname || echo hostname gone; test -x /bin/sh && echo sh kept"
	out := e.mustRun("run", "--rm", "tools:1.0", "sh", "-c", script)
	if want := "fast\n/opt/tools\nhello from layer 2\nkept\ndockerenv gone\nhostname gone\nsh kept\n"; out != want {
		t.Errorf("run tools:1.0 printed %q, want %q (Env, WorkingDir, the new file, only data/kept in the opaque dir, the whiteouts)", out, want)
	}
	if out := e.mustRun("run", "--rm", "tools:1.0"); out != "cmd ran in /opt/tools\n" {
		t.Errorf("run tools:1.0 with the image's Cmd printed %q", out)
	}
	if got := e.imageArch("tools:1.0"); got != runtime.GOARCH {
		t.Errorf("images: ARCH of tools:1.0 = %q, want %s", got, runtime.GOARCH)
	}
	manifest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if source := host + "/test/tools@" + manifest.String(); !strings.Contains(e.mustRun("images"), source) {
		t.Errorf("images does not show tools:1.0's source as %s:\n%s", source, e.mustRun("images"))
	}

	dirs := e.imageLayers("tools:1.0")
	if len(dirs) != 2 {
		t.Fatalf("image.json of tools:1.0 lists %d layers, want 2: %v", len(dirs), dirs)
	}
	for i, dir := range dirs {
		if filepath.Base(dir) != diffIDs[i].Hex {
			t.Errorf("layer %d of tools:1.0 is %s, want its diff_id %s", i, filepath.Base(dir), diffIDs[i])
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			t.Errorf("layer %d of tools:1.0: %v", i, err)
		}
	}

	// The name is taken: refused before anything is downloaded.
	_, stderr, code := e.pull(ref)
	if code == 0 {
		t.Errorf("a second pull of tools:1.0 succeeded")
	}
	t.Logf("pull of a taken name: %s", stderr)
	checkOneLineError(t, stderr, "tools:1.0", "already exists")
	e.mustRun("rmi", "tools:1.0")
	if left := dirEntries(t, filepath.Join(e.dataRoot, "layers")); len(left) > 0 {
		t.Errorf("layers/ holds %v after rmi of the only image", left)
	}
}

// Two images on one base layer (OCI media types): the second pull finds
// the base in the store, both images list the same directory, and the
// containers of both see the same inode for a file of it. rmi removes
// each layer when its last image goes.
func TestPullSharesLayers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	host := startRegistry(t, nil)
	base := busyboxLayer(t, types.OCILayer)
	for _, n := range []string{"alpha", "beta"} {
		top := registryLayer(t, types.OCILayer, []tarEntry{tarFile(n, 0o644, []byte(n+"\n"))})
		img := registryImage(t, true, runtime.GOARCH, v1.Config{Env: []string{"PATH=/bin"}}, base, top)
		if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
			t.Fatalf("test image has media type %s, want OCI's", mt)
		}
		pushImage(t, host+"/shared/"+n+":v1", img)
	}
	baseDigest, err := base.Digest()
	if err != nil {
		t.Fatal(err)
	}

	_, layers := e.mustPull(host + "/shared/alpha:v1")
	if len(layers) != 2 || layers[short(baseDigest)] != "downloading" {
		t.Errorf("first pull: layers %v, want 2 downloaded, the base %s among them", layers, short(baseDigest))
	}
	_, layers = e.mustPull(host + "/shared/beta:v1")
	if len(layers) != 2 || layers[short(baseDigest)] != "already exists" {
		t.Errorf("second pull: layers %v, want the base %s already there and the top downloaded", layers, short(baseDigest))
	}

	// beta's size counts the base it found in the store, as alpha's does
	sizes := map[string]string{}
	for _, l := range strings.Split(e.mustRun("images"), "\n") {
		if f := strings.Fields(l); len(f) > 2 {
			sizes[f[0]] = f[2]
		}
	}
	if sizes["alpha:v1"] != sizes["beta:v1"] {
		t.Errorf("images shows alpha:v1 of %s and beta:v1 of %s; want the same (one byte apart)", sizes["alpha:v1"], sizes["beta:v1"])
	}

	alpha, beta := e.imageLayers("alpha:v1"), e.imageLayers("beta:v1")
	if len(alpha) != 2 || len(beta) != 2 {
		t.Fatalf("layers: alpha %v, beta %v; want 2 each", alpha, beta)
	}
	devA, inoA := statIno(t, alpha[0])
	devB, inoB := statIno(t, beta[0])
	if alpha[0] != beta[0] || devA != devB || inoA != inoB {
		t.Errorf("the base layer is %s (%d:%d) for alpha and %s (%d:%d) for beta: not one directory", alpha[0], devA, inoA, beta[0], devB, inoB)
	}
	if alpha[1] == beta[1] {
		t.Errorf("alpha and beta share their top layer %s", alpha[1])
	}

	// kobako keeps a container's upper dir on the file system of the
	// layers (both under --data-root), and with all of an overlay's layers
	// on one file system, overlayfs passes a lower file's own st_ino
	// through (st_dev is the overlay's): so stat, inside each container
	// and from the host through /proc/PID/root, shows the inode of
	// layers/<base>/bin/busybox on the host.
	_, hostIno := statIno(t, filepath.Join(alpha[0], "bin", "busybox"))
	want := strconv.FormatUint(hostIno, 10)
	for _, c := range []struct{ name, image string }{{"ca", "alpha:v1"}, {"cb", "beta:v1"}} {
		e.mustRun("run", "-d", "--name", c.name, c.image, "sleep", "30")
		in := e.waitRunning(c.name)
		if !slices.Contains(in.Overlay.Lower, alpha[0]) {
			t.Errorf("container %s's lower layers %v lack the base %s", c.name, in.Overlay.Lower, alpha[0])
		}
		if got := strings.TrimSpace(e.mustRun("exec", c.name, "busybox", "stat", "-c", "%i", "/bin/busybox")); got != want {
			t.Errorf("container %s sees /bin/busybox as inode %s, the base layer's is %s", c.name, got, want)
		}
		if _, ino := statIno(t, fmt.Sprintf("/proc/%d/root/bin/busybox", in.Pid)); ino != hostIno {
			t.Errorf("/proc/%d/root/bin/busybox of %s is inode %d, the base layer's is %d", in.Pid, c.name, ino, hostIno)
		}
	}
	e.mustRun("rm", "-f", "ca", "cb")

	e.mustRun("rmi", "alpha:v1")
	for _, dir := range beta {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("rmi alpha:v1 removed a layer of beta:v1: %v", err)
		}
	}
	if _, err := os.Stat(alpha[1]); err == nil {
		t.Errorf("rmi alpha:v1 kept its own top layer %s", alpha[1])
	}
	e.mustRun("rmi", "beta:v1")
	if left := dirEntries(t, filepath.Join(e.dataRoot, "layers")); len(left) > 0 {
		t.Errorf("layers/ holds %v after rmi of both images", left)
	}
}

// An index of two platforms: pull takes this machine's, or --platform's;
// an image for another machine, not in an index, is refused.
func TestPullMultiPlatform(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	host := startRegistry(t, nil)
	foreign, _ := foreignArch()
	base := busyboxLayer(t, types.OCILayer)
	index := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{runtime.GOARCH, foreign} {
		top := registryLayer(t, types.OCILayer, []tarEntry{tarFile("platform", 0o644, []byte(arch+"\n"))})
		index = mutate.AppendManifests(index, mutate.IndexAddendum{
			Add:        registryImage(t, true, arch, v1.Config{Env: []string{"PATH=/bin"}}, base, top),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	r, err := name.ParseReference(host + "/multi/tool:2")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, index); err != nil {
		t.Fatalf("push the index: %v", err)
	}

	if stdout, _ := e.mustPull(r.String()); stdout != "tool:2\n" {
		t.Errorf("pull printed %q, want tool:2", stdout)
	}
	if out := e.mustRun("run", "--rm", "tool:2", "cat", "/platform"); out != runtime.GOARCH+"\n" {
		t.Errorf("the pulled image says it is for %q, want this machine's %s", out, runtime.GOARCH)
	}
	if got := e.imageArch("tool:2"); got != runtime.GOARCH {
		t.Errorf("images: ARCH of tool:2 = %q, want %s", got, runtime.GOARCH)
	}

	if stdout, _ := e.mustPull("--platform", "linux/"+foreign, "--name", "other", r.String()); stdout != "other\n" {
		t.Errorf("pull --name other printed %q", stdout)
	}
	if got := e.imageArch("other"); got != foreign {
		t.Errorf("images: ARCH of other = %q, want %s", got, foreign)
	}
	if data, err := os.ReadFile(filepath.Join(e.imageRootfs("other"), "platform")); err != nil || string(data) != foreign+"\n" {
		t.Errorf("other's top layer has /platform %q (%v), want %s", data, err, foreign)
	}

	// One image for the other machine, no index: refused, with the platform.
	top := registryLayer(t, types.OCILayer, []tarEntry{tarFile("platform", 0o644, []byte(foreign+"\n"))})
	pushImage(t, host+"/multi/foreign:1", registryImage(t, true, foreign, v1.Config{}, base, top))
	_, stderr, code := e.pull(host + "/multi/foreign:1")
	if code == 0 {
		t.Errorf("pull of a linux/%s image on %s succeeded", foreign, runtime.GOARCH)
	}
	t.Logf("pull of a foreign image: %s", stderr)
	checkOneLineError(t, stderr, "linux/"+foreign, "--platform")
	if e.hasImage("foreign:1") {
		t.Errorf("a refused pull registered foreign:1")
	}
	if left := dirEntries(t, filepath.Join(e.dataRoot, "tmp")); len(left) > 0 {
		t.Errorf("tmp/ holds %v after a refused pull", left)
	}
	e.mustRun("rmi", "tool:2", "other")
}

// flipByte wraps a registry so that a GET of the blob digest has the byte
// at offset flipped: the same length, and not the content the digest
// names. served counts such GETs.
func flipByte(digest v1.Hash, offset int, served *atomic.Int32) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+digest.String()) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			if rec.Code == http.StatusOK && len(body) > 0 {
				body[offset] ^= 0x20
				served.Add(1)
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	}
}

// A layer blob that does not match its digest fails the pull, and leaves
// nothing: not the image, not the corrupt layer. "gzip header" flips a
// byte that gzip ignores (its MTIME), so only the digest can catch it;
// "deflate data" one in the middle of the compressed stream.
func TestPullCorruptBlob(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	base := busyboxLayer(t, types.OCILayer)
	top := registryLayer(t, types.OCILayer, []tarEntry{tarFile("top", 0o644, []byte("top\n"))})
	img := registryImage(t, true, runtime.GOARCH, v1.Config{}, base, top)
	digests, _ := layerDigests(t, img)
	size, err := base.Size()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		offset int
		want   []string
	}{
		{"gzip header", 4, []string{digests[0].String(), "checksum"}},
		{"deflate data", int(size / 2), []string{digests[0].String()}},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "-"), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			var served atomic.Int32
			host := startRegistry(t, flipByte(digests[0], tc.offset, &served))
			pushImage(t, host+"/test/broken:1", img)

			_, stderr, code := e.pull(host + "/test/broken:1")
			if code == 0 {
				t.Fatalf("pull of an image with a corrupt layer succeeded; stderr:\n%s", stderr)
			}
			if served.Load() == 0 {
				t.Fatalf("the registry never served the corrupt blob; stderr:\n%s", stderr)
			}
			// The line of the layer, then the error.
			lines := strings.SplitN(stderr, "\n", 2)
			if len(lines) != 2 || !strings.HasPrefix(lines[0], short(digests[0])+": downloading ") {
				t.Fatalf("pull's stderr does not start with the corrupt layer's line:\n%s", stderr)
			}
			t.Logf("pull of a corrupt blob: %s", lines[1])
			checkOneLineError(t, lines[1], tc.want...)
			if e.hasImage("broken:1") {
				t.Errorf("images lists broken:1 after a failed pull")
			}
			e.expectNothingStored("a pull of a corrupt blob")
		})
	}
}

// A registry that wants a password: refused without --creds (and with
// wrong ones), in one line that says how to log in; --creds, or docker
// login's config.json, works.
func TestPullAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	host := startRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if user, pass, ok := r.BasicAuth(); !ok || user != "alice" || pass != "s3cret" {
				w.Header().Set("WWW-Authenticate", `Basic realm="kobako-test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	ref := host + "/private/app:latest"
	img := registryImage(t, true, runtime.GOARCH, v1.Config{}, busyboxLayer(t, types.OCILayer))
	pushImage(t, ref, img, remote.WithAuth(&authn.Basic{Username: "alice", Password: "s3cret"}))
	digests, _ := layerDigests(t, img)

	for _, creds := range [][]string{nil, {"--creds", "alice:wrong"}} {
		_, stderr, code := e.pull(append(creds, ref)...)
		if code == 0 {
			t.Fatalf("pull %v of a private image succeeded", creds)
		}
		t.Logf("pull %q: %s", creds, stderr)
		checkOneLineError(t, stderr, "--creds", "401")
	}
	if left := dirEntries(t, filepath.Join(e.dataRoot, "images")); len(left) > 0 {
		t.Errorf("images/ holds %v after refused pulls", left)
	}

	// The local name of a tag "latest" is the repository's last part.
	if stdout, _ := e.mustPull("--creds", "alice:s3cret", ref); stdout != "app\n" {
		t.Errorf("pull --creds printed %q, want app", stdout)
	}
	if out := e.mustRun("run", "--rm", "app", "echo", "in"); out != "in\n" {
		t.Errorf("run app printed %q", out)
	}

	// What docker login saves, in HOME.
	home := t.TempDir()
	docker := filepath.Join(home, ".docker")
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	if err := os.MkdirAll(docker, 0o700); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth)
	if err := os.WriteFile(filepath.Join(docker, "config.json"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := e.pullWithHome(home, "--name", "app2", ref)
	if code != 0 || stdout != "app2\n" {
		t.Errorf("pull with docker login's config.json: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	if layers := pulledLayers(t, stderr); len(layers) != 1 || layers[short(digests[0])] != "already exists" {
		t.Errorf("pull of the same image under another name: layers %v, want its one layer already there", layers)
	}
	e.mustRun("rmi", "app", "app2")
}

// A pull killed in the middle of a layer leaves no image and not that
// layer, and the next command sweeps its work dir; the same pull then
// works, and finds the layer it had finished before it died.
func TestPullKilled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := make([]byte, 4<<20) // random: gzip cannot make it smaller than busybox
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	base := busyboxLayer(t, types.OCILayer)
	top := registryLayer(t, types.OCILayer, []tarEntry{tarFile("big", 0o644, big)})
	img := registryImage(t, true, runtime.GOARCH, v1.Config{}, base, top)
	digests, diffIDs := layerDigests(t, img)
	baseSize, _ := base.Size()
	topSize, _ := top.Size()
	if topSize <= baseSize {
		t.Fatalf("the top layer (%d bytes) is not the biggest (base: %d)", topSize, baseSize)
	}

	halfSent := make(chan struct{})
	release := make(chan struct{})
	var stalled atomic.Bool
	host := startRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+digests[1].String()) || !stalled.CompareAndSwap(false, true) {
				next.ServeHTTP(w, r)
				return
			}
			// The first GET of the big layer: half of it, then nothing.
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			body := rec.Body.Bytes()
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			close(halfSent)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
	})
	t.Cleanup(func() { close(release) }) // before the server's Close, which waits for the handler
	ref := host + "/test/big:1"
	pushImage(t, ref, img)

	cmd := e.pullCommand(context.Background(), t.TempDir(), "pull", ref)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-halfSent:
	case err := <-exited:
		t.Fatalf("pull ended (%v) before the big layer was half sent; stderr:\n%s", err, stderr.String())
	case <-time.After(commandTimeout):
		cmd.Process.Kill()
		t.Fatalf("the big layer was never asked for; stderr:\n%s", stderr.String())
	}
	// kobako is unpacking the big layer, in its work dir, when it dies.
	tmp := filepath.Join(e.dataRoot, "tmp")
	waitFor(t, "kobako to unpack the big layer", func() bool {
		found, _ := filepath.Glob(filepath.Join(tmp, "*", "layer-1", "big"))
		return len(found) > 0
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("pull was not killed: %v; stderr:\n%s", cmd.ProcessState, stderr.String())
	}

	if left := dirEntries(t, filepath.Join(e.dataRoot, "images")); len(left) > 0 {
		t.Errorf("a killed pull registered %v", left)
	}
	if _, err := os.Lstat(filepath.Join(e.dataRoot, "layers", diffIDs[1].Hex)); err == nil {
		t.Errorf("a killed pull kept the layer it was unpacking, %s", diffIDs[1])
	}
	if left := dirEntries(t, tmp); len(left) == 0 {
		t.Errorf("tmp/ is empty right after the kill: where was the big layer unpacked?")
	}
	e.mustRun("images")
	if left := dirEntries(t, tmp); len(left) > 0 {
		t.Errorf("tmp/ still holds %v after the next command; want the dead work dir swept", left)
	}

	// The same pull, whole: the base layer, finished before the kill, is
	// in the store already.
	stdout, layers := e.mustPull(ref)
	if stdout != "big:1\n" {
		t.Errorf("pull printed %q, want big:1", stdout)
	}
	expectPulled(t, layers, digests, "already exists", "downloading")
	if out := e.mustRun("run", "--rm", "big:1", "sh", "-c", "wc -c < /big"); strings.TrimSpace(out) != strconv.Itoa(len(big)) {
		t.Errorf("wc -c < /big in big:1 printed %q, want %d", out, len(big))
	}
	e.mustRun("rmi", "big:1")
}

// Bad command lines, references and tags: one line each, a failed exit,
// and nothing in the store.
func TestPullBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	host := startRegistry(t, nil)
	pushImage(t, host+"/bad/real:1", registryImage(t, true, runtime.GOARCH, v1.Config{},
		registryLayer(t, types.OCILayer, []tarEntry{tarFile("x", 0o644, []byte("x\n"))})))

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{`"pull" needs one image`}},
		{[]string{"a", "b"}, []string{`"pull" needs one image`}},
		{[]string{"UPPER/Case::x"}, []string{"invalid image reference", "UPPER/Case::x"}},
		{[]string{host + "/bad/real:2"}, []string{"no such image or tag", host}},
		{[]string{host + "/bad/missing"}, []string{"no such image or tag"}},
		{[]string{"--creds", "alice", host + "/bad/real:1"}, []string{"--creds", "USER:PASSWORD"}},
		{[]string{"--platform", "windows/amd64", host + "/bad/real:1"}, []string{"windows/amd64", "linux"}},
		{[]string{"--name", "Bad Name", host + "/bad/real:1"}, []string{"invalid image name"}},
	} {
		stdout, stderr, code := e.pull(tc.args...)
		if code == 0 {
			t.Errorf("pull %q succeeded; stdout %q", tc.args, stdout)
			continue
		}
		if stdout != "" {
			t.Errorf("pull %q printed %q on stdout", tc.args, stdout)
		}
		t.Logf("pull %q: %s", tc.args, stderr)
		checkOneLineError(t, stderr, tc.want...)
	}
	e.expectNothingStored("refused pulls")
}
