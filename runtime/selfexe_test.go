package runtime

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/testenv"
)

// A child started from the sealed handle, as the init is: once it has
// ended, a handle taken on its /proc/<pid>/exe (the CVE-2019-5736 grab)
// cannot write to what it ran, by either way of sealing. The binary sealed
// is a copy of this test's, which nothing else runs: else the kernel's
// "text file busy" would answer before the seal is put to the test.
func TestSealedSelf(t *testing.T) {
	if os.Getenv("KOBAKO_SEALED_CHILD") != "" {
		time.Sleep(time.Minute) // the child: wait to be looked at and killed
		return
	}
	testenv.RequireRoot(t, "open_tree needs it")
	binary := filepath.Join(t.TempDir(), "kobako")
	if err := copyFile("/proc/self/exe", binary); err != nil {
		t.Fatal(err)
	}
	for name, seal := range map[string]func(string) (*os.File, error){
		"read-only mount": readOnlyMount,
		"sealed memfd":    sealedCopy,
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			sealed, err := seal(binary)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("sealing a %d MB binary took %v", fileSize(t, binary)>>20, time.Since(start))
			defer sealed.Close()
			child := &exec.Cmd{
				Path:       "/proc/self/fd/3",
				Args:       []string{"child", "-test.run=^TestSealedSelf$"},
				Env:        []string{"KOBAKO_SEALED_CHILD=1"},
				ExtraFiles: []*os.File{sealed},
			}
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			exe := fmt.Sprintf("/proc/%d/exe", child.Process.Pid)
			grabbed, err := unix.Open(exe, unix.O_PATH|unix.O_CLOEXEC, 0)
			target, _ := os.Readlink(exe)
			child.Process.Kill()
			child.Wait()
			if err != nil {
				t.Fatalf("grab %s: %v", exe, err)
			}
			defer unix.Close(grabbed)
			if target == binary {
				t.Errorf("the child's exe names the binary itself, %s", binary)
			}
			fd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", grabbed), unix.O_WRONLY|unix.O_CLOEXEC, 0)
			if err == nil {
				_, err = unix.Write(fd, []byte("PWNED"))
				unix.Close(fd)
			}
			if !errors.Is(err, unix.EROFS) && !errors.Is(err, unix.EPERM) {
				t.Errorf("writing to the grabbed exe (%s): %v, want EROFS or EPERM", target, err)
			}
		})
	}
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o755)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}
