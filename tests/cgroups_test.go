package tests

// Chapter "cgroups": the article's limits (memory 10 MB, CPU 30 %) and
// kobako's others, read from the host in the cgroup files themselves — the
// article's `cat /sys/fs/cgroup/memory/$UUID/memory.limit_in_bytes` — and
// then put to work: a memory hog is OOM-killed, a spinner is held to 30 % of
// a CPU, a fork loop stops at the pids limit, and nothing of ours is left.
//
// The same tests run on the CI hosts (cgroup v1, hybrid) and in the cgroup
// v2 guest of scripts/v2-guest (KOBAKO_GUEST=cgroup2), branching on what
// /proc/self/mountinfo says. They only read cgroup files: kobako alone
// creates and writes them.

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The files hold exactly what was asked, the article's figures included,
// in a cgroup /kobako/<id> in every hierarchy; the container's init is in
// it; and rm -f removes it everywhere.
func TestCgroupFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := hostCgroups(t)
	// The kernel counts memory in pages and rounds the limit down.
	article := strconv.Itoa(10000000 &^ (os.Getpagesize() - 1))
	for _, tc := range []struct {
		name   string
		flags  []string
		v1, v2 []cgroupFile
	}{
		{"article", []string{"--memory", "10000000b", "--cpu-quota", "300000", "--cpu-period", "1000000"},
			[]cgroupFile{{"memory", "memory.limit_in_bytes", article, false},
				// --memory-swap defaults to --memory: no swap beyond the limit.
				{"memory", "memory.memsw.limit_in_bytes", article, true},
				{"cpu", "cpu.cfs_quota_us", "300000", false}, {"cpu", "cpu.cfs_period_us", "1000000", false}},
			[]cgroupFile{{"memory", "memory.max", article, false}, {"memory", "memory.swap.max", "0", true},
				{"cpu", "cpu.max", "300000 1000000", false}}},
		{"cpus", []string{"--cpus", "0.3"},
			[]cgroupFile{{"cpu", "cpu.cfs_quota_us", "30000", false}, {"cpu", "cpu.cfs_period_us", "100000", false}},
			[]cgroupFile{{"cpu", "cpu.max", "30000 100000", false}}},
		{"pids", []string{"--pids-limit", "20"},
			[]cgroupFile{{"pids", "pids.max", "20", false}},
			[]cgroupFile{{"pids", "pids.max", "20", false}}},
		// v2: runc's conversion since 1.3.2 (opencontainers/cgroups
		// ConvertCPUSharesToCgroupV2Value), ceil(10^((l²+125l)/612 − 7/34))
		// with l = log2(512) = 9: 58.2 → 59.
		{"shares", []string{"--cpu-shares", "512"},
			[]cgroupFile{{"cpu", "cpu.shares", "512", false}},
			[]cgroupFile{{"cpu", "cpu.weight", "59", false}}},
		{"cpuset", []string{"--cpuset-cpus", "0"},
			[]cgroupFile{{"cpuset", "cpuset.cpus", "0", false}},
			[]cgroupFile{{"cpuset", "cpuset.cpus", "0", false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"run", "-d", "--name", tc.name}, tc.flags...), "busybox", "sleep", "1000")
			id := strings.TrimSpace(e.mustRun(args...))
			in := e.waitRunning(tc.name)
			l.expectPresent(t, id)
			l.checkPlacement(t, in.Pid, id)
			files := tc.v1
			if l.v2 {
				files = tc.v2
			}
			l.checkFiles(t, id, files, strings.Join(tc.flags, " "))
			e.mustRun("rm", "-f", tc.name)
			l.expectGone(t, id, "rm -f")
		})
	}
}

// From inside, the container sees its own cgroup as / (cgroup namespace)
// and its limits under a read-only /sys/fs/cgroup.
func TestCgroupInsideView(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := hostCgroups(t)
	limitFile, newDir := "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/child"
	if l.v2 {
		limitFile, newDir = "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/child"
	}
	script := fmt.Sprintf(`cat %[1]s; echo 99999999 > %[1]s && echo WROTE; mkdir %[2]s && echo MADE; cat %[1]s; cat /proc/self/cgroup`,
		limitFile, newDir)
	stdout, stderr, code := e.run("run", "--rm", "--memory", "10m", "busybox", "sh", "-c", script)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	const limit = "10485760" // 10 MiB
	if len(lines) < 3 || lines[0] != limit || lines[1] != limit {
		t.Errorf("cat %s twice, around the writes, printed:\n%s\nwant %s twice, and no WROTE or MADE", limitFile, stdout, limit)
	}
	for _, line := range lines[min(2, len(lines)):] {
		if !strings.HasSuffix(line, ":/") {
			t.Errorf("/proc/self/cgroup in the container: %q, want …:/ (its own cgroup as the root)", line)
		}
	}
	if n := strings.Count(stderr, "Read-only file system"); n != 2 {
		t.Errorf("writing into /sys/fs/cgroup: %d × \"Read-only file system\", want 2; stderr:\n%s", n, stderr)
	}
}

// A memory hog under --memory 10m is killed by the kernel and reported so;
// 5 MiB is fine. Neither leaves its cgroup behind.
func TestCgroupOOM(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := hostCgroups(t)
	for _, tc := range []struct {
		name, script string
		code         int
		ps           string // the status in ps -a
	}{
		// tail keeps the whole last line: 50 MiB of zeros without a newline.
		// It is the pipeline's last command, so its death is the exit status;
		// the shell's own "Killed" is silenced, so that stderr is kobako's.
		{"hog", "exec 2>/dev/null; head -c 50m /dev/zero | tail", 137, "Exited (137, out of memory)"},
		{"modest", "head -c 5m /dev/zero | tail | wc -c", 0, "Exited (0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := e.run("run", "--name", tc.name, "--memory", "10m", "busybox", "sh", "-c", tc.script)
			id := e.inspect(tc.name).ID
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if tc.code == 137 {
				checkOneLineError(t, stderr, fmt.Sprintf("kobako: container %s was killed: out of memory (limit 10.0 MiB)", id[:12]))
			} else if strings.TrimSpace(stdout) != "5242880" || stderr != "" {
				t.Errorf("stdout %q, stderr:\n%s\nwant 5242880 bytes counted and no error", stdout, stderr)
			}
			if line := e.psLine(tc.name, "-a"); !strings.Contains(line, tc.ps) {
				t.Errorf("ps -a line %q, want %s", line, tc.ps)
			}
			e.mustRun("rm", tc.name)
			l.expectGone(t, id, "rm of an exited container")
		})
	}
}

// A spinner under --cpus 0.3 gets 30 % of a CPU, by the cgroup's own
// accounting, and the kernel throttles it. In the v2 guest, where TCG makes
// any measured share meaningless, the throttling counters alone tell.
//
// Not parallel: a measured share needs the two CPUs to itself, and this
// test runs before every parallel one is let go.
func TestCgroupCPU(t *testing.T) {
	e := newEnv(t)
	l := hostCgroups(t)
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "spin", "--cpus", "0.3", "busybox", "sh", "-c", "while :; do :; done"))
	e.waitRunning("spin")
	throttled := func() uint64 { return l.cgroupCounter(t, "cpu", id, "cpu.stat", "nr_throttled") }
	time.Sleep(200 * time.Millisecond) // past the first periods
	before := throttled()
	if !inGuest() {
		used0, t0 := l.cpuUsage(t, id), time.Now()
		time.Sleep(3 * time.Second)
		used, elapsed := l.cpuUsage(t, id)-used0, time.Since(t0)
		share := used.Seconds() / elapsed.Seconds()
		if share < 0.25 || share > 0.35 {
			t.Errorf("--cpus 0.3: the spinner used %v of CPU in %v = %.3f CPU, want 0.25–0.35", used, elapsed, share)
		}
		t.Logf("--cpus 0.3: %.3f CPU-seconds per second", share)
	}
	// 30 ms of every 100 ms period: the spinner is throttled in each.
	waitFor(t, "cpu.stat nr_throttled to grow under --cpus 0.3", func() bool { return throttled() >= before+3 })
	if periods := l.cgroupCounter(t, "cpu", id, "cpu.stat", "nr_periods"); periods < throttled() {
		t.Errorf("cpu.stat: nr_periods %d < nr_throttled", periods)
	}
	e.mustRun("rm", "-f", "spin")
	l.expectGone(t, id, "rm -f")
}

// A fork loop under --pids-limit 20 stops at the limit: the kernel refuses
// the fork that would make 21 (pids.events max), and pids.current, read
// from the host while the loop runs, never passes 20.
func TestCgroupPids(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := hostCgroups(t)
	// The subshell dies at its first failed fork (ash gives up); its
	// sleeps stay, under PID 1, which then becomes a sleep without forking.
	const script = `( i=0; while [ $i -lt 40 ]; do sleep 1000 & i=$((i+1)); echo started $i; done ); exec sleep 1000`
	id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "forks", "--pids-limit", "20", "busybox", "sh", "-c", script))
	pid := e.waitRunning("forks").Pid
	dir := l.dir(t, "pids", id)
	var peak uint64
	waitFor(t, "a fork refused at pids.max", func() bool {
		cur, err := strconv.ParseUint(readCgroupFile(t, dir, "pids.current"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		peak = max(peak, cur)
		return parseFlatKeyed(readCgroupFile(t, dir, "pids.events"))["max"] > 0
	})
	if peak > 20 {
		t.Errorf("pids.current reached %d under --pids-limit 20", peak)
	}
	waitFor(t, "the fork loop to end (PID 1 execs sleep)", func() bool { return processCommIs(pid, "sleep") })
	started := strings.Count(e.mustRun("logs", id), "started ")
	// The two shells and the sleeps: 20 at most, and the loop got there.
	if started+2 > 20 || started < 10 {
		t.Errorf("the fork loop started %d sleeps beside its 2 shells, want 18 under --pids-limit 20", started)
	}
	e.mustRun("rm", "-f", "forks")
	l.expectGone(t, id, "rm -f")
}

// processCommIs says whether pid runs comm now.
func processCommIs(pid int, comm string) bool {
	got, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.TrimSpace(string(got)) == comm
}

// Bad resource flags, and a value the kernel itself refuses: one line, exit
// 125, no container and no cgroup anywhere.
//
// Not parallel: the check that no cgroup appeared compares every
// hierarchy's kobako/ before and after, which only holds while no other
// test of this package runs containers.
func TestCgroupBadInput(t *testing.T) {
	e := newEnv(t)
	l := hostCgroups(t)
	before := l.kobakoDirs(t, "")
	for _, tc := range []struct {
		name  string
		flags []string
		want  string // the error mentions it
	}{
		{"memory 0", []string{"--memory", "0"}, "--memory"},
		{"memory below 6m", []string{"--memory", "1k"}, "--memory"},
		{"unknown unit", []string{"--memory", "10x"}, "10x"},
		{"negative cpus", []string{"--cpus", "-1"}, "--cpus"},
		{"more cpus than the machine", []string{"--cpus", "99"}, "--cpus"},
		{"cpus and cpu-quota", []string{"--cpus", "0.5", "--cpu-quota", "50000"}, "--cpus"},
		{"swap below memory", []string{"--memory", "10m", "--memory-swap", "5m"}, "--memory-swap"},
		// Valid on the command line; the kernel refuses it on write.
		{"cpuset the kernel refuses", []string{"--cpuset-cpus", "99"}, "cpuset.cpus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, tc.flags...), "busybox", "true")
			_, stderr, code := e.run(args...)
			if code != 125 {
				t.Errorf("exit %d, want 125; stderr:\n%s", code, stderr)
			}
			checkOneLineError(t, stderr, tc.want)
			e.expectNoContainers("run %s", strings.Join(tc.flags, " "))
			if added, _ := diffLines(before, l.kobakoDirs(t, "")); len(added) > 0 {
				t.Errorf("cgroups left after run %s: %v", strings.Join(tc.flags, " "), added)
			}
		})
	}
}

// Every way a container ends removes its cgroup from every hierarchy. Each
// case returns the container's id, or the 12-hex prefix that it printed.
func TestCgroupCleanup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := hostCgroups(t)
	for _, tc := range []struct {
		name string
		end  func(t *testing.T) string
	}{
		{"run --rm", func(t *testing.T) string {
			return strings.TrimSpace(e.mustRun("run", "--rm", "--memory", "10m", "busybox", "hostname"))
		}},
		{"rm -f detached", func(t *testing.T) string {
			id := strings.TrimSpace(e.mustRun("run", "-d", "--name", "det", "--memory", "10m", "busybox", "sleep", "1000"))
			e.waitRunning("det")
			e.mustRun("rm", "-f", "det")
			return id
		}},
		{"OOM with --rm", func(t *testing.T) string {
			_, stderr, code := e.run("run", "--rm", "--memory", "10m", "busybox", "sh", "-c", "head -c 50m /dev/zero | tail")
			m := regexp.MustCompile(`container ([0-9a-f]{12}) was killed: out of memory`).FindStringSubmatch(stderr)
			if code != 137 || m == nil {
				t.Fatalf("exit %d, want 137 and the OOM message; stderr:\n%s", code, stderr)
			}
			return m[1]
		}},
		{"rm -f after a SIGKILLed run", func(t *testing.T) string {
			b := e.start("run", "--name", "victim", "--memory", "10m", "busybox", "sleep", "1000")
			in := e.waitRunning("victim")
			if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil { // our own child
				t.Fatal(err)
			}
			b.wait(t)
			l.expectPresent(t, in.ID) // the container runs on, in its cgroup
			e.mustRun("rm", "-f", "victim")
			waitFor(t, "victim's PID 1 to die", func() bool { return processGone(in.Pid) })
			return in.ID
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l.expectGone(t, tc.end(t), tc.name)
		})
	}
	e.expectNoContainers("every way a container ends")
}

// kobako info names the cgroup version; kobako stats shows a running
// container's usage against its limits.
func TestCgroupInfoAndStats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := hostCgroups(t)
	version := "cgroup v1"
	if l.v2 {
		version = "cgroup v2"
	}
	info := e.mustRun("info")
	if !regexp.MustCompile(`(?m)^cgroups:\s+` + version + `$`).MatchString(info) {
		t.Errorf("kobako info does not say %q:\n%s", version, info)
	}
	for _, c := range []string{"cpu", "memory", "pids"} {
		if !regexp.MustCompile(`(?m)^controllers:.*\b` + c + `\b`).MatchString(info) {
			t.Errorf("kobako info does not list the %s controller:\n%s", c, info)
		}
	}

	e.mustRun("run", "-d", "--name", "st", "--memory", "10m", "--pids-limit", "20", "busybox", "sleep", "1000")
	e.waitRunning("st")
	out := e.mustRun("stats", "--no-stream", "st")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	header := "NAME CPU % MEM USAGE / LIMIT MEM % MEM PEAK CPU TIME THROTTLED OOM KILLS PIDS"
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != header {
		t.Fatalf("kobako stats st:\n%s\nwant the header %q and one line", out, header)
	}
	row := strings.Join(strings.Fields(lines[1]), " ")
	if !strings.HasPrefix(row, "st ") || !strings.Contains(row, "/ 10.0 MiB") || !strings.HasSuffix(row, "/ 20") {
		t.Errorf("kobako stats line %q, want st … / 10.0 MiB … / 20", lines[1])
	}
}
