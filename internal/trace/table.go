package trace

// --trace=time's table, printed once at the end of the command:
//
//	kobako: trace: ── --trace=time: where the run's 27.00 ms went ──
//	kobako: trace:   phase                       ms   share  what
//	kobako: trace:   parent start              2.00    7.4%  the Go runtime and package inits, before main (CPU time)
//	kobako: trace:   spec                      1.00    3.7%  the OCI spec, built or read
//	…
//	kobako: trace:   total                    27.00  100.0%
//	kobako: trace:   peak RSS, parent          12.3 MiB      getrusage(RUSAGE_SELF): ru_maxrss
//	kobako: trace:   peak RSS, init             6.0 MiB      VmHWM in /proc/self/status, just before execve
//	kobako: trace:   parent start: CPU time used before kobako made its tracer (getrusage); the rest: wall-clock time (CLOCK_MONOTONIC)

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// finishWait bounds how long Finish waits for the init's last records:
// an init still waiting for `kobako start` holds its pipe open for good.
const finishWait = 100 * time.Millisecond

// Finish prints --trace=time's table on t's writer, once: the first call
// does, later calls do nothing. It waits for the init's pipes to reach
// their end, for finishWait at most. In the other modes, and for a nil t,
// it does nothing.
func (t *Tracer) Finish() {
	if t == nil || t.timeline == nil {
		return
	}
	tl := t.timeline
	t.mu.Lock()
	if tl.finishing {
		t.mu.Unlock()
		return
	}
	tl.finishing = true
	end := monotonic() // the init's records still to come are older
	pipes := tl.pipes
	t.mu.Unlock()
	tl.awaitChildren(pipes)
	t.mu.Lock()
	tl.finished = true // from now on, events are not kept: the table is cut
	events, peaks, children := slices.Clone(tl.events), maps.Clone(tl.peaks), tl.children
	t.mu.Unlock()
	// the parent's own: the kernel kept count of its peak, and status
	// says how what it holds now splits
	parent, _ := readMemory()
	parent.peak = maxRSS()
	peaks["parent"] = parent
	table := timeTable(share(events, t.start, end), tl.cpu, peaks, children > 0)
	_, _ = t.w.Write([]byte(table))
}

// awaitChildren waits for the readers of the init's pipes to reach EOF,
// for finishWait at most; then it gives up on them: closing the read ends
// stops the readers.
func (tl *timeline) awaitChildren(pipes []*os.File) {
	done := make(chan struct{})
	go func() {
		tl.readers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(finishWait):
		for _, r := range pipes {
			r.Close()
		}
	}
}

// timeTable lays out the table: the time of each phase (share), the CPU
// time before the tracer (parent start), and the peaks in KiB by who;
// child says whether an init was started, whose peak is missed when it
// did not report one.
func timeTable(run shares, cpu int64, peaks map[string]memory, child bool) string {
	times := maps.Clone(run.times)
	if times == nil {
		times = map[string]int64{}
	}
	times[phaseParentStart] = cpu
	var total int64
	for _, ns := range times {
		total += ns
	}
	var b strings.Builder
	b.WriteString(heading(fmt.Sprintf("--trace=time: where the run's %.2f ms went", milliseconds(total))))
	row(&b, "phase", "ms", "share", "what")
	for _, p := range phases {
		ns, ok := times[p.name]
		if !ok {
			row(&b, p.name, "-", "-", p.what)
			continue
		}
		what := p.what
		if p.name == phaseInitStart {
			what = initStartWhat(run, what)
		}
		row(&b, p.name, fmt.Sprintf("%.2f", milliseconds(ns)), percent(ns, total), what)
	}
	row(&b, "total", fmt.Sprintf("%.2f", milliseconds(total)), percent(total, total), "")
	for _, who := range peakOrder(peaks, child) {
		m, ok := peaks[who]
		value := "-"
		if ok {
			value = fmt.Sprintf("%.1f", mib(m.peak))
		}
		b.WriteString(fmt.Sprintf("%s  %-20s %9s %-7s  %s\n", prefix, "peak RSS, "+who, value, "MiB", peakSource(who, ok)))
		if ok && m.anon+m.file > 0 {
			b.WriteString(fmt.Sprintf("%s  %-20s %9s %-7s  %s\n", prefix, "", fmt.Sprintf("%.1f", mib(m.anon)), "MiB", "of it its own pages (RssAnon), at the end"))
			b.WriteString(fmt.Sprintf("%s  %-20s %9s %-7s  %s\n", prefix, "", fmt.Sprintf("%.1f", mib(m.file)), "MiB", "its binary's pages, shared in the page cache (RssFile)"))
		}
	}
	b.WriteString(prefix + "  parent start: CPU time used before kobako made its tracer (getrusage); the rest: wall-clock time (CLOCK_MONOTONIC)\n")
	return b.String()
}

// initStartWhat says what "init start" holds, with the init's whole
// start-up when the parent's steps hid part of it (timing.go).
func initStartWhat(run shares, what string) string {
	if run.initSpan-run.times[phaseInitStart] < 10_000 { // 0.01 ms: all of it is counted
		return what
	}
	return fmt.Sprintf("the init's execve and Go start-up: %.2f ms in all, partly hidden by the parent's steps", milliseconds(run.initSpan))
}

// row writes one line of the table: a phase, its milliseconds, its share
// of the total, and what it holds.
func row(b *strings.Builder, name, ms, share, what string) {
	b.WriteString(strings.TrimRight(fmt.Sprintf("%s  %-20s %9s %7s  %s", prefix, name, ms, share, what), " ") + "\n")
}

// peakOrder is the peaks' order in the table: the parent, the init (when
// one was started), then any other, by name.
func peakOrder(peaks map[string]memory, child bool) []string {
	order := []string{"parent"}
	if _, ok := peaks["init"]; ok || child {
		order = append(order, "init")
	}
	for _, who := range slices.Sorted(maps.Keys(peaks)) {
		if !slices.Contains(order, who) {
			order = append(order, who)
		}
	}
	return order
}

// peakSource says where a peak comes from.
func peakSource(who string, reported bool) string {
	switch {
	case who == "parent":
		return "getrusage(RUSAGE_SELF): ru_maxrss"
	case !reported:
		return "not reported: the init did not reach its execve"
	case who == "init":
		return "VmHWM in /proc/self/status, just before execve"
	}
	return "VmHWM in /proc/self/status"
}

// mib is KiB in MiB.
func mib(kib int64) float64 {
	return float64(kib) / 1024
}

func milliseconds(ns int64) float64 {
	return float64(ns) / 1e6
}

// percent is part's share of total, "12.5%".
func percent(part, total int64) string {
	if total <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(total))
}
