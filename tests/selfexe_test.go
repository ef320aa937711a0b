package tests

// The runtime's own binary, attacked from inside (CVE-2019-5736, B1 and B8
// of the catalogue). A container process watches for kobako's init joining
// it for `kobako exec`, grabs /proc/<pid>/exe as the exploit did, and later
// tries to reopen it for writing. The binary attacked is a copy made for
// this test, run by nothing but the attacked `exec`s: without the guard, it
// would be writable as soon as they have ended.

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
	"testing"
)

// (Its name keeps it out of the v2 guest's TestExec set: the guest has no
// Go to build the probe with, and nothing here depends on the cgroup version.)
func TestSealedKobakoBinary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.importImage("probe", probeTar(t))
	target := copyOfKobako(t)
	before := fileSum(t, target)

	// --cap-add SYS_PTRACE is the worst case of B8: with it, the inits can
	// still be looked at; the sealed binary must hold on its own.
	r := attackExecs(t, e, target, "ptracer", "--cap-add", "SYS_PTRACE")
	t.Logf("exe-grab: saw %d kobako inits, grabbed %d: %v; write errors %v", r.Seen, r.Grabbed, r.Targets, r.WriteError)
	if r.Grabbed == 0 {
		t.Errorf("the attacker grabbed no kobako init among %d: the test tested nothing", r.Seen)
	}
	if r.Written != 0 {
		t.Errorf("the attacker wrote into %d grabbed kobako binaries", r.Written)
	}
	for _, seen := range r.Targets {
		if seen == target {
			t.Errorf("/proc/<pid>/exe of a kobako init named the host's binary %s", target)
		}
	}
	if after := fileSum(t, target); !bytes.Equal(before, after) {
		t.Errorf("the kobako binary changed")
	}

	// With docker's capabilities (no SYS_PTRACE), the non-dumpable inits
	// and their exe, fds and memory are out of reach altogether.
	r = attackExecs(t, e, target, "plain")
	if r.Seen == 0 || r.Grabbed != 0 || r.MemRead != 0 {
		t.Errorf("without SYS_PTRACE: saw %d kobako inits, grabbed %d exes, read %d memories; want none grabbed or read", r.Seen, r.Grabbed, r.MemRead)
	}
}

// grabResult is what the probe's exe-grab reports.
type grabResult struct {
	Seen, Grabbed, MemRead, Written int
	Targets, WriteError             []string
}

// attackExecs runs the attacker container name (with flags) and, while it
// watches, twenty `kobako exec`s into it by the binary target.
func attackExecs(t *testing.T, e *env, target, name string, flags ...string) grabResult {
	t.Helper()
	grab := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		args := append(append([]string{"run", "--rm", "--name", name}, flags...), "probe", "/probe", "exe-grab", "50000")
		out, _, _ := e.run(args...)
		grab <- out
	}()
	attacker := e.waitRunning(name)
	victim := e.withBinary(target)
	for i := 0; i < 20; i++ {
		victim.mustRun("exec", name, "/probe", "cwd")
	}
	// Time's up for the attacker: it tries its handles now.
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/root/stop", attacker.Pid), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	var r grabResult
	decodeProbe(t, "exe-grab", <-grab, &r)
	return r
}

// copyOfKobako copies the binary under test, and its kobako-init, into
// the test's own directory.
func copyOfKobako(t *testing.T) string {
	t.Helper()
	return copyKobako(t, t.TempDir())
}

func fileSum(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return sum[:]
}
