// Package doctor is the article's 環境構築 chapter turned into a check:
// it reads this host — who runs it, the kernel, the cgroup file system,
// overlayfs, user namespaces, seccomp, nftables, busybox, binfmt_misc —
// and says, in the learner's language, what each finding means for
// kobako and for the tutorial's chapters, and what to do about it.
//
// Shell twin: the look around a careful reader does before the article:
//
//	id -u; uname -r; stat -f -c %T /sys/fs/cgroup; cat /proc/cgroups
//	grep overlay /proc/filesystems; sysctl user.max_user_namespaces
//	grep Seccomp /proc/self/status; nft list tables; sysctl net.ipv4.ip_forward
//	file /bin/busybox; ls /proc/sys/fs/binfmt_misc
//
// Every read goes through a Host, which names the roots to read from
// (/proc, /sys, /), so a test points them at a directory of fake files
// and makes each condition — no overlay, a v2 host, memory accounting off
// at boot, AppArmor's user-namespace restriction — without touching the
// machine. Check only reads; Write and WriteJSON only print; the texts are
// in en.txt and ja.txt, which a teacher can edit without reading Go.
package doctor

// Status is how a finding turned out.
type Status int

const (
	OK   Status = iota // all is well
	Note               // works, but differs from the article, or is worth knowing
	Warn               // something kobako can do is unavailable; no chapter needs it
	Fail               // a chapter cannot run here (Blocks says which)
)

var statusNames = [...]string{OK: "ok", Note: "note", Warn: "warn", Fail: "fail"}

func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return "unknown"
	}
	return statusNames[s]
}

// MarshalText makes a Status "ok", "note", "warn" or "fail" in JSON.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// The tutorial's chapters, by slug, in the article's order.
const (
	ChapterIntro      = "intro"      // コンテナとは
	ChapterSetup      = "setup"      // 環境構築 (runs doctor)
	ChapterFirst      = "first"      // コンテナを作ってみよう
	ChapterNamespace  = "namespace"  // Namespace
	ChapterCgroup     = "cgroup"     // cgroup
	ChapterCapability = "capability" // Capability
	ChapterPivotRoot  = "pivot-root" // chroot と pivot_root
	ChapterCoW        = "cow"        // Copy on Write
	ChapterNetwork    = "network"    // ネットワーク
	ChapterSummary    = "summary"    // まとめ
)

// Chapters lists every chapter slug in order.
var Chapters = []string{
	ChapterIntro, ChapterSetup, ChapterFirst, ChapterNamespace, ChapterCgroup,
	ChapterCapability, ChapterPivotRoot, ChapterCoW, ChapterNetwork, ChapterSummary,
}

// containerChapters are those that start a container: every one of them
// needs what `kobako run` needs (root, a recent kernel, cgroups, overlayfs,
// seccomp, the busybox image).
var containerChapters = Chapters[2:]

// The groups a report is divided into, in order.
const (
	GroupHost    = "host"    // who runs kobako, the kernel, busybox
	GroupKernel  = "kernel"  // kernel features: cgroups, overlayfs, namespaces, seccomp …
	GroupNetwork = "network" // nftables, ip_forward
	GroupArticle = "article" // why the 2019 article's commands act differently here
)

// Groups lists the groups in the order a report shows them.
var Groups = []string{GroupHost, GroupKernel, GroupNetwork, GroupArticle}

// Finding is one thing doctor found out about the host.
type Finding struct {
	ID     string // the catalogue section with its texts: "overlay", "cgroup" …
	Group  string // GroupHost, GroupKernel …
	Status Status
	// Variant names the text in the catalogue section that explains this
	// outcome ("ok", "missing", "v2" …); Variant+".fix" is what to do, when
	// there is something to do.
	Variant string
	// Blocks lists the chapter slugs that cannot run because of this
	// finding; set only when Status is Fail.
	Blocks []string
	// Args fills the {name} placeholders of the texts: what was read,
	// so the learner sees this host's own values.
	Args map[string]string
}

// Check reads h and returns one finding per check, grouped and in the
// order a report shows them. It never fails: what cannot be read is a
// finding too.
func Check(h Host) []Finding {
	h = h.withDefaults()
	var fs []Finding
	// Host: who we are, the kernel (and whether Windows' WSL runs it),
	// the busybox the built-in image copies.
	fs = append(fs, checkRoot(h), checkKernel(h), checkWSL(h), checkBusybox(h))
	// Kernel features kobako's steps use.
	cg := readCgroupMode(h)
	fs = append(fs, checkCgroup(cg), checkControllers(h, cg), checkOverlay(h),
		checkUserns(h), checkAppArmorUserns(h), checkSeccomp(h), checkIdmap(h), checkBinfmt(h))
	// The network chapter.
	fs = append(fs, checkNFTables(h), checkIPForward(h))
	// The 2019 article, read on this host.
	fs = append(fs, noteCgroupTools(h, cg), notePing(h), noteUnshareFork(),
		noteDockerExport(h), noteUnshareUser(h))
	return fs
}

// Runnable says whether every chapter can run on the host described by fs
// and, when not, which chapters are blocked by which findings (chapter →
// finding ids, in report order). The tutorial skips a blocked chapter
// and gives the findings' texts as the reason.
func Runnable(fs []Finding) (ok bool, blocked map[string][]string) {
	blocked = map[string][]string{}
	for _, f := range fs {
		if f.Status == OK {
			continue
		}
		for _, ch := range f.Blocks {
			blocked[ch] = append(blocked[ch], f.ID)
		}
	}
	return len(blocked) == 0, blocked
}

// fail is a finding that blocks chapters.
func fail(id, group, variant string, blocks []string, args map[string]string) Finding {
	return Finding{ID: id, Group: group, Status: Fail, Variant: variant, Blocks: blocks, Args: args}
}

// found is a finding that blocks nothing.
func found(id, group string, st Status, variant string, args map[string]string) Finding {
	return Finding{ID: id, Group: group, Status: st, Variant: variant, Args: args}
}
