package doctor

// The host: who runs kobako, which kernel, and the busybox that the
// built-in image is made of. Shell twin: id -u; uname -r; file /bin/busybox

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/kobako/kobako/image"
)

// minKernel is the oldest kernel kobako runs containers on: 5.11, for
// close_range(CLOSE_RANGE_CLOEXEC), with which the container's init makes
// sure nothing of kobako leaks into the container (runtime/initproc/execve.go), and
// pidfd_open (5.3), with which start waits for it. The article's Ubuntu
// 18.04 (4.15) is older: its lab VM needs the HWE kernel, or Ubuntu 22.04.
var minKernel = [2]int{5, 11}

// checkRoot: id -u. Namespaces, cgroups, mounts and bridges are root's;
// the tutorial runs as root throughout, as the article does with sudo.
func checkRoot(h Host) Finding {
	if h.Euid == 0 {
		return found("root", GroupHost, OK, "ok", nil)
	}
	args := map[string]string{"uid": strconv.Itoa(h.Euid)}
	variant := "nosudo"
	if _, ok := h.has("sudo"); ok {
		variant = "sudo"
	}
	// every chapter but the introduction starts containers or reads
	// root-only files (the setup chapter runs this doctor as root)
	return fail("root", GroupHost, variant, Chapters[1:], args)
}

// checkKernel: uname -r, against minKernel.
func checkKernel(h Host) Finding {
	min := strconv.Itoa(minKernel[0]) + "." + strconv.Itoa(minKernel[1])
	args := map[string]string{"release": h.Release, "min": min}
	major, minor, ok := parseRelease(h.Release)
	if !ok {
		return found("kernel", GroupHost, Warn, "unknown", args)
	}
	if major < minKernel[0] || major == minKernel[0] && minor < minKernel[1] {
		return fail("kernel", GroupHost, "old", containerChapters, args)
	}
	return found("kernel", GroupHost, OK, "ok", args)
}

// parseRelease reads the major and minor numbers of a kernel release:
// "6.8.0-31-generic" → 6, 8.
func parseRelease(release string) (major, minor int, ok bool) {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	// the minor number may run into a suffix: "5.15-rc1"
	digits := strings.IndexFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
	if digits >= 0 {
		parts[1] = parts[1][:digits]
	}
	minor, err2 := strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// busyboxPaths are where image/busybox.go looks for the host's busybox,
// in its order.
var busyboxPaths = []string{"/bin/busybox", "/usr/bin/busybox"}

// checkBusybox: file /bin/busybox. The built-in busybox image (kobako run
// busybox sh, offline) is the host's busybox copied into a tree with no
// libc: it must be static — no PT_INTERP header naming a loader — as
// Debian's and Ubuntu's busybox-static is. The tutorial's containers are
// made from it.
func checkBusybox(h Host) Finding {
	var dynamic string
	for _, p := range busyboxPaths {
		static, err := image.IsStatic(h.rootPath(p)) // what kobako itself asks of it
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			// not an ELF file (a script?), or unreadable: as good as dynamic
			if dynamic == "" {
				dynamic = p
			}
			continue
		}
		if static {
			return found("busybox", GroupHost, OK, "ok", map[string]string{"path": p})
		}
		if dynamic == "" {
			dynamic = p
		}
	}
	if dynamic != "" {
		return fail("busybox", GroupHost, "dynamic", containerChapters, map[string]string{"path": dynamic})
	}
	return fail("busybox", GroupHost, "missing", containerChapters, nil)
}
