package tests

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// kobako cp into a container that is still being made. Its init builds
// the container's root and pivots into it last: until then its
// /proc/<pid>/root is the host's "/", and a copy through it landed on the
// host — 6 to 9 times in 60 such races before the fix. cp now waits for
// the create to finish. Each round starts a container and, a few
// milliseconds later, copies a file to /tmp/<name> in it: the host's own
// /tmp must never get it, and cp must succeed or not find the container.
func TestCpWhileCreating(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("run", "--rm", "busybox", "true") // the image, before the race
	src := filepath.Join(t.TempDir(), "marker")
	if err := os.WriteFile(src, []byte("copied\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		name := fmt.Sprintf("cprace%d", i)
		leaf := fmt.Sprintf("kobako-cp-race-%d-%d", os.Getpid(), i)
		host := filepath.Join("/tmp", leaf)
		t.Cleanup(func() { os.Remove(host) })
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, stderr, code := e.run("run", "-d", "--name", name, "busybox", "sleep", "5"); code != 0 {
				t.Errorf("run -d %s: exit %d: %s", name, code, stderr)
			}
		}()
		time.Sleep(time.Duration(1+rand.IntN(9)) * time.Millisecond)
		_, stderr, code := e.run("cp", src, name+":/tmp/"+leaf)
		wg.Wait()
		if _, err := os.Stat(host); err == nil {
			t.Errorf("round %d: kobako cp into %s wrote %s on the host", i, name, host)
		}
		if code != 0 && !strings.Contains(stderr, "no such container") {
			t.Errorf("round %d: cp into %s as it was being made: exit %d: %s", i, name, code, stderr)
		}
		e.mustRun("rm", "-f", name)
	}
}
