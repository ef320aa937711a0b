package rootfs

// The overlay of a --rm container is mounted volatile: its unmount skips
// the sync, and overlayfs leaves a mark that refuses the layers' next
// mount — which ClearVolatileMark lifts, for a container started again.

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOverlayVolatileMountsAgain(t *testing.T) {
	r := newMaskRoot(t)
	r.mkdir(t, "lower", "upper", "work", "merged")
	at := func(name string) string { return filepath.Join(r.dir, name) }
	must(t, os.WriteFile(filepath.Join(at("lower"), "image-file"), []byte("image"), 0o644))
	o := &Overlay{Lower: []string{at("lower")}, Upper: at("upper"), Work: at("work"), Volatile: true}

	// the first mount: volatile, a write lands in the upper dir
	must(t, o.mount(at("merged"), nil))
	must(t, os.WriteFile(filepath.Join(at("merged"), "written"), []byte("kept"), 0o644))
	must(t, unix.Unmount(at("merged"), 0))
	if _, err := os.Lstat(filepath.Join(o.Work, volatileMark)); err != nil {
		t.Fatalf("no volatile mark after a volatile mount (%v): is the option passed?", err)
	}

	// The kernel refuses the same layers again while the mark is there —
	// what ClearVolatileMark is for.
	data, err := o.Options()
	must(t, err)
	if err := unix.Mount("overlay", at("merged"), "overlay", 0, data); err == nil {
		unix.Unmount(at("merged"), 0)
		t.Fatal("overlayfs mounted a work dir with the volatile mark: this test no longer shows why the mark is cleared")
	}

	// mounted again through mount: the mark is cleared, the write is there
	must(t, o.mount(at("merged"), nil))
	defer unix.Unmount(at("merged"), 0)
	for name, want := range map[string]string{"written": "kept", "image-file": "image"} {
		if got, err := os.ReadFile(filepath.Join(at("merged"), name)); err != nil || string(got) != want {
			t.Errorf("%s after the second mount: %q, %v; want %q", name, got, err, want)
		}
	}
}
