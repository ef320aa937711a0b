package doctor

// Kernel features kobako's steps use, besides cgroups (cgroup.go).
// Shell twin:
//
//	grep overlay /proc/filesystems; modinfo overlay
//	sysctl user.max_user_namespaces kernel.unprivileged_userns_clone
//	sysctl kernel.apparmor_restrict_unprivileged_userns
//	grep Seccomp /proc/self/status; cat /proc/sys/kernel/seccomp/actions_avail
//	ls /proc/sys/fs/binfmt_misc

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// checkOverlay: grep overlay /proc/filesystems. Every kobako container's
// root is an overlay (rootfs/overlay.go): the image's layers below, the
// container's own above — so without overlayfs no chapter's container
// starts, the Copy-on-Write chapter least of all. A modular overlayfs is
// listed only once loaded, which the first mount does by itself: then
// look for the module file.
func checkOverlay(h Host) Finding {
	if listsFilesystem(h.procPath("filesystems"), "overlay") {
		return found("overlay", GroupKernel, OK, "ok", nil)
	}
	if hasModule(h, "overlay") {
		return found("overlay", GroupKernel, OK, "module", map[string]string{"release": h.Release})
	}
	return fail("overlay", GroupKernel, "missing", containerChapters, map[string]string{"release": h.Release})
}

// listsFilesystem says whether /proc/filesystems names fstype:
//
//	nodev	cgroup2
//	nodev	overlay
//	ext4
func listsFilesystem(path, fstype string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	scan := bufio.NewScanner(f)
	for scan.Scan() {
		fields := strings.Fields(scan.Text())
		if len(fields) > 0 && fields[len(fields)-1] == fstype {
			return true
		}
	}
	return false
}

// hasModule says whether the running kernel has module name, built in or
// as a file modprobe would load: grep /NAME.ko /lib/modules/$(uname -r)/modules.{builtin,dep}
func hasModule(h Host, name string) bool {
	dir := h.rootPath(filepath.Join("/lib/modules", h.Release))
	for _, list := range []string{"modules.builtin", "modules.dep"} {
		data, err := os.ReadFile(filepath.Join(dir, list))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			path, _, _ := strings.Cut(line, ":")
			base := filepath.Base(path)
			// overlay.ko, overlay.ko.zst, overlay.ko.xz …
			if base == name+".ko" || strings.HasPrefix(base, name+".ko.") {
				return true
			}
		}
	}
	return false
}

// checkUserns: sysctl user.max_user_namespaces (0: off for everyone) and
// Debian's kernel.unprivileged_userns_clone (0: root only). kobako runs
// as root and needs user namespaces only for --userns and for running as
// a plain user; no chapter needs them.
func checkUserns(h Host) Finding {
	max, ok, _ := h.sysctl("user.max_user_namespaces")
	args := map[string]string{"max": max}
	switch {
	case !ok:
		return found("userns", GroupKernel, Warn, "none", args)
	case max == "0":
		return found("userns", GroupKernel, Warn, "off", args)
	}
	if clone, ok, _ := h.sysctl("kernel.unprivileged_userns_clone"); ok && clone == "0" {
		return found("userns", GroupKernel, Note, "debian", args)
	}
	return found("userns", GroupKernel, OK, "ok", args)
}

// checkAppArmorUserns: sysctl kernel.apparmor_restrict_unprivileged_userns.
// Ubuntu 23.10 and later set it to 1: a plain user's new user namespace
// gets no capabilities unless an AppArmor profile allows it. Root is not
// restricted, so kobako under sudo is not; a plain user's kobako and the
// article's unprivileged unshare -r are.
func checkAppArmorUserns(h Host) Finding {
	v, ok, _ := h.sysctl("kernel.apparmor_restrict_unprivileged_userns")
	switch {
	case !ok:
		return found("apparmor-userns", GroupKernel, OK, "absent", nil)
	case v == "0":
		return found("apparmor-userns", GroupKernel, OK, "off", nil)
	}
	return found("apparmor-userns", GroupKernel, Warn, "on", map[string]string{"value": v})
}

// checkSeccomp: grep Seccomp /proc/self/status. The line exists when the
// kernel has seccomp (CONFIG_SECCOMP); kobako's init loads its default
// filter into every container, so without it no container starts. 2
// means this very process already runs under a filter: inside a container.
func checkSeccomp(h Host) Finding {
	mode := statusField(h.procPath("self/status"), "Seccomp")
	actions, _, _ := readTrimmed(h.procPath("sys/kernel/seccomp/actions_avail"))
	args := map[string]string{"mode": mode, "actions": actions}
	switch {
	case mode == "" && actions == "":
		return fail("seccomp", GroupKernel, "missing", containerChapters, args)
	case mode == "2":
		return found("seccomp", GroupKernel, Note, "filtered", args)
	}
	return found("seccomp", GroupKernel, OK, "ok", args)
}

// statusField is one field of a /proc/PID/status file ("Seccomp:\t0").
func statusField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	scan := bufio.NewScanner(f)
	for scan.Scan() {
		if v, ok := strings.CutPrefix(scan.Text(), name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// checkIdmap: idmapped mounts (mount_setattr(2) with MOUNT_ATTR_IDMAP,
// Linux 5.12) let kobako run --userns share an image's layers between
// user namespaces, and overlayfs takes idmapped layers since 5.19. This
// is a version check only: the file system must support idmapping too
// (ext4, xfs, btrfs; tmpfs since 6.3), which only a mount would tell.
func checkIdmap(h Host) Finding {
	args := map[string]string{"release": h.Release}
	major, minor, ok := parseRelease(h.Release)
	v := major*1000 + minor
	switch {
	case !ok || v < 5012:
		return found("idmap", GroupKernel, Warn, "none", args)
	case v < 5019:
		return found("idmap", GroupKernel, Warn, "partial", args)
	}
	return found("idmap", GroupKernel, OK, "ok", args)
}

// checkBinfmt: ls /proc/sys/fs/binfmt_misc. Each file there (besides
// status and register) is a handler that runs another machine's programs
// through an interpreter (qemu-user-static). In a container only those
// with the F flag work: their interpreter was opened at registration,
// not looked up in the image (image/binfmt.go says more).
func checkBinfmt(h Host) Finding {
	dir := h.procPath("sys/fs/binfmt_misc")
	args := map[string]string{"machine": h.Machine}
	status, ok, _ := readTrimmed(filepath.Join(dir, "status"))
	switch {
	case !ok:
		return found("binfmt", GroupKernel, Note, "unmounted", args)
	case status != "enabled":
		return found("binfmt", GroupKernel, Note, "disabled", args)
	}
	entries, _ := os.ReadDir(dir)
	var good, nofix []string
	for _, e := range entries {
		if e.Name() == "status" || e.Name() == "register" {
			continue
		}
		enabled, flags := readBinfmtHandler(filepath.Join(dir, e.Name()))
		switch {
		case !enabled:
		case strings.Contains(flags, "F"):
			good = append(good, e.Name())
		default:
			nofix = append(nofix, e.Name())
		}
	}
	sort.Strings(good)
	sort.Strings(nofix)
	args["handlers"] = strings.Join(good, " ")
	args["nofix"] = strings.Join(nofix, " ")
	switch {
	case len(nofix) > 0:
		return found("binfmt", GroupKernel, Warn, "nofix", args)
	case len(good) == 0:
		return found("binfmt", GroupKernel, Note, "none", args)
	}
	return found("binfmt", GroupKernel, OK, "ok", args)
}

// readBinfmtHandler reads a handler's first line (enabled/disabled) and
// its "flags: OCF" line.
func readBinfmtHandler(path string) (enabled bool, flags string) {
	f, err := os.Open(path)
	if err != nil {
		return false, ""
	}
	defer f.Close()
	scan := bufio.NewScanner(f)
	for first := true; scan.Scan(); first = false {
		line := scan.Text()
		if first {
			enabled = line == "enabled"
		}
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			flags = strings.TrimSpace(v)
		}
	}
	return enabled, flags
}
