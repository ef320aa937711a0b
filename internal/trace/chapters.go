package trace

// The article's chapters, as headings over the steps. kobako's packages and
// files are named after the article's steps (design.md), so the file that
// reports a step says which chapter it belongs to; a few functions belong
// to another chapter than their file, and are named on their own.

import "strings"

// The headings: the article's own chapter names, with a gloss where the
// name is Japanese only.
const (
	chapterBuild     = "コンテナを作ってみよう (let's build a container)"
	chapterNamespace = "Namespace (名前空間)"
	chapterCgroup    = "cgroup"
	chapterCap       = "Capability"
	chapterPivotRoot = "chroot と pivot_root"
	chapterCoW       = "Copy on Write"
	chapterNetwork   = "ネットワーク (network)"
)

// chapters maps where a step is reported from to its chapter: a function
// ("initproc.awaitStart"), a file ("rootfs/overlay.go") or a directory
// ("cgroups/"). The first match wins, so the exceptions come first.
var chapters = []struct{ where, chapter string }{
	// runtime/initproc/execve.go prepares the command's privileges, between
	// two steps of the build itself: waiting for `start` and the final exec.
	{"initproc.awaitStart", chapterBuild},
	{"initproc.execCommand", chapterBuild},
	{"initproc.enterCwd", chapterBuild},
	{"runtime/initproc/execve.go", chapterCap},
	{"runtime/initproc/capabilities.go", chapterCap},
	{"runtime/seccomp", chapterCap}, // seccomp.go, and the compiler in seccomp/
	{"runtime/initproc/user.go", chapterCap},
	{"runtime/initproc/namespaces.go", chapterNamespace},
	{"runtime/initproc/userns.go", chapterNamespace},
	{"runtime/initproc/loopback.go", chapterNetwork},
	{"runtime/create.go", chapterNamespace},
	{"runtime/namespaces.go", chapterNamespace},
	{"runtime/exec.go", chapterNamespace},
	{"runtime/setns.go", chapterNamespace},
	{"runtime/userns.go", chapterNamespace},
	// The init joins its keyring while the parent is still writing the
	// cgroup's lines: a heading of its own would land among them.
	{"runtime/initproc/keyring.go", ""},
	{"runtime/cgroup.go", chapterCgroup},
	{"runtime/", chapterBuild}, // hostname, console, start, kill
	{"cgroups/", chapterCgroup},
	{"rootfs/pivot_root.go", chapterPivotRoot},
	{"rootfs/overlay.go", chapterCoW},
	{"rootfs/unpack/", chapterCoW},
	{"rootfs/", chapterBuild}, // mounts, /dev, masks
	{"image/", chapterCoW},
	{"build/", chapterCoW}, // kobako build: the article's §7.3
	{"netns/", chapterNetwork},
	{"container/network", chapterNetwork}, // network.go, network_files.go
	{"container/userns.go", chapterNamespace},
	{"container/diff.go", chapterCoW},
	{"container/commit", chapterCoW},
	{"container/cp", chapterCoW},
	{"container/export.go", chapterCoW},
	{"container/", chapterBuild},
}

// chapterOf is the chapter of a step reported from where (file:line) by
// function (its full Go name); "" for code outside the table, which keeps
// the chapter the learner is in.
func chapterOf(where, function string) string {
	fn := function[strings.LastIndex(function, "/")+1:] // initproc.awaitStart
	for _, c := range chapters {
		if c.where == fn || strings.HasPrefix(where, c.where) {
			return c.chapter // "" for the keyring: no heading
		}
	}
	return ""
}
