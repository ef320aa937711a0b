package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// rootfsPropagation "rshared": pivot_root still works (the rootfs's parent
// is made private first), and the new "/" is shared afterwards. All of it
// on a thread of its own, in a mount namespace of its own, which ends with
// the goroutine: the test's own root never changes.
func TestPivotRootWithSharedPropagation(t *testing.T) {
	requireRoot(t)
	base := t.TempDir()
	done := make(chan error)
	go func() {
		goruntime.LockOSThread() // never unlocked: the thread dies with its namespace
		done <- pivotShared(base)
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// pivotShared builds a root on a tmpfs at base, under a "/" made rshared,
// pivots into it, and reads its own mountinfo to see "/" shared.
func pivotShared(base string) error {
	// unshare -m (which unshares the thread's root and cwd, CLONE_FS, too)
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare(CLONE_NEWNS): %w", err)
	}
	// The namespace's own copy of "/" first: private, so that rshared
	// below makes peer groups of this namespace only.
	if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", base, "tmpfs", 0, "mode=755"); err != nil {
		return err
	}
	root := filepath.Join(base, "root")
	if err := os.MkdirAll(filepath.Join(root, "proc"), 0o755); err != nil {
		return err
	}
	if err := isolateRoot(root, "rshared", nil); err != nil {
		return fmt.Errorf("isolateRoot: %w", err)
	}
	if err := mountRoot(root, nil, nil); err != nil {
		return fmt.Errorf("mountRoot: %w", err)
	}
	if err := unix.Mount("proc", filepath.Join(root, "proc"), "proc", 0, ""); err != nil {
		return err
	}
	if err := PivotRoot(root, nil); err != nil {
		return fmt.Errorf("PivotRoot under an rshared /: %w", err)
	}
	if err := SetRootPropagation("rshared", nil); err != nil {
		return fmt.Errorf("SetRootPropagation: %w", err)
	}
	mountinfo, err := os.ReadFile("/proc/thread-self/mountinfo")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(mountinfo), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 6 && fields[4] == "/" {
			if !strings.HasPrefix(fields[6], "shared:") {
				return fmt.Errorf("the new / is not shared: %s", line)
			}
			return nil
		}
	}
	return fmt.Errorf("no / in the new root's mountinfo:\n%s", mountinfo)
}

func TestRootPropagationWords(t *testing.T) {
	for _, word := range []string{"", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"} {
		if err := CheckRootPropagation(word); err != nil {
			t.Errorf("CheckRootPropagation(%q) = %v", word, err)
		}
	}
	if err := CheckRootPropagation("rsharde"); err == nil || !strings.Contains(err.Error(), `"rsharde"`) {
		t.Errorf("CheckRootPropagation(rsharde) = %v, want it refused by name", err)
	}
}
