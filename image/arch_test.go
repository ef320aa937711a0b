// Tests for reading an image's architecture: ELF headers made by hand, and
// trees whose programs are missing, scripts, FIFOs, or symlinks that try
// to lead the reader out of the image.
package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// elfHeader is the 64-byte (or, for 32-bit, 52-byte) header that starts
// every ELF file, written field by field as elf(5) lays it out; it is
// enough for file(1), and for kobako.
func elfHeader(t *testing.T, class elf.Class, data elf.Data, machine elf.Machine) []byte {
	t.Helper()
	var ident [elf.EI_NIDENT]byte
	copy(ident[:], elf.ELFMAG)
	ident[elf.EI_CLASS], ident[elf.EI_DATA], ident[elf.EI_VERSION] = byte(class), byte(data), byte(elf.EV_CURRENT)
	var order binary.ByteOrder = binary.LittleEndian
	if data == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	var header any = &elf.Header64{Ident: ident, Type: uint16(elf.ET_EXEC), Machine: uint16(machine),
		Version: uint32(elf.EV_CURRENT), Ehsize: 64}
	if class == elf.ELFCLASS32 {
		header = &elf.Header32{Ident: ident, Type: uint16(elf.ET_EXEC), Machine: uint16(machine),
			Version: uint32(elf.EV_CURRENT), Ehsize: 52}
	}
	var buf bytes.Buffer
	if err := binary.Write(&buf, order, header); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func x86_64Header(t *testing.T) []byte {
	return elfHeader(t, elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_X86_64)
}

func aarch64Header(t *testing.T) []byte {
	return elfHeader(t, elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_AARCH64)
}

func TestArchOf(t *testing.T) {
	for _, tc := range []struct {
		what   string
		header []byte
		name   string
		isELF  bool
	}{
		{"x86_64", x86_64Header(t), "amd64", true},
		{"aarch64", aarch64Header(t), "arm64", true},
		{"i386", elfHeader(t, elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_386), "386", true},
		{"arm", elfHeader(t, elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_ARM), "arm", true},
		{"s390x, big-endian", elfHeader(t, elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_S390), "s390x", true},
		{"ppc64le", elfHeader(t, elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_PPC64), "ppc64le", true},
		{"ppc64, big-endian", elfHeader(t, elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_PPC64), "ppc64", true},
		{"riscv64", elfHeader(t, elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_RISCV), "riscv64", true},
		{"x32: x86_64's machine in a 32-bit file", elfHeader(t, elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_X86_64), UnknownArch, true},
		{"sparc64", elfHeader(t, elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_SPARCV9), UnknownArch, true},
		{"a shell script", []byte("#!/bin/sh\necho hello, world\n"), "", false},
		{"an ELF magic and no more", []byte(elf.ELFMAG), "", false},
		{"nothing", nil, "", false},
	} {
		name, isELF := archOf(tc.header)
		if name != tc.name || isELF != tc.isELF {
			t.Errorf("archOf(%s) = %q, %v; want %q, %v", tc.what, name, isELF, tc.name, tc.isELF)
		}
	}
}

// headersOf, which binfmt.go matches handlers with, is archOf backwards.
func TestHeadersOf(t *testing.T) {
	for _, a := range arches {
		headers := headersOf(a.name)
		if len(headers) != 2 {
			t.Errorf("headersOf(%s): %d headers, want 2", a.name, len(headers))
		}
		for _, h := range headers {
			if name, _ := archOf(h); name != a.name {
				t.Errorf("archOf(headersOf(%s)) = %q", a.name, name)
			}
		}
	}
	if got := headersOf("sparc64"); got != nil {
		t.Errorf("headersOf(sparc64) = %x, want none", got)
	}
	if got, want := headersOf("arm64")[0], aarch64Header(t)[:headerSize]; !bytes.Equal(got, want) {
		t.Errorf("headersOf(arm64) = %x, want %x", got, want)
	}
}

func TestParseArch(t *testing.T) {
	for value, want := range map[string]string{
		"amd64": "amd64", "arm64": "arm64", "linux/arm64": "arm64", "linux/arm/v7": "arm", "linux/arm64/v8": "arm64",
		"386": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
	} {
		if got, err := ParseArch(value); got != want || err != nil {
			t.Errorf("ParseArch(%q) = %q, %v; want %q", value, got, err, want)
		}
	}
	for value, wantErr := range map[string]string{
		"aarch64":       `invalid architecture "aarch64": say arm64, Go's and OCI's name for what uname -m calls aarch64`,
		"x86_64":        `invalid architecture "x86_64": say amd64, Go's and OCI's name for what uname -m calls x86_64`,
		"sparc":         `invalid architecture "sparc": use one of amd64, 386, arm64, arm,`,
		"":              `invalid architecture ""`,
		"linux/":        `invalid architecture "linux/"`,
		"windows/amd64": `invalid platform "windows/amd64": kobako runs linux images only (try linux/amd64)`,
		"unknown":       `invalid architecture "unknown"`,
	} {
		_, err := ParseArch(value)
		if err == nil || !strings.HasPrefix(err.Error(), wantErr) {
			t.Errorf("ParseArch(%q) error = %v, want %q…", value, err, wantErr)
		}
	}
}

// A tree whose files tc.files makes, then read by detectArch. No root
// needed: nothing is chowned.
func TestDetectArch(t *testing.T) {
	// A host file that a symlink out of the tree would reach: aarch64, so
	// that following the link would be seen as "arm64".
	hostFile := filepath.Join(t.TempDir(), "host-sh")
	if err := os.WriteFile(hostFile, aarch64Header(t), 0o755); err != nil {
		t.Fatal(err)
	}
	file := func(body []byte) func(string) error {
		return func(path string) error { return os.WriteFile(path, body, 0o755) }
	}
	link := func(target string) func(string) error {
		return func(path string) error { return os.Symlink(target, path) }
	}
	fifo := func(path string) error { return unix.Mkfifo(path, 0o644) }
	for _, tc := range []struct {
		what  string
		files map[string]func(string) error
		want  string
	}{
		{"an x86_64 /bin/sh", map[string]func(string) error{"bin/sh": file(x86_64Header(t))}, "amd64"},
		{"an aarch64 /bin/sh", map[string]func(string) error{"bin/sh": file(aarch64Header(t))}, "arm64"},
		{"/bin/sh -> busybox, relative", map[string]func(string) error{
			"bin/sh": link("busybox"), "bin/busybox": file(aarch64Header(t))}, "arm64"},
		{"/bin -> /usr/bin, absolute, read inside the image", map[string]func(string) error{
			"bin": link("/usr/bin"), "usr/bin/sh": file(aarch64Header(t))}, "arm64"},
		{"a script /bin/sh, then /bin/busybox", map[string]func(string) error{
			"bin/sh": file([]byte("#!/bin/busybox sh\n")), "bin/busybox": file(x86_64Header(t))}, "amd64"},
		{"only /usr/bin/env", map[string]func(string) error{"usr/bin/env": file(aarch64Header(t))}, "arm64"},
		{"/bin/sh -> /../../host, absolute, out of the image", map[string]func(string) error{
			"bin/sh": link("/../../.." + hostFile)}, UnknownArch},
		{"/bin/sh -> ../../host, relative, out of the image", map[string]func(string) error{
			"bin/sh": link("../../../../../../../../.." + hostFile)}, UnknownArch},
		{"/bin/sh a FIFO, which a read would wait on for ever", map[string]func(string) error{"bin/sh": fifo}, UnknownArch},
		{"/bin/sh a symlink loop", map[string]func(string) error{"bin/sh": link("sh")}, UnknownArch},
		{"/bin a file", map[string]func(string) error{"bin": file(nil)}, UnknownArch},
		{"an empty /bin/sh", map[string]func(string) error{"bin/sh": file(nil)}, UnknownArch},
		{"nothing", nil, UnknownArch},
	} {
		t.Run(tc.what, func(t *testing.T) {
			tree := t.TempDir()
			for name, create := range tc.files {
				path := filepath.Join(tree, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := create(path); err != nil {
					t.Fatal(err)
				}
			}
			root, err := os.OpenFile(tree, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			if got, err := detectArch(root); got != tc.want || err != nil {
				t.Errorf("detectArch = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// Import records what the image's /bin/sh says, or what --arch says.
func TestImportArch(t *testing.T) {
	requireRoot(t)
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	sh := aarch64Header(t)
	for _, h := range []tar.Header{
		{Typeflag: tar.TypeDir, Name: "bin/", Mode: 0o755},
		{Typeflag: tar.TypeReg, Name: "bin/sh", Mode: 0o755, Size: int64(len(sh))},
	} {
		if err := w.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
	}
	w.Write(sh)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	dataRoot := t.TempDir()
	s := NewStore(dataRoot, nil)
	for _, tc := range []struct{ name, arch, want string }{
		{"detected", "", "arm64"},
		{"given", "amd64", "amd64"},
		{"given-as-platform", "linux/arm/v7", "arm"},
	} {
		img, err := s.Import(bytes.NewReader(buf.Bytes()), tc.name, ImportOptions{Arch: tc.arch})
		if err != nil || img.Arch != tc.want {
			t.Fatalf("Import --arch %q = %+v, %v; want arch %s", tc.arch, img, err, tc.want)
		}
		if got, err := s.Get(tc.name); err != nil || got.Arch != tc.want {
			t.Errorf("Get(%s) = %+v, %v; want arch %s", tc.name, got, err, tc.want)
		}
	}
	_, err := s.Import(bytes.NewReader(buf.Bytes()), "bad", ImportOptions{Arch: "aarch64"})
	if err == nil || !strings.Contains(err.Error(), `invalid architecture "aarch64"`) {
		t.Errorf("Import --arch aarch64 error = %v", err)
	}
	if _, err := s.Get("bad"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after a refused --arch = %v, want ErrNotFound", err)
	}
	checkNoWork(t, dataRoot)
}
