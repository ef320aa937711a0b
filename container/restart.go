package container

// Restart policies (`kobako run -d --restart on-failure:3`): when a
// detached container's PID 1 exits, its monitor (monitor.go) may start it
// again, the way `kobako start` does — the old runtime state and cgroup
// go, the bundle and its layer stay — after a pause that doubles from
// 100 ms up to a minute, as docker's restart manager waits. The shell
// twin is a supervisor loop:
//
//	until sh -c 'exit 3'; do sleep $delay; delay=$((delay*2)); done
//
// A person's stop, kill or rm -f always wins: they write "stopped by the
// user" into the record before they signal, and the monitor reads it
// before every restart and once more after re-creating the init.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// RestartPolicy is docker's HostConfig.RestartPolicy: "no", "on-failure"
// (at most MaximumRetryCount times when it is above 0), "always" or
// "unless-stopped".
type RestartPolicy struct {
	Name              string `json:"name"`
	MaximumRetryCount int    `json:"maximumRetryCount,omitempty"`
}

// Restart policy names, as docker spells them.
const (
	RestartNo            = "no"
	RestartOnFailure     = "on-failure"
	RestartAlways        = "always"
	RestartUnlessStopped = "unless-stopped"
)

// ParseRestartPolicy reads --restart's value: no, on-failure[:N], always,
// unless-stopped.
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	name, max, hasMax := strings.Cut(s, ":")
	p := RestartPolicy{Name: name}
	switch name {
	case "", RestartNo:
		p.Name = RestartNo
	case RestartOnFailure:
		if !hasMax {
			return p, nil
		}
		n, err := strconv.Atoi(max)
		if err != nil || n < 0 {
			return p, fmt.Errorf("--restart %s: the most restarts must be a whole number, like on-failure:3", s)
		}
		p.MaximumRetryCount = n
		return p, nil
	case RestartAlways, RestartUnlessStopped:
	default:
		return p, fmt.Errorf("--restart %s: want no, on-failure[:N], always or unless-stopped", s)
	}
	if hasMax {
		return p, fmt.Errorf("--restart %s: only on-failure takes a count of restarts", s)
	}
	return p, nil
}

// IsNo says the container is never restarted.
func (p RestartPolicy) IsNo() bool { return p.Name == "" || p.Name == RestartNo }

// String is the policy as --restart takes it.
func (p RestartPolicy) String() string {
	if p.Name == RestartOnFailure && p.MaximumRetryCount > 0 {
		return fmt.Sprintf("%s:%d", p.Name, p.MaximumRetryCount)
	}
	if p.Name == "" {
		return RestartNo
	}
	return p.Name
}

// shouldRestart decides, as docker's restart manager does, whether a
// container that exited with code after restarts restarts goes on. The
// user's stop comes first; unless-stopped differs from always only when
// the daemon starts, which kobako has not.
func (p RestartPolicy) shouldRestart(code, restarts int, stoppedByUser bool) bool {
	if stoppedByUser {
		return false
	}
	switch p.Name {
	case RestartAlways, RestartUnlessStopped:
		return true
	case RestartOnFailure:
		return code != 0 && (p.MaximumRetryCount == 0 || restarts < p.MaximumRetryCount)
	}
	return false
}

// Docker's restart delays: 100 ms, doubled at each restart, at most a
// minute, and back to 100 ms once a run lasted 10 s (it was not a crash
// loop then).
const (
	firstRestartDelay = 100 * time.Millisecond
	maxRestartDelay   = time.Minute
	healthyRun        = 10 * time.Second
)

// nextRestartDelay is the wait before the next restart, after waiting prev
// before the run that lasted ran.
func nextRestartDelay(prev, ran time.Duration) time.Duration {
	if prev == 0 || ran >= healthyRun {
		return firstRestartDelay
	}
	return min(2*prev, maxRestartDelay)
}

// UserStops says whether kill -s sig disables c's restart policy until its
// next start: as docker does, its stop signal or KILL; any signal when it
// has no stop signal of its own. (kill -s HUP to a server with
// --stop-signal QUIT is a reload, not a stop.)
func (c *Container) UserStops(sig unix.Signal) bool {
	if sig == unix.SIGKILL || c.StopSignal == "" {
		return true
	}
	own := unix.SignalNum("SIG" + strings.TrimPrefix(strings.ToUpper(c.StopSignal), "SIG"))
	if n, err := strconv.Atoi(c.StopSignal); err == nil {
		own = unix.Signal(n)
	}
	return own == sig
}

// markStoppedByUser writes "stopped by the user" into c's record, before
// stop, kill or rm signals it: the monitor then does not restart it.
func (s *Store) markStoppedByUser(c *Container) error {
	if c.RestartPolicy.IsNo() {
		return nil
	}
	err := s.update(c, func(r *Record) { r.StoppedByUser = true })
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// errStoppedByUser ends a restart that a stop or rm overtook.
var errStoppedByUser = errors.New("stopped by the user")

// stoppedByUser reads the record as it is now: stopped by the user, or
// removed.
func (s *Store) stoppedByUser(c *Container) bool {
	now, err := s.load(c.ID)
	return err != nil || now.StoppedByUser
}

// waitToRestart sleeps delay before a restart, looking every 100 ms
// whether a stop or rm came meanwhile: then it says no, at once, and the
// monitor ends.
func (s *Store) waitToRestart(c *Container, delay time.Duration) bool {
	for end := time.Now().Add(delay); ; {
		if s.stoppedByUser(c) {
			return false
		}
		left := time.Until(end)
		if left <= 0 {
			return true
		}
		time.Sleep(min(left, 100*time.Millisecond))
	}
}

// The monitor holds an flock on monitor.lock for as long as it lives, so
// that "restarting" is believed only while someone will restart it: a
// SIGKILLed monitor's lock goes with it. A foreground run, the other kind
// of waiting parent, holds it too (run.go): a container created and never
// started whose lock is free has nobody left to start it (status.go).
const monitorLockName = "monitor.lock"

// holdMonitorLock takes the lock; closing the file releases it.
func holdMonitorLock(c *Container) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(c.Bundle, monitorLockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	// flock -x $CONTAINER/monitor.lock
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("flock %s: %w", f.Name(), err)
	}
	return f, nil
}

// monitorAlive says whether a monitor holds c's lock.
func monitorAlive(c *Container) bool {
	f, err := os.Open(filepath.Join(c.Bundle, monitorLockName))
	if err != nil {
		return false
	}
	defer f.Close()
	return lockHeld(f)
}

// lockHeld: flock -n -s $CONTAINER/monitor.lock fails while the monitor
// lives.
func lockHeld(f *os.File) bool {
	return errors.Is(unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB), unix.EWOULDBLOCK)
}

// watchMonitor opens c's monitor lock now, so that the monitor's end can
// be awaited even once rm has removed the bundle; await waits at most
// timeout. After a stop or rm the monitor has nothing left to restart,
// and the command returns only once it is gone: then nothing of the
// container comes back.
func watchMonitor(c *Container) (await func(timeout time.Duration)) {
	f, err := os.Open(filepath.Join(c.Bundle, monitorLockName))
	if err != nil || c.RestartPolicy.IsNo() {
		if f != nil {
			f.Close()
		}
		return func(time.Duration) {}
	}
	return func(timeout time.Duration) {
		defer f.Close()
		for end := time.Now().Add(timeout); lockHeld(f) && time.Now().Before(end); {
			time.Sleep(20 * time.Millisecond)
		}
	}
}
