package tests

// An image's architecture: read at import from the ELF header of its
// /bin/sh, shown by kobako images, given with import --arch, and checked by
// run, which runs an image for another machine only through a binfmt_misc
// handler (qemu-user-static) and otherwise refuses it before making
// anything. The tests never register a handler: that is the host's, for
// every process on it. They look at /proc/sys/fs/binfmt_misc to know which
// answer to expect.

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// foreignArch is a machine that is not this host's, as Go names it and as
// an ELF header marks it: aarch64, or x86_64 on an arm64 host.
func foreignArch() (name string, machine elf.Machine) {
	if runtime.GOARCH == "arm64" {
		return "amd64", elf.EM_X86_64
	}
	return "arm64", elf.EM_AARCH64
}

// foreignTar is the busybox tarball of import_test.go with its /bin/sh
// replaced by the 64-byte ELF header of a foreign program: enough for
// file(1), and for kobako. Its other commands are the host's busybox, so
// that a container of it can run /bin/busybox true.
func foreignTar(t *testing.T) string {
	t.Helper()
	_, machine := foreignArch()
	header := elf.Header64{Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT), Ehsize: 64}
	copy(header.Ident[:], elf.ELFMAG)
	header.Ident[elf.EI_CLASS], header.Ident[elf.EI_DATA], header.Ident[elf.EI_VERSION] =
		byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	var sh bytes.Buffer
	if err := binary.Write(&sh, binary.LittleEndian, &header); err != nil {
		t.Fatal(err)
	}
	busybox, _ := busyboxTar(t)
	var entries []tarEntry
	for _, entry := range busybox {
		if entry.hdr.Name != "bin/sh" {
			entries = append(entries, entry)
		}
	}
	entries = append(entries, tarFile("bin/sh", 0o755, sh.Bytes()))
	tarball := filepath.Join(t.TempDir(), "foreign.tar")
	writeTar(t, tarball, false, entries)
	return tarball
}

// imageArch is the ARCH column of kobako images for name.
func (e *env) imageArch(name string) string {
	e.t.Helper()
	out := e.mustRun("images")
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == name {
			return f[1]
		}
	}
	e.t.Fatalf("images does not list %s:\n%s", name, out)
	return ""
}

// binfmtInterpreter is the interpreter of this host's enabled binfmt_misc
// handler with the F flag for 64-bit little-endian ELF files of machine,
// or "" when it has none. It reads the handler files as the kernel writes
// them (Documentation/admin-guide/binfmt-misc.rst): "enabled",
// "interpreter PATH", "flags: OCF", "magic HEX" with e_machine in bytes
// 18 and 19.
func binfmtInterpreter(t *testing.T, machine elf.Machine) string {
	t.Helper()
	dir := "/proc/sys/fs/binfmt_misc"
	if status, err := os.ReadFile(filepath.Join(dir, "status")); err != nil || strings.TrimSpace(string(status)) != "enabled" {
		return "" // not mounted, or off
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	wantMagic := fmt.Sprintf("7f454c460201%*s%02x%02x", 24, "", byte(machine), byte(machine>>8))
	for _, file := range files {
		text, err := os.ReadFile(filepath.Join(dir, file.Name()))
		if err != nil || !strings.HasPrefix(string(text), "enabled\n") {
			continue // status, register, a disabled handler, or one just removed
		}
		var interpreter, flags, magic string
		for _, line := range strings.Split(string(text), "\n") {
			key, value, _ := strings.Cut(line, " ")
			switch key {
			case "interpreter":
				interpreter = value
			case "flags:":
				flags = value
			case "magic":
				magic = value
			}
		}
		if len(magic) >= 40 && magic[:12] == wantMagic[:12] && magic[36:40] == wantMagic[36:40] && strings.Contains(flags, "F") {
			return interpreter
		}
	}
	return ""
}

// A foreign /bin/sh makes a foreign image. run uses the host's binfmt_misc
// handler for it, and says so; without one it fails with 125 and one line,
// and leaves no container behind.
func TestArchForeignImage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	foreign, machine := foreignArch()
	e.mustRun("import", "--name", "foreign", foreignTar(t))
	if got := e.imageArch("foreign"); got != foreign {
		t.Errorf("images: ARCH of foreign = %q, want %s", got, foreign)
	}

	_, stderr, code := e.run("run", "--rm", "foreign", "/bin/busybox", "true")
	if interpreter := binfmtInterpreter(t, machine); interpreter != "" {
		t.Logf("this host runs %s programs through %s", foreign, interpreter)
		want := "kobako: image foreign is " + foreign + "; running through binfmt_misc interpreter " + interpreter + "\n"
		if code != 0 || stderr != want {
			t.Errorf("run of a %s image with a binfmt_misc handler: exit %d, stderr %q; want 0 and %q", foreign, code, stderr, want)
		}
	} else {
		t.Logf("this host has no binfmt_misc handler for %s: run must refuse", foreign)
		if code != 125 {
			t.Errorf("run of a %s image without a binfmt_misc handler: exit %d, want 125", foreign, code)
		}
		checkOneLineError(t, stderr, fmt.Sprintf(`image "foreign" is for linux/%s but this host is linux/%s (`, foreign, runtime.GOARCH),
			"): import an image for linux/"+runtime.GOARCH+", or install qemu-user-static")
		if out := strings.TrimSpace(e.mustRun("ps", "-a", "-q")); out != "" {
			t.Errorf("a refused run left containers: ps -a -q = %q", out)
		}
		e.expectNoContainers("a refused run")
	}
}

// The built-in busybox is the host's own busybox, so the host's machine.
func TestArchBusybox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, stderr, code := e.run("run", "--rm", "busybox", "true")
	if code != 0 || stderr != "" {
		t.Errorf("run busybox true: exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	if got := e.imageArch("busybox"); got != runtime.GOARCH {
		t.Errorf("images: ARCH of busybox = %q, want %s", got, runtime.GOARCH)
	}
}

// import --arch (or --platform) says the architecture in place of the ELF
// header, and is checked before anything is read.
func TestArchImportFlag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tarball := foreignTar(t)
	foreign, _ := foreignArch()

	// Said to be the host's, the foreign image runs with no word: its
	// /bin/busybox really is the host's.
	e.mustRun("import", "--name", "native", "--arch", runtime.GOARCH, tarball)
	if got := e.imageArch("native"); got != runtime.GOARCH {
		t.Errorf("images: ARCH of native = %q, want %s", got, runtime.GOARCH)
	}
	if _, stderr, code := e.run("run", "--rm", "native", "/bin/busybox", "true"); code != 0 || stderr != "" {
		t.Errorf("run of an image imported with --arch %s: exit %d, stderr %q; want 0 and nothing", runtime.GOARCH, code, stderr)
	}
	e.mustRun("import", "--name", "platform", "--platform", "linux/"+foreign, tarball)
	if got := e.imageArch("platform"); got != foreign {
		t.Errorf("images: ARCH of platform = %q, want %s", got, foreign)
	}

	_, stderr, code := e.run("import", "--name", "bad", "--arch", "aarch64", tarball)
	if code == 0 {
		t.Errorf("import --arch aarch64 succeeded")
	}
	checkOneLineError(t, stderr, `--arch: invalid architecture "aarch64": say arm64`)
	if e.hasImage("bad") {
		t.Errorf("images lists bad after a refused --arch")
	}
}
