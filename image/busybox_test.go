// Tests for the built-in busybox image. They need the host's static
// busybox (apt-get install busybox-static).
package image

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/kobako/kobako/internal/testenv"
)

// requireBusybox skips a test without a static busybox, loudly, or fails it in CI.
func requireBusybox(t *testing.T) {
	t.Helper()
	if _, err := staticBusybox(); err != nil {
		testenv.Missing(t, "a static busybox (apt-get install busybox-static): "+err.Error())
	}
}

func TestBusyboxImage(t *testing.T) {
	requireBusybox(t)
	dataRoot := t.TempDir()
	s := NewStore(dataRoot, nil)
	img, err := s.Get(BusyboxName)
	if err != nil {
		t.Fatalf("Get busybox: %v", err)
	}
	// The host's busybox is the host's machine's.
	if !slices.Equal(img.Cmd, []string{"/bin/sh"}) || img.Arch != runtime.GOARCH || img.Size < 500_000 || img.Source == "" {
		t.Errorf("busybox image = %+v", img)
	}
	for _, want := range []struct {
		name   string
		mode   os.FileMode
		target string
	}{
		{"bin/busybox", 0o755, ""},
		{"bin/sh", os.ModeSymlink | 0o777, "/bin/busybox"},
		{"usr/bin/awk", os.ModeSymlink | 0o777, "/bin/busybox"},
		{"tmp", os.ModeDir | os.ModeSticky | 0o777, ""},
		{"root", os.ModeDir | 0o700, ""},
		{"proc", os.ModeDir | 0o555, ""},
		{"etc/passwd", 0o644, ""},
		{"etc/group", 0o644, ""},
		{"etc/hosts", 0o644, ""},
	} {
		path := filepath.Join(img.Rootfs, want.name)
		st, err := os.Lstat(path)
		if err != nil {
			t.Errorf("%s: %v", want.name, err)
			continue
		}
		if st.Mode() != want.mode {
			t.Errorf("%s: mode %v, want %v", want.name, st.Mode(), want.mode)
		}
		if want.target != "" {
			if target, err := os.Readlink(path); target != want.target {
				t.Errorf("%s -> %q, %v; want -> %s", want.name, target, err, want.target)
			}
		}
	}
	if passwd, err := os.ReadFile(filepath.Join(img.Rootfs, "etc/passwd")); err != nil || string(passwd[:5]) != "root:" {
		t.Errorf("etc/passwd: %q, %v", passwd, err)
	}
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].Name != BusyboxName {
		t.Errorf("List = %+v, %v", list, err)
	}
}

// Ten "kobako run busybox" at once on an empty store: all get the image,
// the same one, and no work dir is left.
func TestBusyboxConcurrent(t *testing.T) {
	requireBusybox(t)
	dataRoot := t.TempDir()
	images := make([]*Image, 10)
	errs := make([]error, 10)
	var wg sync.WaitGroup
	for i := range images {
		wg.Go(func() { images[i], errs[i] = NewStore(dataRoot, nil).Get(BusyboxName) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Get %d: %v", i, err)
		}
		if !images[i].Created.Equal(images[0].Created) {
			t.Errorf("Get %d returned another build than Get 0", i)
		}
	}
	checkNoWork(t, dataRoot)
}

// IsStatic tells the host's busybox from the same bytes with one program
// header turned into PT_INTERP, which is all that makes a binary dynamic.
func TestBusyboxStaticCheck(t *testing.T) {
	requireBusybox(t)
	path, _ := staticBusybox()
	if static, err := IsStatic(path); !static || err != nil {
		t.Errorf("IsStatic(%s) = %v, %v", path, static, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if elf.Class(data[elf.EI_CLASS]) != elf.ELFCLASS64 || elf.Data(data[elf.EI_DATA]) != elf.ELFDATA2LSB {
		t.Skip("SKIPPED: the dynamic-binary check is written for 64-bit little-endian ELF")
	}
	// Elf64_Ehdr: e_phoff at 0x20, e_phentsize at 0x36, e_phnum at 0x38;
	// p_type is the first word of each program header.
	phoff, size, count := binary.LittleEndian.Uint64(data[0x20:]), binary.LittleEndian.Uint16(data[0x36:]), binary.LittleEndian.Uint16(data[0x38:])
	last := phoff + uint64(size)*uint64(count-1)
	binary.LittleEndian.PutUint32(data[last:], uint32(elf.PT_INTERP))
	dynamic := filepath.Join(t.TempDir(), "busybox")
	if err := os.WriteFile(dynamic, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if static, err := IsStatic(dynamic); static || err != nil {
		t.Errorf("IsStatic of a binary with PT_INTERP = %v, %v; want false", static, err)
	}
	notELF := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := IsStatic(notELF); err == nil {
		t.Error("IsStatic of a shell script: no error")
	}
}
