package doctor

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Each finding, made by changing one thing of a healthy fake host: the
// finding's status and variant, the chapters it stops, and its words in
// both languages — which must name what was read on the host.
func TestFindings(t *testing.T) {
	all := Chapters[1:]
	run := containerChapters
	tests := []struct {
		name    string
		change  func(t *testing.T, h *Host)
		id      string
		status  Status
		variant string
		blocks  []string
		show    []string // host values both texts (or fixes) must show
	}{
		// host
		{"root", nil, "root", OK, "ok", nil, nil},
		{"not root, sudo there", func(t *testing.T, h *Host) { h.Euid = 1000 }, "root", Fail, "sudo", all, []string{"1000", "sudo kobako"}},
		{"not root, no sudo", func(t *testing.T, h *Host) { h.Euid = 1000; h.LookPath = fakePath(nil) }, "root", Fail, "nosudo", all, []string{"1000", "su -"}},
		{"kernel new", nil, "kernel", OK, "ok", nil, []string{"6.8.0-31-generic"}},
		{"kernel of Ubuntu 18.04", func(t *testing.T, h *Host) { h.Release = "4.15.0-213-generic" }, "kernel", Fail, "old", run, []string{"4.15.0-213-generic", "5.11"}},
		{"kernel 5.10", func(t *testing.T, h *Host) { h.Release = "5.10.0-28-amd64" }, "kernel", Fail, "old", run, []string{"5.10.0-28-amd64"}},
		{"kernel unreadable", func(t *testing.T, h *Host) { h.Release = "weird" }, "kernel", Warn, "unknown", nil, []string{"weird"}},
		{"busybox static", nil, "busybox", OK, "ok", nil, []string{"/bin/busybox"}},
		{"busybox static in /usr/bin", func(t *testing.T, h *Host) {
			remove(t, h.Root, "bin/busybox")
			writeELF(t, h.Root+"/usr/bin/busybox", false)
		}, "busybox", OK, "ok", nil, []string{"/usr/bin/busybox"}},
		{"busybox dynamic", func(t *testing.T, h *Host) { writeELF(t, h.Root+"/bin/busybox", true) }, "busybox", Fail, "dynamic", run,
			[]string{"/bin/busybox", "busybox-static"}},
		{"busybox a script", func(t *testing.T, h *Host) { write(t, h.Root, "bin/busybox", "#!/bin/sh\n") }, "busybox", Fail, "dynamic", run, nil},
		{"busybox missing", func(t *testing.T, h *Host) { remove(t, h.Root, "bin/busybox") }, "busybox", Fail, "missing", run, []string{"busybox-static"}},

		// cgroups
		{"cgroup hybrid", nil, "cgroup", OK, "hybrid", nil, []string{"/sys/fs/cgroup/unified"}},
		{"cgroup v1", func(t *testing.T, h *Host) { write(t, h.Proc, "self/mountinfo", v1OnlyMountinfo) }, "cgroup", OK, "v1", nil, nil},
		{"cgroup v2", fakeV2, "cgroup", OK, "v2", nil, []string{"memory.max", "cpu.max"}},
		{"no cgroup", func(t *testing.T, h *Host) { write(t, h.Proc, "self/mountinfo", "") }, "cgroup", Fail, "none", run, []string{"cgroup2"}},
		{"controllers v1", nil, "cgroup-controllers", OK, "ok", nil, []string{"cpu cpuacct memory pids"}},
		{"controllers v2", fakeV2, "cgroup-controllers", OK, "ok", nil, []string{"cpu cpuset hugetlb io memory misc pids rdma"}},
		{"memory off at boot", func(t *testing.T, h *Host) {
			// as the kernel has it with cgroup_disable=memory: no v1
			// memory mount, and 0 in the enabled column
			write(t, h.Proc, "cgroups", strings.Replace(procCgroups, "memory\t4\t38\t1", "memory\t0\t1\t0", 1))
			write(t, h.Proc, "self/mountinfo", strings.Replace(hybridMountinfo, "rw,memory", "rw,name=gone", 1))
			write(t, h.Proc, "cmdline", "BOOT_IMAGE=/vmlinuz ro cgroup_disable=memory quiet\n")
		}, "cgroup-controllers", Fail, "boot", []string{ChapterCgroup}, []string{"cgroup_disable=memory", "memory", "GRUB_CMDLINE_LINUX"}},
		{"memory disabled, no boot option", func(t *testing.T, h *Host) {
			write(t, h.Proc, "cgroups", strings.Replace(procCgroups, "memory\t4\t38\t1", "memory\t4\t38\t0", 1))
		}, "cgroup-controllers", Fail, "off", []string{ChapterCgroup}, []string{"memory", "/proc/cgroups"}},
		{"v2 without memory", func(t *testing.T, h *Host) {
			fakeV2(t, h)
			write(t, h.Sys, "fs/cgroup/cgroup.controllers", "cpuset cpu io pids\n")
		}, "cgroup-controllers", Fail, "off", []string{ChapterCgroup}, []string{"memory", "cpu cpuset io pids"}},
		{"no controllers without cgroups", func(t *testing.T, h *Host) { write(t, h.Proc, "self/mountinfo", "") }, "cgroup-controllers", Warn, "unknown", nil, nil},

		// overlayfs
		{"overlay", nil, "overlay", OK, "ok", nil, nil},
		{"overlay a module", func(t *testing.T, h *Host) {
			write(t, h.Proc, "filesystems", strings.Replace(filesystems, "nodev\toverlay\n", "", 1))
			write(t, h.Root, "lib/modules/6.8.0-31-generic/modules.dep", "kernel/fs/overlayfs/overlay.ko.zst:\nkernel/fs/fuse/fuse.ko.zst:\n")
		}, "overlay", OK, "module", nil, []string{"6.8.0-31-generic"}},
		{"no overlay", func(t *testing.T, h *Host) {
			write(t, h.Proc, "filesystems", strings.Replace(filesystems, "nodev\toverlay\n", "", 1))
		}, "overlay", Fail, "missing", run, []string{"6.8.0-31-generic", "modprobe overlay"}},

		// user namespaces, AppArmor
		{"userns", nil, "userns", OK, "ok", nil, []string{"63000"}},
		{"userns off", func(t *testing.T, h *Host) { write(t, h.Proc, "sys/user/max_user_namespaces", "0\n") }, "userns", Warn, "off", nil,
			[]string{"user.max_user_namespaces"}},
		{"no userns", func(t *testing.T, h *Host) { remove(t, h.Proc, "sys/user") }, "userns", Warn, "none", nil, []string{"CONFIG_USER_NS"}},
		{"userns root only (Debian)", func(t *testing.T, h *Host) { write(t, h.Proc, "sys/kernel/unprivileged_userns_clone", "0\n") },
			"userns", Note, "debian", nil, []string{"kernel.unprivileged_userns_clone"}},
		{"no AppArmor", nil, "apparmor-userns", OK, "absent", nil, nil},
		{"AppArmor restriction off", fakeAppArmorOff, "apparmor-userns", OK, "off", nil, nil},
		{"AppArmor restricts (Ubuntu 24.04)", fakeAppArmor, "apparmor-userns", Warn, "on", nil,
			[]string{"kernel.apparmor_restrict_unprivileged_userns", "sudo"}},

		// seccomp
		{"seccomp", nil, "seccomp", OK, "ok", nil, []string{"user_notif"}},
		{"seccomp already filtered", func(t *testing.T, h *Host) {
			write(t, h.Proc, "self/status", "Name:\tdoctor\nSeccomp:\t2\nSeccomp_filters:\t1\n")
		}, "seccomp", Note, "filtered", nil, []string{"Seccomp: 2"}},
		{"no seccomp", func(t *testing.T, h *Host) {
			write(t, h.Proc, "self/status", "Name:\tdoctor\n")
			remove(t, h.Proc, "sys/kernel/seccomp")
		}, "seccomp", Fail, "missing", run, []string{"CONFIG_SECCOMP"}},

		// idmapped mounts: a version check
		{"idmap", nil, "idmap", OK, "ok", nil, []string{"6.8.0-31-generic"}},
		{"idmap without overlay", func(t *testing.T, h *Host) { h.Release = "5.15.0-91-generic" }, "idmap", Warn, "partial", nil,
			[]string{"5.15.0-91-generic", "5.19"}},
		{"no idmap", func(t *testing.T, h *Host) { h.Release = "5.11.0-49-generic" }, "idmap", Warn, "none", nil, []string{"5.11.0-49-generic"}},

		// binfmt_misc
		{"binfmt unmounted", nil, "binfmt", Note, "unmounted", nil, []string{"x86_64"}},
		{"binfmt disabled", func(t *testing.T, h *Host) { write(t, h.Proc, "sys/fs/binfmt_misc/status", "disabled\n") },
			"binfmt", Note, "disabled", nil, []string{"x86_64"}},
		{"binfmt without handlers", func(t *testing.T, h *Host) { fakeBinfmt(t, h, nil) }, "binfmt", Note, "none", nil, []string{"qemu-user-static"}},
		{"binfmt qemu", func(t *testing.T, h *Host) {
			fakeBinfmt(t, h, map[string]string{"qemu-aarch64": "OCF", "qemu-riscv64": "OCF", "python3.11": ""})
		}, "binfmt", Warn, "nofix", nil, []string{"qemu-aarch64 qemu-riscv64", "python3.11"}},
		{"binfmt qemu, all fixed", func(t *testing.T, h *Host) { fakeBinfmt(t, h, map[string]string{"qemu-aarch64": "OCF"}) },
			"binfmt", OK, "ok", nil, []string{"qemu-aarch64"}},

		// network
		{"nftables", nil, "nftables", OK, "ok", nil, nil},
		{"nftables missing", func(t *testing.T, h *Host) {
			h.ProbeNFTables = func() error { return fmt.Errorf("receive: %w", unix.EPROTONOSUPPORT) }
		}, "nftables", Fail, "missing", []string{ChapterNetwork}, []string{"protocol not supported", "nf_tables"}},
		{"nftables not root", func(t *testing.T, h *Host) { h.ProbeNFTables = func() error { return unix.EPERM } }, "nftables", Warn, "noperm", nil, nil},
		{"nftables not probed", func(t *testing.T, h *Host) { h.ProbeNFTables = nil }, "nftables", Warn, "unknown", nil, nil},
		{"ip_forward on", nil, "ip-forward", OK, "on", nil, nil},
		{"ip_forward off", func(t *testing.T, h *Host) { write(t, h.Proc, "sys/net/ipv4/ip_forward", "0\n") }, "ip-forward", Note, "off", nil,
			[]string{"net.ipv4.ip_forward = 0"}},
		{"no ip_forward", func(t *testing.T, h *Host) { remove(t, h.Proc, "sys/net") }, "ip-forward", Warn, "missing", nil, nil},

		// the 2019 article on this host
		{"cgroup-tools missing on v1", nil, "article-cgroup-tools", Note, "missing", nil, []string{"apt-get install cgroup-tools"}},
		{"cgroup-tools on v1", func(t *testing.T, h *Host) { h.LookPath = fakePath(map[string]string{"cgcreate": "/usr/bin/cgcreate"}) },
			"article-cgroup-tools", OK, "ok", nil, []string{"/usr/bin/cgcreate"}},
		{"cgroup-tools on v2", func(t *testing.T, h *Host) {
			fakeV2(t, h)
			h.LookPath = fakePath(map[string]string{"cgcreate": "/usr/bin/cgcreate"})
		}, "article-cgroup-tools", Note, "v2", nil, []string{"cgcreate -g cpu,memory:$UUID", "memory.max", "cgroup.procs"}},
		{"ping needs CAP_NET_RAW", nil, "article-ping", OK, "closed", nil, []string{"1 0"}},
		{"ping open to all (Ubuntu 20.04+)", func(t *testing.T, h *Host) {
			write(t, h.Proc, "sys/net/ipv4/ping_group_range", "0\t2147483647\n")
		}, "article-ping", Note, "open", nil, []string{"0 2147483647", "CAP_NET_RAW", "capsh --drop=cap_net_raw"}},
		{"unshare without -f", nil, "article-unshare-f", Note, "always", nil, []string{"Cannot allocate memory", "-f"}},
		{"no docker", nil, "article-docker-export", Note, "missing", nil, []string{"kobako import", "kobako pull"}},
		{"docker", func(t *testing.T, h *Host) { h.LookPath = fakePath(map[string]string{"docker": "/usr/bin/docker"}) },
			"article-docker-export", OK, "ok", nil, []string{"/usr/bin/docker"}},
		{"unshare -r works", nil, "article-unshare-r", OK, "ok", nil, nil},
		{"unshare -r under AppArmor (Ubuntu 24.04)", fakeAppArmor, "article-unshare-r", Note, "apparmor", nil,
			[]string{"/proc/self/uid_map", "sudo"}},
		{"unshare -r without user namespaces", func(t *testing.T, h *Host) {
			write(t, h.Proc, "sys/kernel/unprivileged_userns_clone", "0\n")
		}, "article-unshare-r", Note, "userns", nil, []string{"sudo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakeHost(t)
			if tt.change != nil {
				tt.change(t, &h)
			}
			fs := Check(h)
			f := findingOf(t, fs, tt.id)
			if f.Status != tt.status || f.Variant != tt.variant {
				t.Fatalf("%s: status %v variant %q, want %v %q (args %v)", tt.id, f.Status, f.Variant, tt.status, tt.variant, f.Args)
			}
			if !slices.Equal(f.Blocks, tt.blocks) {
				t.Errorf("%s blocks %v, want %v", tt.id, f.Blocks, tt.blocks)
			}
			checkExplained(t, fs, f, tt.show)
		})
	}
}

// checkExplained checks f's words in both languages: a text for its
// variant, every placeholder filled, the host's values shown, Japanese in
// Japanese, and the report naming the chapters it stops.
func checkExplained(t *testing.T, fs []Finding, f Finding, show []string) {
	t.Helper()
	for _, l := range []string{"en", "ja"} {
		c, err := LoadCatalogue(l)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Text(f.ID, f.Variant, nil); !ok {
			t.Errorf("%s.txt has no [%s] %s", l, f.ID, f.Variant)
			continue
		}
		e := c.Explain(f)
		words := e.Title + "\n" + e.Text + "\n" + e.Fix
		if p := placeholderRE.FindString(words); p != "" {
			t.Errorf("%s: %s left unfilled in %q", l, p, words)
		}
		for _, s := range show {
			if !strings.Contains(words, s) {
				t.Errorf("%s: the explanation does not show %q:\n%s", l, s, words)
			}
		}
		if l == "ja" && (!isJapanese(e.Text) || e.Fix != "" && !isJapanese(e.Fix)) {
			t.Errorf("ja: not Japanese:\n%s", words)
		}
		var report bytes.Buffer
		if err := Write(&report, l, fs, false); err != nil {
			t.Fatal(err)
		}
		out := report.String()
		firstLine, _, _ := strings.Cut(e.Text, "\n")
		if !strings.Contains(out, marks[f.Status]+" "+e.Title+"\n    "+firstLine) {
			t.Errorf("%s report does not show %s %q with its text:\n%s", l, marks[f.Status], e.Title, out)
		}
		for _, ch := range f.Blocks {
			if name := c.must("chapter", ch, nil); !strings.Contains(out, name) {
				t.Errorf("%s report does not name blocked chapter %q", l, name)
			}
		}
		if strings.Contains(out, "goroutine") || strings.Contains(out, "panic") || strings.Contains(out, "\x1b[") {
			t.Errorf("%s report is not a plain explanation:\n%s", l, out)
		}
	}
}

// fakeV2 makes the host a cgroup v2 one, as Ubuntu 22.04 boots.
func fakeV2(t *testing.T, h *Host) {
	write(t, h.Proc, "self/mountinfo", v2Mountinfo)
	write(t, h.Sys, "fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n")
	write(t, h.Proc, "cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t0\t80\t1\ncpu\t0\t80\t1\nio\t0\t80\t1\nmemory\t0\t80\t1\npids\t0\t80\t1\n")
}

// fakeAppArmor is Ubuntu 24.04's sysctl.
func fakeAppArmor(t *testing.T, h *Host) {
	write(t, h.Proc, "sys/kernel/apparmor_restrict_unprivileged_userns", "1\n")
}

// fakeAppArmorOff is the same sysctl, switched off.
func fakeAppArmorOff(t *testing.T, h *Host) {
	write(t, h.Proc, "sys/kernel/apparmor_restrict_unprivileged_userns", "0\n")
}

// fakeBinfmt mounts a fake binfmt_misc with handlers (name → flags).
func fakeBinfmt(t *testing.T, h *Host, handlers map[string]string) {
	write(t, h.Proc, "sys/fs/binfmt_misc/status", "enabled\n")
	write(t, h.Proc, "sys/fs/binfmt_misc/register", "")
	for name, flags := range handlers {
		write(t, h.Proc, "sys/fs/binfmt_misc/"+name, fmt.Sprintf(
			"enabled\ninterpreter /usr/bin/%s-static\nflags: %s\noffset 0\nmagic 7f454c46\nmask ffffffff\n", name, flags))
	}
}

// A healthy host runs every chapter; the report says so.
func TestHealthyHost(t *testing.T) {
	fs := Check(fakeHost(t))
	ok, blocked := Runnable(fs)
	if !ok || len(blocked) != 0 {
		t.Fatalf("healthy host: Runnable = %v, %v", ok, blocked)
	}
	for _, f := range fs {
		if f.Status == Fail {
			t.Errorf("healthy host: %s fails (%s)", f.ID, f.Variant)
		}
	}
	var en, ja bytes.Buffer
	if err := Write(&en, "en", fs, false); err != nil {
		t.Fatal(err)
	}
	Write(&ja, "ja", fs, false)
	if !strings.Contains(en.String(), "Every tutorial chapter can run on this host.") {
		t.Errorf("en report lacks the summary:\n%s", en.String())
	}
	if !strings.Contains(ja.String(), "すべての章を実行できます") {
		t.Errorf("ja report lacks the summary:\n%s", ja.String())
	}
}

// A host without root and without overlay stops chapters; Runnable
// names the findings per chapter, and the report's last line lists the
// chapters.
func TestRunnable(t *testing.T) {
	h := fakeHost(t)
	h.Euid = 1000
	write(t, h.Proc, "filesystems", "nodev\tproc\n")
	fs := Check(h)
	ok, blocked := Runnable(fs)
	if ok {
		t.Fatal("Runnable says ok without root and overlay")
	}
	if _, in := blocked[ChapterIntro]; in {
		t.Errorf("the introduction is blocked: %v", blocked)
	}
	if got := blocked[ChapterCoW]; !slices.Equal(got, []string{"root", "overlay"}) {
		t.Errorf("cow blocked by %v, want [root overlay]", got)
	}
	if got := blocked[ChapterSetup]; !slices.Equal(got, []string{"root"}) {
		t.Errorf("setup blocked by %v, want [root]", got)
	}
	var b bytes.Buffer
	Write(&b, "ja", fs, false)
	last := strings.TrimSpace(b.String()[strings.LastIndex(strings.TrimSpace(b.String()), "\n"):])
	if !strings.Contains(last, "次の章を実行できません") || !strings.Contains(last, "環境構築、コンテナを作ってみよう") {
		t.Errorf("ja summary = %q", last)
	}
}

// Colour only when asked.
func TestWriteColour(t *testing.T) {
	fs := Check(fakeHost(t))
	var plain, colour bytes.Buffer
	Write(&plain, "en", fs, false)
	Write(&colour, "en", fs, true)
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain report has escape codes")
	}
	if !strings.Contains(colour.String(), "\x1b[") {
		t.Error("colour report has no escape codes")
	}
}

// An error of the probe is not a stack trace: its message is the text.
func TestNFTablesErrorIsOneLine(t *testing.T) {
	h := fakeHost(t)
	h.ProbeNFTables = func() error { return errors.New("netlink receive: protocol not supported") }
	f := findingOf(t, Check(h), "nftables")
	if f.Args["err"] != "netlink receive: protocol not supported" {
		t.Errorf("err = %q", f.Args["err"])
	}
}
