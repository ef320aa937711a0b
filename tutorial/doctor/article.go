package doctor

// The 2019 article, read on this host: notes for a learner who types its
// commands by hand and sees something else. Each is a gotcha of
// article.md's list; none stops a chapter, since kobako does the steps
// itself, and each says what to type instead.

import (
	"strconv"
	"strings"
)

// noteCgroupTools (gotcha 7): cgcreate -g cpu,memory:$UUID makes
// /sys/fs/cgroup/cpu/$UUID and /sys/fs/cgroup/memory/$UUID — on v1. A v2
// host has no such directories, and libcgroup's v2 support is partial:
// there the article's cgroup commands become mkdir and echo into one tree.
func noteCgroupTools(h Host, m cgroupMode) Finding {
	const id = "article-cgroup-tools"
	path, has := h.has("cgcreate")
	args := map[string]string{"path": path}
	switch {
	case m.Mode == "v2":
		return found(id, GroupArticle, Note, "v2", args)
	case !has:
		return found(id, GroupArticle, Note, "missing", args)
	}
	return found(id, GroupArticle, OK, "ok", args)
}

// notePing (gotcha 6): sysctl net.ipv4.ping_group_range. When it covers
// the user's groups ("0 2147483647" on Ubuntu 20.04+, Debian 11+), ping
// uses an ICMP datagram socket and needs no CAP_NET_RAW, so the article's
// capsh --drop=cap_net_raw demo still pings on the host. The value is per
// network namespace and a new one starts at "1 0" (nobody): in kobako's
// containers ping needs CAP_NET_RAW again, as the article says.
func notePing(h Host) Finding {
	const id = "article-ping"
	v, _, _ := h.sysctl("net.ipv4.ping_group_range")
	fields := strings.Fields(v)
	args := map[string]string{"range": strings.Join(fields, " ")}
	if len(fields) == 2 {
		lo, err1 := strconv.ParseInt(fields[0], 10, 64)
		hi, err2 := strconv.ParseInt(fields[1], 10, 64)
		if err1 == nil && err2 == nil && lo <= hi {
			return found(id, GroupArticle, Note, "open", args)
		}
	}
	return found(id, GroupArticle, OK, "closed", args)
}

// noteUnshareFork (gotcha 5) is always shown: unshare -p without -f
// leaves unshare itself outside the new PID namespace; the shell's first
// child becomes PID 1 there, and when it exits every later fork fails
// with "Cannot allocate memory".
func noteUnshareFork() Finding {
	return found("article-unshare-f", GroupArticle, Note, "always", nil)
}

// noteDockerExport: the article makes its root file system with docker
// export. Without docker, kobako pull (from a registry) or the built-in
// busybox image does the same; kobako import reads a docker export made
// on any other machine.
func noteDockerExport(h Host) Finding {
	const id = "article-docker-export"
	if path, ok := h.has("docker"); ok {
		return found(id, GroupArticle, OK, "ok", map[string]string{"path": path})
	}
	return found(id, GroupArticle, Note, "missing", nil)
}

// noteUnshareUser (gotcha 8): the article's unprivileged unshare -r needs
// user namespaces open to plain users — not so with AppArmor's
// restriction (Ubuntu 24.04), user.max_user_namespaces = 0, or Debian's
// kernel.unprivileged_userns_clone = 0.
func noteUnshareUser(h Host) Finding {
	const id = "article-unshare-r"
	if v, ok, _ := h.sysctl("kernel.apparmor_restrict_unprivileged_userns"); ok && v != "0" {
		return found(id, GroupArticle, Note, "apparmor", nil)
	}
	max, ok, _ := h.sysctl("user.max_user_namespaces")
	clone, cloneOK, _ := h.sysctl("kernel.unprivileged_userns_clone")
	if !ok || max == "0" || cloneOK && clone == "0" {
		return found(id, GroupArticle, Note, "userns", nil)
	}
	return found(id, GroupArticle, OK, "ok", nil)
}
