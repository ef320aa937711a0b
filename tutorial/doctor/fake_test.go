package doctor

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A healthy host as the fake tree has it: Ubuntu 20.04-like cgroup v1
// hybrid, overlay built in, user namespaces on, seccomp, nftables.
const (
	hybridMountinfo = `25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
33 25 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
34 33 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
35 33 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
38 33 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct
39 33 0:34 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,memory
40 33 0:35 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,pids
`
	v1OnlyMountinfo = `33 25 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
38 33 0:33 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
39 33 0:34 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
`
	v2Mountinfo = `25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
33 25 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`
	procCgroups = "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t1\t1\ncpuacct\t1\t1\t1\nmemory\t4\t38\t1\npids\t8\t1\t1\n"
	filesystems = "nodev\tsysfs\nnodev\tcgroup\nnodev\tcgroup2\nnodev\toverlay\n\text4\n"
)

// fakeHost makes a healthy host's files under a t.TempDir() and returns
// a Host reading them, with root's uid, a 6.8 kernel, a static busybox,
// nftables that answers, and a $PATH with sudo and nothing else.
func fakeHost(t *testing.T) Host {
	t.Helper()
	dir := t.TempDir()
	h := Host{
		Proc:          filepath.Join(dir, "proc"),
		Sys:           filepath.Join(dir, "sys"),
		Root:          filepath.Join(dir, "root"),
		Euid:          0,
		Release:       "6.8.0-31-generic",
		Machine:       "x86_64",
		ProbeNFTables: func() error { return nil },
	}
	h.LookPath = fakePath(map[string]string{"sudo": "/usr/bin/sudo"})
	write(t, h.Proc, "filesystems", filesystems)
	write(t, h.Proc, "self/mountinfo", hybridMountinfo)
	write(t, h.Proc, "cgroups", procCgroups)
	write(t, h.Proc, "cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n")
	write(t, h.Proc, "self/status", "Name:\tdoctor\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n")
	write(t, h.Proc, "sys/kernel/seccomp/actions_avail", "kill_process kill_thread trap errno user_notif trace log allow\n")
	write(t, h.Proc, "sys/user/max_user_namespaces", "63000\n")
	write(t, h.Proc, "sys/net/ipv4/ip_forward", "1\n")
	write(t, h.Proc, "sys/net/ipv4/ping_group_range", "1\t0\n")
	writeELF(t, filepath.Join(h.Root, "bin/busybox"), false)
	return h
}

// fakePath is a LookPath that finds only the commands in found.
func fakePath(found map[string]string) func(string) (string, error) {
	return func(name string) (string, error) {
		if p, ok := found[name]; ok {
			return p, nil
		}
		return "", exec.ErrNotFound
	}
}

// write makes root/rel with content, and its directories.
func write(t *testing.T, root, rel, content string) {
	t.Helper()
	path := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// remove deletes root/rel, as a kernel without that file would have it.
func remove(t *testing.T, root, rel string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(root, rel)); err != nil {
		t.Fatal(err)
	}
}

// writeELF makes the smallest x86-64 ELF executable header that
// debug/elf reads: no program headers (static), or one PT_INTERP
// (dynamic, as a binary linked against libc has).
func writeELF(t *testing.T, path string, dynamic bool) {
	t.Helper()
	var b bytes.Buffer
	phnum := uint16(0)
	if dynamic {
		phnum = 1
	}
	hdr := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: phnum, Shentsize: 64,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	binary.Write(&b, binary.LittleEndian, hdr)
	if dynamic {
		interp := "/lib64/ld-linux-x86-64.so.2\x00"
		binary.Write(&b, binary.LittleEndian, elf.Prog64{Type: uint32(elf.PT_INTERP), Flags: uint32(elf.PF_R),
			Off: 120, Filesz: uint64(len(interp)), Memsz: uint64(len(interp)), Align: 1})
		b.WriteString(interp)
	}
	write(t, filepath.Dir(path), filepath.Base(path), b.String())
}

// findingOf returns the finding with id.
func findingOf(t *testing.T, fs []Finding, id string) Finding {
	t.Helper()
	for _, f := range fs {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no finding %q", id)
	return Finding{}
}
