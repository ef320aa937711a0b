package tests

// The host before and after the soak, and what a person does at the end:
// rm -f of everything ps -a lists, then system prune -f. What is left of
// the soak afterwards is a leak: a mount, a cgroup of one of its ids in
// any hierarchy, a link, the nft ruleset, ip_forward or the lease file of
// its namespace, a state dir, container dir or name, a live process.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// soakHost is what the soak compares.
type soakHost struct {
	mounts  []string        // /proc/self/mountinfo
	cgroups map[string]bool // every /sys/fs/cgroup/…/kobako/<dir>
	net     netSnapshot     // the soak's namespace: links, ruleset, ip_forward, lease file
	leases  []string        // the namespace's files in /run/kobako-network
}

// soakLeak is one thing left behind.
type soakLeak struct {
	what   string // "cgroup", "mount", "state dir" …
	detail string
	id     string // the container's, when known
}

func (s *soak) readHost() soakHost {
	return soakHost{readMountinfo(s.t), soakCgroupDirs(), s.ns.snapshot(), s.leaseFiles()}
}

// soakCgroupDirs lists the cgroups under kobako/ in every hierarchy, v1
// (/sys/fs/cgroup/<controller>/kobako) and v2 (/sys/fs/cgroup/kobako).
func soakCgroupDirs() map[string]bool {
	v1, _ := filepath.Glob("/sys/fs/cgroup/*/kobako/*")
	v2, _ := filepath.Glob("/sys/fs/cgroup/kobako/*")
	dirs := map[string]bool{}
	for _, path := range append(v1, v2...) {
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			dirs[path] = true
		}
	}
	return dirs
}

// leaseFiles lists kobako's bookkeeping files of the soak's namespace.
func (s *soak) leaseFiles() []string {
	prefix := fmt.Sprintf("net-%d-", inodeOf(s.t, s.ns.path))
	var files []string
	for _, name := range dirEntries(s.t, stateDir) {
		if strings.HasPrefix(name, prefix) {
			files = append(files, name)
		}
	}
	return files
}

// sweep is a person's clean-up: rm -f of all that ps -a lists, then
// system prune -f. Both must succeed; ps -a must then list nothing.
func (s *soak) sweep() {
	t0 := time.Now()
	out, stderr, code, err := s.e.exec(nil, "ps", "-a", "-q")
	if err != nil || code != 0 {
		s.failf("`kobako ps -a -q` before the last rm -f: exit %d, %v: %s", code, err, stderr)
	}
	if ids := strings.Fields(out); len(ids) > 0 {
		r := s.kobako(t0, append([]string{"rm", "-f"}, ids...)...)
		s.swept = append(s.swept, r)
		s.timeRm(r, fmt.Sprintf("the %d containers ps -a listed at the end, in one command", len(ids)))
		if r.err != nil || r.code != 0 {
			s.failf("%s of what ps -a listed: %s", soakCmdline(soakResult{args: r.args[:2]}), soakDescribe(r))
		}
	}
	r := s.kobako(t0, "system", "prune", "-f")
	s.swept = append(s.swept, r)
	if r.err != nil || r.code != 0 {
		s.failf("`kobako system prune -f`: %s", soakDescribe(r))
	}
	out, _, code, err = s.e.exec(nil, "ps", "-a", "-q")
	if err != nil || code != 0 {
		s.failf("`kobako ps -a -q` after the clean-up: exit %d, %v", code, err)
	}
	for _, id := range strings.Fields(out) {
		s.leak("ps -a", "still listed after rm -f and prune", id)
	}
}

// failf records a failure that is no one container's.
func (s *soak) failf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, fmt.Sprintf(format, args...))
}

func (s *soak) leak(what, detail, id string) {
	s.leaks = append(s.leaks, soakLeak{what, detail, id})
}

// findLeaks compares the host with what it was before the soak.
func (s *soak) findLeaks() {
	containers, names := filepath.Join(s.e.dataRoot, "containers"), filepath.Join(s.e.dataRoot, "names")
	s.ids.addDir(s.e.root)
	s.ids.addDir(containers)
	after := s.readHost()
	s.mountLeaks(after.mounts)
	known := s.ids.known()
	for id := range known {
		for _, dir := range cgroupDirsOf(s.t, id) {
			s.leak("cgroup", dir, id)
		}
	}
	strangers := map[string]int{} // id → in how many hierarchies
	for dir := range after.cgroups {
		if _, ok := known[filepath.Base(dir)]; !ok && !s.before.cgroups[dir] {
			strangers[filepath.Base(dir)]++
		}
	}
	for id, n := range strangers {
		s.note(fmt.Sprintf("cgroups of an id the soak never saw made appeared in %d hierarchies (another kobako of the host's?): kobako/%s", n, id))
	}
	s.netLeaks(after)
	for _, id := range dirEntries(s.t, s.e.root) {
		s.leak("state dir", filepath.Join("$ROOT", id)+" holding "+strings.Join(dirEntries(s.t, filepath.Join(s.e.root, id)), " "), id)
	}
	for _, id := range dirEntries(s.t, containers) {
		s.leak("container dir", filepath.Join("$DATA/containers", id)+" holding "+strings.Join(dirEntries(s.t, filepath.Join(containers, id)), " "), id)
	}
	for _, name := range dirEntries(s.t, names) {
		target, _ := os.Readlink(filepath.Join(names, name))
		s.leak("name", "$DATA/names/"+name+" -> "+target, filepath.Base(target))
	}
	for _, name := range dirEntries(s.t, filepath.Join(s.e.dataRoot, "tmp")) {
		s.leak("tmp", "$DATA/tmp/"+name, "")
	}
	s.processLeaks()
}

// mountLeaks: every mount added or gone that is kobako's — the soak's
// paths, or kobako's own. Others are other programs of the host's.
func (s *soak) mountLeaks(after []string) {
	ours := func(line string) bool {
		return strings.Contains(line, s.testDir()) || strings.Contains(line, "kobako")
	}
	added, removed := diffLines(s.before.mounts, after)
	for _, line := range added {
		if ours(line) {
			s.leak("mount", line, soakIDIn(line))
		} else {
			s.note("a mount appeared that is not kobako's (another program of the host's?): " + line)
		}
	}
	for _, line := range removed {
		if ours(line) {
			s.leak("mount gone", line, "")
		} else {
			s.note("a mount went that is not kobako's: " + line)
		}
	}
}

// testDir is the directory of the soak's temporary dirs (t.TempDir's
// parent): its roots and files are all under it.
func (s *soak) testDir() string { return filepath.Dir(filepath.Dir(s.e.root)) }

// soakIDIn finds a container id in text.
func soakIDIn(text string) string {
	for _, word := range strings.FieldsFunc(text, func(r rune) bool { return r == '/' || r == ' ' || r == ',' || r == '=' }) {
		if soakIsID(word) {
			return word
		}
	}
	return ""
}

// netLeaks compares the soak's namespace.
func (s *soak) netLeaks(after soakHost) {
	before := s.before.net
	for _, link := range after.net.links {
		if !slices.Contains(before.links, link) {
			s.leak("link", link, "")
		}
	}
	if after.net.ruleset != before.ruleset {
		s.leak("nft", "the ruleset is now:\n"+after.net.ruleset, "")
	}
	if after.net.ipForward != before.ipForward {
		s.leak("ip_forward", fmt.Sprintf("%s, was %s", after.net.ipForward, before.ipForward), "")
	}
	if after.net.stateBytes != before.stateBytes {
		s.leak("lease", fmt.Sprintf("%s holds %s", s.ns.stateFile(), after.net.stateBytes), soakIDIn(after.net.stateBytes))
	}
	for _, name := range after.leases {
		if !slices.Contains(s.before.leases, name) && filepath.Join(stateDir, name) != s.ns.stateFile() {
			s.leak("lease file", filepath.Join(stateDir, name), "")
		}
	}
}

// processLeaks: no kobako of the soak's may live on (its --root on the
// command line), nor a process in a cgroup of the soak's ids, nor a
// monitor or init the soak saw.
func (s *soak) processLeaks() {
	known := s.ids.known()
	for _, p := range soakProcesses() {
		if p.state == 'Z' {
			continue
		}
		seen := slices.ContainsFunc(s.seen, func(q soakProc) bool { return q.pid == p.pid && q.start == p.start })
		id := soakCgroupID(p.pid, known)
		if s.isOurs(p) || seen || id != "" {
			s.leak("process", fmt.Sprintf("%d %s", p.pid, strings.Join(p.args, " ")), id)
			s.seen = append(s.seen, p)
		}
	}
}

// soakCgroupID is the soak's id whose cgroup pid is in, if any.
func soakCgroupID(pid int, known map[string]time.Time) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if id := filepath.Base(line); strings.Contains(line, "/kobako/") {
			if _, ok := known[id]; ok {
				return id
			}
		}
	}
	return ""
}

func (s *soak) note(text string) {
	s.notes = append(s.notes, text)
}

// scrub removes what the soak leaked, once it is reported, so that the
// tests after it find the host as it was. It touches only the soak's
// own: the processes its leaks name, mounts under its directories, the
// cgroups of its ids, the files and rules of its namespace.
func (s *soak) scrub() {
	for _, p := range s.seen {
		soakKill(p) // only if it is still that process
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if !slices.ContainsFunc(s.seen, func(p soakProc) bool {
			q, err := soakReadProc(p.pid)
			return err == nil && q.start == p.start && q.state != 'Z'
		}) {
			break
		}
	}
	for _, l := range s.leaks {
		s.scrubLeak(l)
	}
	for _, dir := range []string{s.e.root, filepath.Join(s.e.dataRoot, "containers"), filepath.Join(s.e.dataRoot, "names"), filepath.Join(s.e.dataRoot, "tmp")} {
		for _, name := range dirEntries(s.t, dir) {
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				s.t.Logf("scrub: %v", err)
			}
		}
	}
}

func (s *soak) scrubLeak(l soakLeak) {
	var err error
	switch l.what {
	case "mount":
		if f := strings.Fields(l.detail); len(f) > 4 && strings.HasPrefix(f[4], s.testDir()) {
			err = unix.Unmount(f[4], unix.MNT_DETACH)
		}
	case "cgroup":
		// rmdir succeeds once the last task is gone
		for end := time.Now().Add(2 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if err = os.Remove(l.detail); err == nil || errors.Is(err, os.ErrNotExist) || time.Now().After(end) {
				break
			}
		}
	case "lease":
		if !s.before.net.stateFile {
			err = os.Remove(s.ns.stateFile())
		} else {
			err = os.WriteFile(s.ns.stateFile(), []byte(s.before.net.stateBytes), 0o644)
		}
	case "lease file":
		err = os.Remove(l.detail)
	case "link":
		// (one end of a veth pair goes with the other)
		if _, err = s.ns.inside("ip", "link", "del", l.detail); err != nil && !slices.Contains(s.ns.links(), l.detail) {
			err = nil
		}
	case "nft":
		if strings.TrimSpace(s.before.net.ruleset) == "" {
			_, err = s.ns.inside("nft", "flush", "ruleset")
		}
	case "ip_forward":
		_, err = s.ns.inside("sh", "-c", "echo "+s.before.net.ipForward+" > /proc/sys/net/ipv4/ip_forward")
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.t.Logf("scrub %s %s: %v", l.what, l.detail, err)
	}
}
