package tests

// The race of CVE-2021-30465 (security-tests.md B4): a host directory V is
// a volume of two containers. A swaps V/d, a directory, and V/l, a symlink
// out of the root, with renameat2(RENAME_EXCHANGE), as fast as it can. The
// host starts B again and again with V at /v and a tmpfs at /v/d/x: runc
// resolved /v/d/x safely, then mounted on the path string — by then d could
// be the symlink, and the mount landed outside the root. kobako resolves
// once, to a handle, and mounts on the handle (rootfs/mounts.go).

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// raceRounds is how many times B runs; raceBudget stops the rounds early
// on a slow or busy machine, so that the test stays within a minute.
const (
	raceRounds = 150
	raceBudget = 40 * time.Second
)

// The symlink V/l points to target, an absolute path that exists twice:
// on the host, a directory of the test holding a file "host-side" and the
// directory x, ready to be mounted on, as an attacker would make it; in
// B's image, a directory with a file "image-side". Followed inside B's
// root, the tmpfs goes on the image's copy, which is fine. Followed on the
// host — a joined path string, or a checked path walked again by mount(2)
// — it goes on the host's target/x, in B's mount namespace before
// pivot_root, and is gone from B's mount table afterwards. So: B fails
// cleanly, or sees its tmpfs once, inside its root; target on the host
// gains nothing, and the host's mount table never changes.
func TestVolumeExchangeRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	target := filepath.Join(t.TempDir(), "target")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "host-side"), []byte("host only\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	vol := t.TempDir()
	if err := os.Mkdir(filepath.Join(vol, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(vol, "l")); err != nil {
		t.Fatal(err)
	}
	// B's image has target or not, round by round: the symlink followed
	// inside the root meets a directory there, or nothing.
	e.importImage("b4", withDirAt(t, probeTar(t), target, "image-side"))
	e.importImage("b4-bare", probeTar(t))
	targetBefore := slices.Concat(snapshotDir(t, target), snapshotDir(t, filepath.Join(target, "x")))

	// A: the swapping loop, detached, for two minutes at most; /stop ends it.
	e.mustRun("run", "-d", "--name", "b4-exchange", "-v", vol+":/v", "b4", "/probe", "exchange", "120000", "/v/d", "/v/l")
	a := e.waitRunning("b4-exchange")
	waitFor(t, "the first swaps of b4-exchange", func() bool {
		if in, err := e.tryInspect("b4-exchange"); err == nil && in.Status != "running" {
			out, _, _ := e.run("logs", "b4-exchange")
			t.Fatalf("b4-exchange stopped before the race: %s", out)
		}
		fi, err := os.Lstat(filepath.Join(vol, "d"))
		return err == nil && fi.Mode()&os.ModeSymlink != 0
	})
	// Now A runs: these are what each B must leave as it found them.
	mountsBefore := readMountinfo(t)
	stateBefore := dirEntries(t, e.root)

	// A size no mount of the host has, to find B's tmpfs in any mount table.
	var size string
	for size == "" || slices.ContainsFunc(mountsBefore, func(l string) bool { return hasSuperOption(l, size) }) {
		size = fmt.Sprintf("size=%dk", 4*(1000+rand.IntN(9000)))
	}
	var inVolume, inImage, failed int // what became of B's tmpfs
	failures := map[string]int{}      // and why B failed
	start := time.Now()
	rounds := 0
	for ; rounds < raceRounds && time.Since(start) < raceBudget; rounds++ {
		image := []string{"b4", "b4-bare"}[rounds%2]
		out, stderr, code := e.run("run", "--rm", "-v", vol+":/v", "--tmpfs", "/v/d/x:"+size, image, "cat", "/proc/self/mountinfo")
		if code != 0 {
			// Met the swap: a clean refusal, kobako's exit status and one line.
			if code != 125 {
				t.Errorf("round %d: exit %d, want 0 or 125; stderr:\n%s", rounds, code, stderr)
			}
			checkOneLineError(t, stderr)
			failed++
			failures[containerID.ReplaceAllString(strings.ReplaceAll(strings.TrimSpace(stderr), e.dataRoot, "$DATA"), "$$ID")]++
		} else {
			var at, all []string
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				m := parseMountinfoLine(t, l)
				all = append(all, m.mountPoint)
				if m.fsType == "tmpfs" && hasSuperOption(l, size) {
					at = append(at, m.mountPoint)
				}
			}
			switch {
			case len(at) != 1:
				t.Errorf("round %d: B (%s) sees its tmpfs (%s) at %v, want one mount point in its root (mounted outside it?); B's mount points: %v",
					rounds, image, size, at, all)
			case at[0] == "/v/d/x" || at[0] == "/v/l/x": // l: swapped since
				inVolume++
			case at[0] == target+"/x" && image == "b4":
				inImage++
			default:
				t.Errorf("round %d: B (%s) has its tmpfs at %s, want /v/d/x, /v/l/x, or %s/x in b4", rounds, image, at[0], target)
			}
		}
		checkHostAfterB(t, e, rounds, mountsBefore, stateBefore, a.ID, size)
		if after := slices.Concat(snapshotDir(t, target), snapshotDir(t, filepath.Join(target, "x"))); !slices.Equal(after, targetBefore) {
			t.Fatalf("round %d: the host's %s changed (the symlink was followed on the host):\nbefore %v\nafter  %v",
				rounds, target, targetBefore, after)
		}
		if t.Failed() {
			break
		}
	}
	elapsed := time.Since(start)

	e.mustRun("exec", "b4-exchange", "mkdir", "/stop")
	e.waitExited("b4-exchange")
	var swapped struct {
		Swaps, Failures int64
		LastError       string
	}
	decodeProbe(t, "exchange", e.mustRun("logs", "b4-exchange"), &swapped)
	t.Logf("%d rounds of B in %v: tmpfs in the volume %d, in the image's %s %d, failed %d; A made %d swaps (%d failed %s)",
		rounds, elapsed.Round(time.Millisecond), inVolume, target, inImage, failed,
		swapped.Swaps, swapped.Failures, swapped.LastError)
	for _, msg := range slices.Sorted(maps.Keys(failures)) {
		t.Logf("  %d× %s", failures[msg], msg)
	}
	if swapped.Swaps <= 2 {
		t.Errorf("A made %d swaps: the race was not run", swapped.Swaps)
	}
	if rounds < 10 && !t.Failed() {
		t.Errorf("only %d rounds of B in %v: too few to race", rounds, raceBudget)
	}
	checkVolumeAfterRace(t, vol, target)
}

// hasSuperOption says whether a mountinfo line's super options, its last
// field, include opt.
func hasSuperOption(line, opt string) bool {
	fields := strings.Fields(line)
	return len(fields) > 0 && slices.Contains(strings.Split(fields[len(fields)-1], ","), opt)
}

// containerID is a container's ID in kobako's messages.
var containerID = regexp.MustCompile(`[0-9a-f]{64}`)

// withDirAt adds to an image the directory dir (an absolute host path, made
// relative) with its parents, and in it an empty file called file.
func withDirAt(t *testing.T, entries []tarEntry, dir, file string) []tarEntry {
	t.Helper()
	have := map[string]bool{}
	for _, e := range entries {
		have[strings.TrimSuffix(e.hdr.Name, "/")] = true
	}
	rel := strings.TrimPrefix(filepath.Clean(dir), "/")
	parts := strings.Split(rel, "/")
	for i := range parts {
		if p := strings.Join(parts[:i+1], "/"); !have[p] {
			entries = append(entries, tarDir(p+"/", 0o755))
		}
	}
	return append(entries, tarFile(rel+"/"+file, 0o644, nil))
}

// checkHostAfterB: B left nothing — no container but A, no state but A's,
// nothing in the data root's tmp — and the host's mount table is as it
// was, with no tmpfs of B's size anywhere.
func checkHostAfterB(t *testing.T, e *env, round int, mountsBefore, stateBefore []string, aID, size string) {
	t.Helper()
	if ids := e.containerIDs(); !slices.Equal(ids, []string{aID}) {
		t.Errorf("round %d: containers after B: %v, want only A's %s", round, ids, aID)
	}
	if state := dirEntries(t, e.root); !slices.Equal(state, stateBefore) {
		t.Errorf("round %d: state dir after B: %v, want %v", round, state, stateBefore)
	}
	if left := dirEntries(t, filepath.Join(e.dataRoot, "tmp")); len(left) > 0 {
		t.Errorf("round %d: %s/tmp after B: %v", round, e.dataRoot, left)
	}
	mounts := readMountinfo(t)
	for _, l := range mounts {
		if hasSuperOption(l, size) {
			t.Fatalf("round %d: B's tmpfs is in the host's mount table: %s", round, l)
		}
	}
	if added, removed := diffLines(mountsBefore, mounts); len(added)+len(removed) > 0 {
		t.Errorf("round %d: the host's /proc/self/mountinfo changed\nadded:\n%s\nremoved:\n%s",
			round, strings.Join(added, "\n"), strings.Join(removed, "\n"))
	}
}

// checkVolumeAfterRace: V holds d and l still, one the directory and one
// the symlink to target, and nothing else; in the directory, at most the
// mount point x that B made; the host's target/x is empty still.
func checkVolumeAfterRace(t *testing.T, vol, target string) {
	t.Helper()
	if names := dirEntries(t, vol); !slices.Equal(names, []string{"d", "l"}) {
		t.Errorf("the volume holds %v, want d and l", names)
	}
	dirs, links := 0, 0
	for _, name := range []string{"d", "l"} {
		p := filepath.Join(vol, name)
		fi, err := os.Lstat(p)
		switch {
		case err != nil:
			t.Errorf("%s: %v", p, err)
		case fi.Mode()&os.ModeSymlink != 0:
			links++
			if to, err := os.Readlink(p); err != nil || to != target {
				t.Errorf("%s points to %q (%v), want %s", p, to, err, target)
			}
		case fi.IsDir():
			dirs++
			if inside := dirEntries(t, p); len(inside) > 1 || len(inside) == 1 && inside[0] != "x" {
				t.Errorf("the volume's directory %s holds %v, want at most x", p, inside)
			}
		default:
			t.Errorf("%s is a %v", p, fi.Mode())
		}
	}
	if dirs != 1 || links != 1 {
		t.Errorf("the volume has %d directories and %d symlinks among d and l, want one of each", dirs, links)
	}
	if inside := dirEntries(t, filepath.Join(target, "x")); len(inside) > 0 {
		t.Errorf("the host's %s/x holds %v, want nothing", target, inside)
	}
}
