// Step: run an image built for another machine, or say why not.
//
// Shell twin: uname -m; file $ROOTFS/bin/sh; cat /proc/sys/fs/binfmt_misc/qemu-aarch64
// — see Documentation/admin-guide/binfmt-misc.rst and fs/binfmt_misc.c.
//
// The kernel runs its own machine's programs. For any other, execve(2)
// asks binfmt_misc, which matches the file's first bytes against each
// registered handler's magic and, on a match, starts the handler's
// interpreter instead, with the program as its argument: qemu-user-static
// registers qemu-aarch64-static for aarch64 ELF files, and an arm64
// image's /bin/sh then runs, slowly, on an amd64 host. Without a handler
// execve fails with ENOEXEC, deep inside the container; kobako checks
// before it makes anything, and says what to do. (Since Linux 6.7 a user
// namespace may mount a binfmt_misc of its own; kobako's containers stay
// in the host's user namespace, so the host's handlers are the ones.)
package image

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Machine is a host as an image's programs see it.
type Machine struct {
	Arch      string // GOARCH of the host's kernel
	BinfmtDir string // where binfmt_misc is mounted
}

// ThisMachine is the host kobako runs on. kobako is built for its host (make
// builds it with the host's Go), so its own GOARCH is the kernel's.
func ThisMachine() Machine {
	return Machine{Arch: runtime.GOARCH, BinfmtDir: "/proc/sys/fs/binfmt_misc"}
}

// CheckRunnable is what run calls before it creates a container: nil for
// an image m runs, with a note on w when that is through a binfmt_misc
// interpreter, or an error of one line that says what to do.
func (m Machine) CheckRunnable(img *Image, w io.Writer) error {
	interpreter, err := m.interpreterFor(img)
	if err != nil {
		return err
	}
	if interpreter != "" {
		fmt.Fprintf(w, "kobako: image %s is %s; running through binfmt_misc interpreter %s\n", img.Name, img.Arch, interpreter)
	}
	return nil
}

// interpreterFor says how m runs img's programs: natively (""), through a
// binfmt_misc handler (its interpreter), or not at all (an error).
func (m Machine) interpreterFor(img *Image) (string, error) {
	if img.Arch == UnknownArch || m.runsNatively(img.Arch) {
		return "", nil
	}
	handler, why, err := m.handlerFor(img.Arch)
	if err != nil {
		return "", err
	}
	if handler == nil {
		return "", fmt.Errorf("image %q is for linux/%s but this host is linux/%s (%s): import an image for linux/%s, or install qemu-user-static",
			img.Name, img.Arch, m.Arch, why, m.Arch)
	}
	return handler.interpreter, nil
}

// runsNatively: the host's own machine, and on x86-64 also i386, which the
// kernel runs itself (IA32 emulation, in every distribution's kernel). An
// arm64 host is not so counted for arm: many arm64 CPUs have no 32-bit
// mode, and those hosts run arm images through qemu like any other.
func (m Machine) runsNatively(arch string) bool {
	return arch == m.Arch || m.Arch == "amd64" && arch == "386"
}

// handlerFor finds the binfmt_misc handler that execve would use for a
// program of arch. When there is none that works in a container, it
// returns nil and why, for the error.
//
// A handler works in a container only with the F (fix binary) flag: the
// kernel then opens the interpreter once, when it is registered, and uses
// that open file for every execve. Without F it opens the interpreter's
// path at each execve, in the caller's root, which after pivot_root is the
// image, where /usr/bin/qemu-aarch64-static is not. (The interpreter must
// also be static, as qemu-user-static's are: a dynamic one would look for
// its libraries in the image.)
func (m Machine) handlerFor(arch string) (handler *binfmtEntry, why string, err error) {
	// cat BINFMT_DIR/status — missing when binfmt_misc is not mounted
	status, err := os.ReadFile(filepath.Join(m.BinfmtDir, "status"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "binfmt_misc is not mounted at " + m.BinfmtDir, nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read binfmt_misc status: %w", err)
	}
	if strings.TrimSpace(string(status)) != "enabled" {
		return nil, "binfmt_misc is disabled: " + filepath.Join(m.BinfmtDir, "status") + " says so", nil
	}
	// ls BINFMT_DIR — one file per handler, besides status and register
	files, err := os.ReadDir(m.BinfmtDir)
	if err != nil {
		return nil, "", fmt.Errorf("list binfmt_misc handlers: %w", err)
	}
	headers := headersOf(arch)
	why = "no binfmt_misc handler for " + arch
	for _, file := range files {
		if file.Name() == "status" || file.Name() == "register" {
			continue
		}
		entry, err := readBinfmtEntry(filepath.Join(m.BinfmtDir, file.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // unregistered while we looked
		}
		if err != nil {
			return nil, "", err
		}
		if !entry.matchesAny(headers) {
			continue
		}
		// When two enabled handlers match, the kernel takes the one
		// registered last, which this directory does not tell: every
		// enabled one must work in a container.
		switch {
		case !entry.enabled:
			why = "binfmt_misc handler " + entry.name + " for " + arch + " is disabled"
		case !strings.Contains(entry.flags, "F"):
			return nil, "binfmt_misc handler " + entry.name + " has no F flag, so its interpreter " + entry.interpreter +
				" would be looked for inside the container", nil
		default:
			handler = &entry
		}
	}
	if handler != nil {
		return handler, "", nil
	}
	return nil, why, nil
}

// binfmtEntry is one handler, as the kernel prints it in its file under
// binfmt_misc (fs/binfmt_misc.c, entry_status):
//
//	enabled
//	interpreter /usr/bin/qemu-aarch64-static
//	flags: OCF
//	offset 0
//	magic 7f454c460201010000000000000000000200b700
//	mask ffffffffffffff00fffffffffffffffffeffffff
//
// A handler by file name extension prints "extension .exe" in place of the
// last three lines; its magic is nil.
type binfmtEntry struct {
	name        string
	enabled     bool
	interpreter string
	flags       string // P, O, C, F
	offset      int
	magic, mask []byte // mask is nil when every bit counts
}

// readBinfmtEntry is cat BINFMT_DIR/NAME, parsed.
func readBinfmtEntry(path string) (binfmtEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return binfmtEntry{}, fmt.Errorf("read binfmt_misc handler: %w", err)
	}
	defer f.Close()
	entry, err := parseBinfmtEntry(filepath.Base(path), f)
	if err != nil {
		return binfmtEntry{}, fmt.Errorf("parse binfmt_misc handler %s: %w", path, err)
	}
	return entry, nil
}

func parseBinfmtEntry(name string, r io.Reader) (binfmtEntry, error) {
	entry := binfmtEntry{name: name}
	lines := bufio.NewScanner(r)
	if !lines.Scan() {
		return entry, errors.New("empty")
	}
	switch lines.Text() {
	case "enabled":
		entry.enabled = true
	case "disabled":
	default:
		return entry, fmt.Errorf("first line %q: want enabled or disabled", lines.Text())
	}
	for lines.Scan() {
		key, value, _ := strings.Cut(lines.Text(), " ")
		var err error
		switch key {
		case "interpreter":
			entry.interpreter = value
		case "flags:":
			entry.flags = value
		case "offset":
			entry.offset, err = strconv.Atoi(value)
		case "magic":
			entry.magic, err = hex.DecodeString(value)
		case "mask":
			entry.mask, err = hex.DecodeString(value)
		}
		if err != nil {
			return entry, fmt.Errorf("%s %q: %w", key, value, err)
		}
	}
	if entry.mask != nil && len(entry.mask) != len(entry.magic) {
		return entry, fmt.Errorf("mask of %d bytes for a magic of %d", len(entry.mask), len(entry.magic))
	}
	return entry, lines.Err()
}

// matchesAny says whether the handler takes a file that starts with one
// of headers.
func (e binfmtEntry) matchesAny(headers [][]byte) bool {
	for _, h := range headers {
		if e.matches(h) {
			return true
		}
	}
	return false
}

// matches is the kernel's test in check_file: the file's bytes from offset
// on equal magic in every bit that mask keeps. A magic that reaches past
// header cannot be judged from it, and does not match.
func (e binfmtEntry) matches(header []byte) bool {
	if e.magic == nil || e.offset < 0 || e.offset+len(e.magic) > len(header) {
		return false
	}
	for i, want := range e.magic {
		mask := byte(0xff)
		if e.mask != nil {
			mask = e.mask[i]
		}
		if (header[e.offset+i]^want)&mask != 0 {
			return false
		}
	}
	return true
}
