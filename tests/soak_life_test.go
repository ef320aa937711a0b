package tests

// The soak's containers, one life each: its kobako run started, its
// faults and commands each at their moment, its results judged, and an
// rm -f at the end.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// soak is one TestSoak: its env, what the host was, and what happened.
type soak struct {
	t       *testing.T
	e       *env
	ns      *hostNetns
	cfg     soakConfig
	dir     string // the soak's own files: outputs of runs, what cp copies
	version string // kobako --version, its first line
	before  soakHost
	ids     *soakIDs

	mu       sync.Mutex
	lives    []*soakLife
	failures []string
	rms      []soakRm // every rm -f, for the slowest
	leaks    []soakLeak
	swept    []soakResult // the final rm -f and prune
	outcomes map[string]*soakOutcome
	seen     []soakProc    // monitors and inits kobako started for the soak
	lateness time.Duration // the latest an action came after its moment
	notes    []string      // what the report mentions but is no leak
}

// soakResult is what one kobako command did.
type soakResult struct {
	args   []string
	code   int // -1: killed by a signal, or not run
	stderr string
	err    error         // could not run, killed, or timed out
	at     time.Duration // when it started, after its life's run
	took   time.Duration
}

type soakRm struct {
	what string // which rm -f: of whom, when
	took time.Duration
}

// soakLife is what happened to one container.
type soakLife struct {
	plan      soakPlan
	t0        time.Time     // its kobako run started
	runEnd    time.Duration // and ended
	run       soakResult
	runKilled bool // the soak SIGKILLed its kobako run

	mu   sync.Mutex
	done []soakDone
	last soakResult // its rm -f at the end
}

// soakDone is one action as it happened.
type soakDone struct {
	soakAction
	at     time.Duration // when it happened (a kill may wait for its target)
	hit    bool          // a kill's signal was sent; a command ran
	target string        // a kill's target, e.g. "init 4242"
	result soakResult    // a command's result
}

func newSoak(t *testing.T, e *env, ns *hostNetns, cfg soakConfig) *soak {
	s := &soak{t: t, e: e, ns: ns, cfg: cfg, dir: t.TempDir()}
	// What cp copies in; every container's own file in the soak's dir
	// is what cp copies out.
	if err := os.WriteFile(filepath.Join(s.dir, "in"), []byte("soak\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// kobako makes these on first use; made first, they can be watched
	// from the first container on.
	for _, dir := range []string{e.root, filepath.Join(e.dataRoot, "containers"), filepath.Join(e.dataRoot, "names")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	out, _, _, _ := e.exec(nil, "--version")
	s.version, _, _ = strings.Cut(strings.TrimSpace(out), "\n")
	s.before = s.readHost()
	ids, err := soakWatchIDs(e.root, filepath.Join(e.dataRoot, "containers"), filepath.Join(e.dataRoot, "names"))
	if err != nil {
		t.Fatalf("watch the soak's ids: %v", err)
	}
	s.ids = ids
	return s
}

// runWave lives containers first … end-1 at once.
func (s *soak) runWave(first, end int) {
	var wg sync.WaitGroup
	for i := first; i < end; i++ {
		wg.Go(func() {
			l := s.live(soakPlanLife(s.cfg.seed, i))
			s.judge(l)
		})
	}
	wg.Wait()
}

// live runs one container's plan and returns what happened.
func (s *soak) live(p soakPlan) *soakLife {
	l := &soakLife{plan: p}
	run, err := s.startRun(p)
	if err != nil {
		l.run = soakResult{args: p.runArgs(), code: -1, err: err}
		return l
	}
	l.t0 = run.started
	var wg sync.WaitGroup
	for _, a := range p.actions {
		wg.Go(func() { l.add(s.act(l, run, a)) })
	}
	l.run = run.wait()
	l.runEnd = time.Since(l.t0)
	wg.Wait()
	if p.waitExit {
		time.Sleep(time.Until(l.t0.Add(time.Duration(p.sleep)*time.Second + 500*time.Millisecond)))
	}
	l.last = s.kobako(l.t0, "rm", "-f", p.name)
	s.timeRm(l.last, p.name+", at the end of its life")
	return l
}

func (l *soakLife) add(d soakDone) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = append(l.done, d)
}

// act waits for a's moment and does it.
func (s *soak) act(l *soakLife, run *soakRun, a soakAction) soakDone {
	time.Sleep(time.Until(l.t0.Add(a.at)))
	d := soakDone{soakAction: a, at: time.Since(l.t0)}
	s.late(d.at - a.at)
	switch a.kind {
	case soakKillRun:
		// Our own child: os.Process signals it through its pidfd, so a
		// run that has just ended is never mistaken for a reused pid.
		if run.running() && run.cmd.Process.Signal(syscall.SIGKILL) == nil {
			d.hit, d.target = true, fmt.Sprintf("kobako run %d", run.cmd.Process.Pid)
			l.mu.Lock()
			l.runKilled = true
			l.mu.Unlock()
		}
	case soakKillMonitor, soakKillInit:
		d = s.killWhenFound(l, run, d)
	default:
		d.result = s.kobako(l.t0, soakOpArgs(l.plan, a.kind)...)
		d.hit = true
		if a.kind == soakRmOp {
			s.timeRm(d.result, fmt.Sprintf("%s, %v after its run started, beside it", l.plan.name, d.at.Round(time.Millisecond)))
		}
	}
	return d
}

// soakOpArgs is the command line of a command run beside the container's.
func soakOpArgs(p soakPlan, kind string) []string {
	switch kind {
	case soakRmOp:
		return []string{"rm", "-f", p.name}
	case soakStopOp:
		return []string{"stop", "-t", "1", p.name}
	case soakExecOp:
		return []string{"exec", p.name, "true"}
	case soakCpIn:
		return []string{"cp", "in-is-replaced", p.name + ":/tmp/in"}
	default: // soakCpOut
		return []string{"cp", p.name + ":/etc/passwd", "out-is-replaced"}
	}
}

// kobako runs a command of the soak's env, timed from t0.
func (s *soak) kobako(t0 time.Time, args ...string) soakResult {
	args = s.paths(args)
	start := time.Now()
	_, stderr, code, err := s.e.exec(nil, args...)
	return soakResult{args: args, code: code, stderr: stderr, err: err, at: start.Sub(t0), took: time.Since(start)}
}

// paths puts the soak's files into a cp command line.
func (s *soak) paths(args []string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		switch a {
		case "in-is-replaced":
			out[i] = filepath.Join(s.dir, "in")
		case "out-is-replaced":
			out[i] = filepath.Join(s.dir, "out-"+strings.TrimSuffix(out[i-1], ":/etc/passwd"))
		}
	}
	return out
}

// late notes how late a moment came: a loaded host's timers fire late,
// and the report says so.
func (s *soak) late(by time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lateness = max(s.lateness, by)
}

func (s *soak) timeRm(r soakResult, what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rms = append(s.rms, soakRm{what, r.took})
}

// soakRun is a container's kobako run, started by the soak.
type soakRun struct {
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{}
	result  soakResult
	stderr  *os.File
}

// startRun starts p's kobako run. Its output goes to files: a container
// whose kobako was killed still holds them, and a pipe would keep Wait
// waiting.
func (s *soak) startRun(p soakPlan) (*soakRun, error) {
	out, err := os.Create(filepath.Join(s.dir, p.name+".out"))
	if err != nil {
		return nil, err
	}
	defer out.Close()
	errFile, err := os.Create(filepath.Join(s.dir, p.name+".err"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	run := &soakRun{cmd: s.e.command(ctx, p.runArgs()...), done: make(chan struct{}), stderr: errFile}
	run.cmd.Stdout, run.cmd.Stderr = out, errFile
	run.started = time.Now()
	if err := run.cmd.Start(); err != nil {
		cancel()
		errFile.Close()
		return nil, err
	}
	go func() {
		defer cancel()
		err := run.cmd.Wait()
		run.result = soakResult{args: run.cmd.Args[5:], took: time.Since(run.started)}
		run.result.code, run.result.err = exitCode(run.cmd, err)
		if ctx.Err() != nil {
			run.result.err = fmt.Errorf("timed out after %v", commandTimeout)
		}
		close(run.done)
	}()
	return run, nil
}

func (r *soakRun) running() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// wait waits for the run (it has a timeout of its own) and reads what it
// said on stderr.
func (r *soakRun) wait() soakResult {
	<-r.done
	data, err := os.ReadFile(r.stderr.Name())
	r.stderr.Close()
	if err != nil && r.result.err == nil {
		r.result.err = err
	}
	r.result.stderr = string(data)
	return r.result
}

// fail records a failure of l: what went wrong, with its plan and what
// happened to it, for the report.
func (s *soak) fail(l *soakLife, format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, fmt.Sprintf(format, args...)+"\n  "+l.story())
}
