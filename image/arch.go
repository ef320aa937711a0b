// Step: which machine an image's programs are for.
//
// Shell twin: file $ROOTFS/bin/sh — "ELF 64-bit LSB executable, ARM
// aarch64" — see elf(5). A docker export tarball is only a file system: the
// architecture that docker keeps in the image's config is not in it, so
// kobako reads it where the kernel does, in the ELF header of the image's
// own programs. kobako import --arch says it instead.
package image

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// UnknownArch is the Arch of an image with no ELF program where kobako
// looks (a tree of scripts, or an image.json from before kobako recorded
// it). Such an image runs, and the kernel decides.
const UnknownArch = "unknown"

// An arch is one machine kobako knows by name: Go's GOARCH, which OCI image
// indexes use too ("platform": {"os": "linux", "architecture": "arm64"}),
// and the three fields of the ELF header that mark its programs.
type arch struct {
	name    string      // GOARCH: amd64, arm64 …
	uname   string      // uname -m calls it: x86_64, aarch64 … (for hints)
	class   elf.Class   // e_ident[EI_CLASS]: 32- or 64-bit
	data    elf.Data    // e_ident[EI_DATA]: little- or big-endian
	machine elf.Machine // e_machine
}

var arches = []arch{
	{"amd64", "x86_64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_X86_64},
	{"386", "i686", elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_386},
	{"arm64", "aarch64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_AARCH64},
	{"arm", "armv7l", elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_ARM},
	{"ppc64le", "ppc64le", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_PPC64},
	{"ppc64", "ppc64", elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_PPC64},
	{"s390x", "s390x", elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_S390},
	{"riscv64", "riscv64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_RISCV},
	{"loong64", "loongarch64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_LOONGARCH},
	{"mips64le", "mips64", elf.ELFCLASS64, elf.ELFDATA2LSB, elf.EM_MIPS},
	{"mips64", "mips64", elf.ELFCLASS64, elf.ELFDATA2MSB, elf.EM_MIPS},
	{"mipsle", "mips", elf.ELFCLASS32, elf.ELFDATA2LSB, elf.EM_MIPS},
	{"mips", "mips", elf.ELFCLASS32, elf.ELFDATA2MSB, elf.EM_MIPS},
}

// ParseArch checks an --arch value and returns its GOARCH name. It takes
// a GOARCH name (arm64) or, as docker's --platform, linux/ARCH[/VARIANT]
// (linux/arm/v7): the variant is dropped, since the ELF header does not
// tell v6 from v7 either.
func ParseArch(value string) (string, error) {
	name := value
	if osName, rest, ok := strings.Cut(value, "/"); ok {
		if osName != "linux" {
			return "", fmt.Errorf("invalid platform %q: kobako runs linux images only (try linux/%s)", value, rest)
		}
		name, _, _ = strings.Cut(rest, "/")
	}
	var names []string
	for _, a := range arches {
		if a.name == name {
			return name, nil
		}
		names = append(names, a.name)
	}
	for _, a := range arches {
		if a.uname == name {
			return "", fmt.Errorf("invalid architecture %q: say %s, Go's and OCI's name for what uname -m calls %s", value, a.name, name)
		}
	}
	return "", fmt.Errorf("invalid architecture %q: use one of %s, or linux/ARCH", value, strings.Join(names, ", "))
}

// programs are where detectArch looks, in order: the shells that are an
// image's default command, then programs that nearly every image has.
var programs = []string{"/bin/sh", "/bin/bash", "/bin/busybox", "/usr/bin/env"}

// headerSize is as much of the ELF header as names a machine: e_ident (16
// bytes), e_type (2) and e_machine (2). It is also all that qemu's
// binfmt_misc handlers look at.
const headerSize = elf.EI_NIDENT + 4

// detectArch is file(1) on the image's programs: the first of them that is
// an ELF file says the architecture. The tree is hostile: root is an
// O_PATH handle on it, and every path is resolved inside it, so that
// "bin/sh -> /../../usr/bin/sh" finds the image's /usr/bin/sh, or nothing,
// and never the host's.
func detectArch(root *os.File) (string, error) {
	for _, path := range programs {
		header, err := readHeader(root, path)
		if err != nil {
			return "", err
		}
		if name, isELF := archOf(header); isELF {
			return name, nil
		}
	}
	return UnknownArch, nil
}

// readHeader is head -c 20 PATH inside root. A path that is missing, is a
// symlink loop, is not a regular file (a FIFO would block the read for
// ever) or is too short gives no header and no error: it is just not a
// program that tells anything.
func readHeader(root *os.File, path string) ([]byte, error) {
	// pathrs-lite uses openat2(RESOLVE_IN_ROOT) where the kernel has it: ".."
	// and absolute symlinks stop at root, as if root were /.
	handle, err := pathrs.OpenatInRoot(root, path)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look for %s in the image: %w", path, err)
	}
	defer handle.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(handle.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat %s in the image: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, nil
	}
	// The handle is O_PATH, which cannot be read: open the same inode again
	// through /proc/self/fd, for reading.
	f, err := pathrs.Reopen(handle, unix.O_RDONLY)
	if err != nil {
		return nil, fmt.Errorf("open %s in the image: %w", path, err)
	}
	defer f.Close()
	header := make([]byte, headerSize)
	_, err = io.ReadFull(f, header)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s in the image: %w", path, err)
	}
	return header, nil
}

// archOf reads the first headerSize bytes of a file. isELF is false for
// anything that is not ELF (a shell script); name is UnknownArch for an ELF
// file of a machine kobako has no name for.
//
// debug/elf.NewFile would do, but it reads the whole header and the section
// table, and its documentation warns that it is not hardened against
// hostile input: four fields of fixed place are all that is needed.
func archOf(header []byte) (name string, isELF bool) {
	if len(header) < headerSize || string(header[:len(elf.ELFMAG)]) != elf.ELFMAG {
		return "", false
	}
	class, data := elf.Class(header[elf.EI_CLASS]), elf.Data(header[elf.EI_DATA])
	// e_machine follows e_type, both in the file's own byte order.
	var order binary.ByteOrder = binary.LittleEndian
	if data == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	machine := elf.Machine(order.Uint16(header[elf.EI_NIDENT+2:]))
	for _, a := range arches {
		if a.class == class && a.data == data && a.machine == machine {
			return a.name, true
		}
	}
	return UnknownArch, true
}

// headersOf is the reverse of archOf: the first headerSize bytes of a
// program for arch name, one for each kind of program a shell may start —
// ET_EXEC (a static binary) and ET_DYN (a position-independent one). None
// for a name kobako does not know.
func headersOf(name string) [][]byte {
	for _, a := range arches {
		if a.name != name {
			continue
		}
		var order binary.ByteOrder = binary.LittleEndian
		if a.data == elf.ELFDATA2MSB {
			order = binary.BigEndian
		}
		var headers [][]byte
		for _, typ := range []elf.Type{elf.ET_EXEC, elf.ET_DYN} {
			h := make([]byte, headerSize)
			copy(h, elf.ELFMAG)
			h[elf.EI_CLASS], h[elf.EI_DATA], h[elf.EI_VERSION] = byte(a.class), byte(a.data), byte(elf.EV_CURRENT)
			order.PutUint16(h[elf.EI_NIDENT:], uint16(typ))
			order.PutUint16(h[elf.EI_NIDENT+2:], uint16(a.machine))
			headers = append(headers, h)
		}
		return headers
	}
	return nil
}
