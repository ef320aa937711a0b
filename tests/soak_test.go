package tests

// Soak (issue 15): many containers, a few at a time, each with faults at
// random moments — SIGKILL of its `kobako run`, of its monitor, of its
// init — while other kobako soakProcesses rm -f, stop, exec into and cp to the
// same container. Then, as a person would clean up, `rm -f` of everything
// `ps -a` lists and `system prune -f`; and the host is compared with what
// it was before: its mountinfo, the cgroups of every id the soak made (in
// every hierarchy), the links, nft ruleset, ip_forward and lease file of
// the soak's network namespace, the state dirs under --root and the
// container dirs and names under --data-root, and the soakProcesses.
//
//	SOAK_N=200           containers (default 30: about half a minute)
//	SOAK_SEED=…          the plan of a run again: which faults, at which moments
//	SOAK_REPORT=file.md  the report as markdown, besides the test log
//	SOAK_VERBOSE=1       every container's story in the log, not only the failed ones'
//
// `make soak` runs 1000. A kobako command whose result a fault explains —
// exit 137 of a run whose init was killed, "no such container" from an
// rm -f that came second — is expected; any other result is a failure,
// and so is anything left behind (a leak). docs/reliability.md says why.
//
// Every kobako runs in a network namespace of the soak's own (newBridgeEnv),
// so bridged containers never touch the real host's links and ruleset.
// The soak kills only its own `kobako run` children and what kobako started
// for it: a monitor whose command line names the soak's --root, an init
// whose pid and start time its state.json records (or a "kobako init" child
// of the two), each through a pidfd opened before the check, so that a
// reused pid is never hit.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// soakConfig is one soak: how many containers, the seed of its plan, and
// how many live at once.
type soakConfig struct {
	n      int
	seed   uint64
	wave   int    // containers started together; the next wave waits
	report string // SOAK_REPORT
}

func soakConfigFromEnv(t *testing.T) soakConfig {
	t.Helper()
	cfg := soakConfig{n: 30, seed: uint64(time.Now().UnixNano()), report: os.Getenv("SOAK_REPORT")}
	if v := os.Getenv("SOAK_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("SOAK_N=%q: want a number of containers, at least 1", v)
		}
		cfg.n = n
	}
	if v := os.Getenv("SOAK_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SOAK_SEED=%q: want the seed a soak printed", v)
		}
		cfg.seed = seed
	}
	// Two per CPU: enough for kobako soakProcesses to race for the same
	// locks, few enough that a soakMachine of two cores keeps up with the
	// moments of the plan.
	cfg.wave = max(4, 2*runtime.NumCPU())
	return cfg
}

func TestSoak(t *testing.T) {
	cfg := soakConfigFromEnv(t)
	t.Logf("soak: %d containers, %d at a time, seed %d (SOAK_SEED=%d repeats this plan)", cfg.n, cfg.wave, cfg.seed, cfg.seed)
	e, ns := newBridgeEnv(t)
	s := newSoak(t, e, ns, cfg)
	defer s.ids.stop()
	// The first run imports busybox: outside the waves, without faults.
	if _, stderr, code, err := e.exec(nil, "run", "--rm", "--network", "bridge", "busybox", "true"); err != nil || code != 0 {
		t.Fatalf("warm-up run: exit %d, %v\n%s", code, err, stderr)
	}
	start := time.Now()
	for first := 0; first < cfg.n; first += cfg.wave {
		s.runWave(first, min(first+cfg.wave, cfg.n))
	}
	if os.Getenv("SOAK_VERBOSE") != "" {
		for _, l := range s.lives {
			t.Log(l.story())
		}
	}
	s.sweep()
	s.ids.stop()
	s.findLeaks()
	rep := s.report(time.Since(start))
	t.Log("\n" + rep)
	if cfg.report != "" {
		if err := os.WriteFile(cfg.report, []byte(rep), 0o644); err != nil {
			t.Errorf("SOAK_REPORT: %v", err)
		}
	}
	if len(s.failures) > 0 || len(s.leaks) > 0 {
		t.Errorf("soak: %d failures, %d leaks (see the report above; SOAK_SEED=%d SOAK_N=%d repeats the plan)",
			len(s.failures), len(s.leaks), cfg.seed, cfg.n)
	}
	s.scrub()
}

// The kinds of fault, and the commands run at the same time.
const (
	soakKillRun     = "kill run"
	soakKillMonitor = "kill monitor"
	soakKillInit    = "kill init"
	soakRmOp        = "rm -f"
	soakStopOp      = "stop -t 1"
	soakExecOp      = "exec"
	soakCpIn        = "cp in"
	soakCpOut       = "cp out"
)

// soakPlan is one container's life, drawn from the seed before it starts.
type soakPlan struct {
	index      int
	name       string
	detached   bool // run -d: a monitor keeps it
	autoRemove bool // --rm
	bridge     bool // --network bridge
	publish    int  // -p PORT:80, 0 for none
	limits     bool // --memory and --pids-limit
	sleep      int  // seconds its command sleeps
	waitExit   bool // let it end by itself before its last rm -f
	actions    []soakAction
}

// soakAction is a fault or a command, at a soakMoment after the run started.
type soakAction struct {
	kind string
	at   time.Duration
}

// soakPlanLife draws container i's life. Each container has its own stream
// of the seed, so that a plan does not depend on how the waves ran.
func soakPlanLife(seed uint64, i int) soakPlan {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	p := soakPlan{
		index: i, name: fmt.Sprintf("soak-%d", i),
		detached: r.IntN(2) == 0, autoRemove: r.IntN(4) == 0,
		bridge: r.IntN(4) == 0, limits: r.IntN(4) == 0,
		sleep: 1 + r.IntN(2), waitExit: r.IntN(2) == 0,
	}
	if p.bridge && r.IntN(2) == 0 {
		p.publish = 20000 + i%20000 // one port per container: no two runs race for it
	}
	kills := []string{soakKillRun, soakKillInit}
	if p.detached {
		kills = append(kills, soakKillMonitor)
	}
	// 0, 1 or 2 kills: three in ten lives have none, so that a kill is
	// not the only way a container ends.
	for range []int{0, 1, 1, 1, 1, 1, 2, 2, 0, 0}[r.IntN(10)] {
		a := soakAction{kills[r.IntN(len(kills))], soakMoment(r, p.sleep)}
		if a.kind == soakKillRun && p.detached {
			// run -d returns within some 150 ms: later, nothing is left to kill
			a.at = time.Duration(r.IntN(150)) * time.Millisecond
		}
		p.actions = append(p.actions, a)
	}
	ops := []string{soakRmOp, soakStopOp, soakStopOp, soakExecOp, soakExecOp, soakExecOp, soakCpIn, soakCpIn, soakCpOut, soakCpOut}
	for range r.IntN(4) {
		p.actions = append(p.actions, soakAction{ops[r.IntN(len(ops))], soakMoment(r, p.sleep)})
	}
	return p
}

// soakMoment is when an action comes: half of them in the first 400 ms, while
// kobako makes the container — where a kill has most to break — the rest
// at any time of its life.
func soakMoment(r *rand.Rand, sleep int) time.Duration {
	if r.IntN(2) == 0 {
		return time.Duration(r.IntN(400)) * time.Millisecond
	}
	return time.Duration(r.IntN(sleep*1000+300)) * time.Millisecond
}

// runArgs is the plan's kobako run command line.
func (p soakPlan) runArgs() []string {
	args := []string{"run", "--name", p.name}
	if p.detached {
		args = append(args, "-d")
	}
	if p.autoRemove {
		args = append(args, "--rm")
	}
	if p.bridge {
		args = append(args, "--network", "bridge")
	}
	if p.publish != 0 {
		args = append(args, "-p", fmt.Sprintf("%d:80", p.publish))
	}
	if p.limits {
		args = append(args, "--memory", "64m", "--pids-limit", "32")
	}
	return append(args, "busybox", "sleep", strconv.Itoa(p.sleep))
}

// String is the plan as the report shows it.
func (p soakPlan) String() string {
	s := p.name + " ("
	if p.detached {
		s += "-d"
	} else {
		s += "foreground"
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{p.autoRemove, "--rm"}, {p.bridge, "bridge"}, {p.publish != 0, "-p"}, {p.limits, "limits"}} {
		if f.on {
			s += ", " + f.name
		}
	}
	return s + fmt.Sprintf(", sleep %d)", p.sleep)
}
