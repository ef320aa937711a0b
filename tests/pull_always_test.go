package tests

// run --pull always of an image already pulled: kobako-pull --replace
// asks the registry again (on 127.0.0.1, as pull_test.go's) and registers
// the new image over the old one in one rename (image/build.go, replace).

import (
	"bytes"
	"context"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// countManifests wraps a registry's handler to count the GETs of
// manifests it serves.
func countManifests(n *atomic.Int32) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
				n.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}
}

func TestPullAlwaysReplaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var manifests atomic.Int32
	host := startRegistry(t, countManifests(&manifests))
	ref := host + "/test/app:1"
	version := func(v string) v1.Image {
		return registryImage(t, false, runtime.GOARCH, v1.Config{Env: []string{"PATH=/bin"}},
			busyboxLayer(t, types.DockerLayer, tarFile("version", 0o644, []byte(v+"\n"))))
	}
	pushImage(t, ref, version("one"))
	e.mustPull(ref)
	if out := e.mustRun("run", "--rm", "--pull", "never", "app:1", "cat", "/version"); out != "one\n" {
		t.Fatalf("run of the pulled app:1 printed %q", out)
	}

	// A new image under the same tag: --pull missing keeps the old one,
	// --pull always fetches the manifest again and runs the new one.
	pushImage(t, ref, version("two"))
	before := manifests.Load()
	if out := e.mustRun("run", "--rm", "--pull", "missing", ref, "cat", "/version"); out != "one\n" {
		t.Errorf("--pull missing of an image here printed %q, want the old one", out)
	}
	if manifests.Load() != before {
		t.Errorf("--pull missing of an image here asked the registry for a manifest")
	}
	out, stderr := runPullAlways(t, e, ref, "cat", "/version")
	if out != "two\n" {
		t.Errorf("--pull always ran %q, want the new image's two (stderr %q)", out, stderr)
	}
	if manifests.Load() == before {
		t.Errorf("--pull always did not ask the registry for the manifest")
	}
	if !strings.Contains(stderr, "pulling "+ref+" again") {
		t.Errorf("--pull always said %q, want it to say it pulls again", stderr)
	}
	// One image of that name, not two, and it is the new one.
	if n := strings.Count(e.mustRun("images"), "app:1 "); n != 1 {
		t.Errorf("images lists app:1 %d times:\n%s", n, e.mustRun("images"))
	}
	if out := e.mustRun("run", "--rm", "--pull", "never", "app:1", "cat", "/version"); out != "two\n" {
		t.Errorf("after --pull always, app:1 is %q, want two", out)
	}
	e.expectNoContainers("after --pull always")
}

// runPullAlways runs `run --rm --pull always REF ARGS…` with an empty HOME
// (pullCommand: no tester's credentials), and fails the test unless it
// exits 0.
func runPullAlways(t *testing.T, e *env, ref string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := e.pullCommand(ctx, t.TempDir(), append([]string{"run", "--rm", "--pull", "always", ref}, args...)...)
	var outBuf, errBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &errBuf
	if err := cmd.Run(); err != nil {
		t.Fatalf("run --pull always %s: %v (stderr: %s)", ref, err, errBuf.String())
	}
	return outBuf.String(), errBuf.String()
}
