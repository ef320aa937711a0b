package doctor

// Windows' WSL: many learners have no Linux machine, only Windows, and
// its Windows Subsystem for Linux. WSL 2 boots a real Linux kernel
// (Microsoft's build of it) in a small Hyper-V VM, so namespaces,
// cgroups, overlayfs and seccomp are there and kobako runs; WSL 1 has no
// Linux kernel at all, only a translation of Linux's system calls, and
// no container can start. Shell twin:
//
//	cat /proc/sys/kernel/osrelease   # 6.6.87.2-microsoft-standard-WSL2
//	cat /proc/version                # … (Microsoft@Microsoft.com) … on WSL 1
//	cat /proc/1/comm                 # systemd, or WSL's own init
//
// See docs/lab.md for the WSL route from the Store to kobako tutorial.

import "strings"

// checkWSL reads the kernel's release and version strings. Microsoft's
// WSL 2 kernels are "<version>-microsoft-standard-WSL2" (the 4.19 ones
// lacked the "-WSL2"); WSL 1 imitates a kernel called
// "4.4.0-<build>-Microsoft", built by Microsoft@Microsoft.com. A kernel
// a learner built from Microsoft's tree keeps "WSL2" in its name.
func checkWSL(h Host) Finding {
	release, ok, _ := readTrimmed(h.procPath("sys/kernel/osrelease"))
	if !ok {
		release = h.Release
	}
	version, _, _ := readTrimmed(h.procPath("version"))
	args := map[string]string{"release": release}
	switch wslKind(release, version) {
	case 1:
		// The kernel check fails too (4.4); this says why a newer
		// kernel is one command away.
		return fail("wsl", GroupHost, "wsl1", containerChapters, args)
	case 2:
		// With [boot] systemd=true in /etc/wsl.conf, systemd is PID 1;
		// without it WSL's own init is (and names itself "init").
		if comm, _, _ := readTrimmed(h.procPath("1/comm")); comm == "systemd" {
			return found("wsl", GroupHost, Note, "systemd", args)
		}
		return found("wsl", GroupHost, Note, "init", args)
	}
	return found("wsl", GroupHost, OK, "none", args)
}

// wslKind says which WSL the kernel strings belong to: 2, 1, or 0 for
// none. Parsed purely, so a test gives it the strings of each.
func wslKind(release, version string) int {
	r, v := strings.ToLower(release), strings.ToLower(version)
	switch {
	case strings.Contains(r, "wsl2") || strings.Contains(r, "microsoft-standard"):
		return 2
	case strings.Contains(r, "microsoft") || strings.Contains(v, "microsoft@microsoft.com"):
		return 1
	}
	return 0
}
