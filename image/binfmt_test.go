// Tests for the binfmt_misc check: handler files as the kernel prints them,
// in a directory of the test's own that stands in for
// /proc/sys/fs/binfmt_misc, so no handler is ever registered on the host.
package image

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What qemu-user-static's handlers print (qemu's scripts/qemu-binfmt-conf.sh
// gives the magic and mask; Debian registers them with flags OCF).
const (
	qemuAarch64 = "enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: OCF\noffset 0\n" +
		"magic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n"
	qemuArm = "enabled\ninterpreter /usr/bin/qemu-arm-static\nflags: OCF\noffset 0\n" +
		"magic 7f454c4601010100000000000000000002002800\nmask ffffffffffffff00fffffffffffffffffeffffff\n"
	qemuS390x = "enabled\ninterpreter /usr/bin/qemu-s390x-static\nflags: F\noffset 0\n" +
		"magic 7f454c4602020100000000000000000000020016\nmask ffffffffffffff00fffffffffffffffffffeffff\n"
)

func TestParseBinfmtEntry(t *testing.T) {
	e, err := parseBinfmtEntry("qemu-aarch64", strings.NewReader(qemuAarch64))
	if err != nil || !e.enabled || e.interpreter != "/usr/bin/qemu-aarch64-static" || e.flags != "OCF" ||
		e.offset != 0 || len(e.magic) != 20 || len(e.mask) != 20 || e.magic[18] != 0xb7 {
		t.Errorf("parse qemu-aarch64 = %+v, %v", e, err)
	}
	// A handler by extension, as Wine's: no magic, so it matches no ELF file.
	wine := "disabled\ninterpreter /usr/bin/wine\nflags: \nextension .exe\n"
	e, err = parseBinfmtEntry("wine", strings.NewReader(wine))
	if err != nil || e.enabled || e.flags != "" || e.magic != nil || e.matchesAny(headersOf("amd64")) {
		t.Errorf("parse wine = %+v, %v", e, err)
	}
	for name, text := range map[string]string{
		"empty":       "",
		"first line":  "on\ninterpreter /x\n",
		"offset":      "enabled\noffset x\n",
		"magic":       "enabled\nmagic 7g\n",
		"mask length": "enabled\nmagic 7f45\nmask ff\n",
	} {
		if _, err := parseBinfmtEntry(name, strings.NewReader(text)); err == nil {
			t.Errorf("parse %s: no error for %q", name, text)
		}
	}
}

// The kernel's rule: masked bytes at offset equal the magic.
func TestBinfmtMatches(t *testing.T) {
	aarch64, _ := parseBinfmtEntry("qemu-aarch64", strings.NewReader(qemuAarch64))
	s390x, _ := parseBinfmtEntry("qemu-s390x", strings.NewReader(qemuS390x))
	for _, tc := range []struct {
		entry binfmtEntry
		arch  string
		want  bool
	}{
		{aarch64, "arm64", true},
		{aarch64, "amd64", false},
		{aarch64, "arm", false},
		{s390x, "s390x", true},
		{s390x, "ppc64", false},
	} {
		if got := tc.entry.matchesAny(headersOf(tc.arch)); got != tc.want {
			t.Errorf("%s matches %s = %v, want %v", tc.entry.name, tc.arch, got, tc.want)
		}
	}
	// Byte 7 (EI_OSABI) is masked out, and e_type's low bit (EXEC or DYN);
	// anything else must be equal.
	header := headersOf("arm64")[0]
	header[7] = 3 // ELFOSABI_LINUX
	if !aarch64.matches(header) {
		t.Error("qemu-aarch64 does not match an aarch64 header with EI_OSABI 3")
	}
	header[elf.EI_CLASS] = byte(elf.ELFCLASS32)
	if aarch64.matches(header) {
		t.Error("qemu-aarch64 matches a 32-bit header")
	}
	if (binfmtEntry{magic: []byte{0x7f}, offset: headerSize}).matches(header) {
		t.Error("a magic past the header matches")
	}
}

// binfmtDir makes a stand-in for /proc/sys/fs/binfmt_misc: status says
// status ("" for none: binfmt_misc is not mounted), and one file per handler.
func binfmtDir(t *testing.T, status string, handlers map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if status == "" {
		return dir
	}
	handlers["status"], handlers["register"] = status, ""
	for name, text := range handlers {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckRunnable(t *testing.T) {
	noF := strings.Replace(qemuAarch64, "flags: OCF", "flags: OC", 1)
	disabled := strings.Replace(qemuAarch64, "enabled", "disabled", 1)
	for _, tc := range []struct {
		what      string
		arch      string // the image's
		status    string
		handlers  map[string]string
		want      string // the interpreter the note names, if any
		wantError string // or the error's reason, in parentheses
	}{
		{"amd64 on amd64", "amd64", "", nil, "", ""},
		{"386 on amd64: IA32 emulation", "386", "", nil, "", ""},
		{"unknown: the kernel decides", UnknownArch, "", nil, "", ""},
		{"binfmt_misc not mounted", "arm64", "", nil, "", "(binfmt_misc is not mounted at DIR)"},
		{"binfmt_misc disabled", "arm64", "disabled\n", map[string]string{"qemu-aarch64": qemuAarch64}, "",
			"(binfmt_misc is disabled: DIR/status says so)"},
		{"no handler", "arm64", "enabled\n", map[string]string{}, "", "(no binfmt_misc handler for arm64)"},
		{"a handler for arm only", "arm64", "enabled\n", map[string]string{"qemu-arm": qemuArm}, "",
			"(no binfmt_misc handler for arm64)"},
		{"qemu-aarch64, F", "arm64", "enabled\n", map[string]string{"qemu-arm": qemuArm, "qemu-aarch64": qemuAarch64},
			"/usr/bin/qemu-aarch64-static", ""},
		{"qemu-arm, F", "arm", "enabled\n", map[string]string{"qemu-arm": qemuArm, "qemu-aarch64": qemuAarch64},
			"/usr/bin/qemu-arm-static", ""},
		{"qemu-aarch64 without F", "arm64", "enabled\n", map[string]string{"qemu-aarch64": noF}, "",
			"(binfmt_misc handler qemu-aarch64 has no F flag, so its interpreter /usr/bin/qemu-aarch64-static would be looked for inside the container)"},
		{"two handlers, one without F", "arm64", "enabled\n", map[string]string{"a-static": qemuAarch64, "b-dynamic": noF}, "",
			"(binfmt_misc handler b-dynamic has no F flag"},
		{"qemu-aarch64 disabled", "arm64", "enabled\n", map[string]string{"qemu-aarch64": disabled}, "",
			"(binfmt_misc handler qemu-aarch64 for arm64 is disabled)"},
		{"a disabled handler and a working one", "arm64", "enabled\n", map[string]string{"a": disabled, "b": qemuAarch64},
			"/usr/bin/qemu-aarch64-static", ""},
		{"an architecture kobako has no header for", "sparc64", "enabled\n", map[string]string{"qemu-aarch64": qemuAarch64}, "",
			"(no binfmt_misc handler for sparc64)"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			m := Machine{Arch: "amd64", BinfmtDir: binfmtDir(t, tc.status, tc.handlers)}
			var note bytes.Buffer
			err := m.CheckRunnable(&Image{Name: "foo", Arch: tc.arch}, &note)
			if tc.wantError == "" {
				var want string
				if tc.want != "" {
					want = "kobako: image foo is " + tc.arch + "; running through binfmt_misc interpreter " + tc.want + "\n"
				}
				if note.String() != want || err != nil {
					t.Errorf("CheckRunnable: %v, note %q; want note %q", err, note.String(), want)
				}
				return
			}
			want := `image "foo" is for linux/` + tc.arch + " but this host is linux/amd64 " +
				strings.ReplaceAll(tc.wantError, "DIR", m.BinfmtDir)
			if err == nil || !strings.HasPrefix(err.Error(), want) ||
				!strings.HasSuffix(err.Error(), "): import an image for linux/amd64, or install qemu-user-static") || note.Len() > 0 {
				t.Errorf("CheckRunnable: %v, note %q; want the error %q…", err, note.String(), want)
			}
		})
	}
}
