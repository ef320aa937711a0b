package cgroups

// The Manager: what the runtime asks of a container's cgroup, the same for
// v1 and v2. Shell twin of the whole life of one (v1, the article's):
//
//	cgcreate -g cpu,memory:$UUID                         # New + Apply: mkdir
//	cgset -r memory.limit_in_bytes=10000000 $UUID        # Set
//	cgexec -g cpu,memory:$UUID …                         # Apply: echo $PID > cgroup.procs
//	cgdelete cpu,memory:$UUID                            # Destroy: rmdir

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
)

// Manager controls one container's cgroup.
type Manager interface {
	// Apply creates the cgroup and moves pid into it.
	Apply(pid int) error
	// Enter makes a process started from the calling OS thread (which the
	// caller has locked) be born in the cgroup: on v1 the thread itself
	// joins, on v2 it returns a directory fd for clone3's
	// CLONE_INTO_CGROUP (-1 on v1). `kobako exec` uses it.
	Enter() (cgroupFD int, err error)
	// Set writes the limits of r into the cgroup's files.
	Set(r *specs.LinuxResources) error
	// Stats reads usage and limits.
	Stats() (*Stats, error)
	// OOMKilled reports whether the kernel's OOM killer killed a process
	// of this cgroup, from the kernel's own record.
	OOMKilled() (bool, error)
	// Destroy removes the (empty) cgroup, and kobako's own parent
	// (/kobako) when nothing else is left in it; an engine's parents stay.
	Destroy() error
	// Freeze stops every process of the cgroup at once (true) or lets
	// them go on (false), and returns once the kernel says it is done:
	// docker pause and unpause (v1_freezer.go, v2_freeze.go).
	Freeze(frozen bool) error
	// Frozen says whether the cgroup is frozen: a paused container.
	Frozen() (bool, error)
	// Procs lists the host pids of the cgroup's processes, from
	// cgroup.procs (procs.go): `kobako top`.
	Procs() ([]int, error)
}

// Stats is what `kobako stats` shows.
type Stats struct {
	MemoryUsage   uint64        `json:"memoryUsage"`           // bytes now
	MemoryPeak    uint64        `json:"memoryPeak,omitempty"`  // bytes, highest so far (0: the kernel does not say)
	MemoryLimit   uint64        `json:"memoryLimit,omitempty"` // bytes; 0 = no limit
	CPUUsage      time.Duration `json:"cpuUsageNs"`
	NrPeriods     uint64        `json:"nrPeriods"`   // CFS periods with a quota
	NrThrottled   uint64        `json:"nrThrottled"` // … in which the cgroup was throttled
	ThrottledTime time.Duration `json:"throttledNs"`
	Pids          uint64        `json:"pids"`
	PidsLimit     uint64        `json:"pidsLimit,omitempty"` // 0 = no limit
	OOMKills      uint64        `json:"oomKills"`            // processes the OOM killer killed
}

// New returns the manager for the cgroup at path (absolute, at any depth:
// "/kobako/<id>", "/docker/<id>", "/a/b/c/d") on this host's layout.
func New(l *Layout, cgroupPath string, tr *trace.Tracer) (Manager, error) {
	if err := checkPath(cgroupPath); err != nil {
		return nil, err
	}
	if l.Mode == V1 {
		return &v1{layout: l, path: cgroupPath, tr: tr}, nil
	}
	return &v2{root: l.V2, path: cgroupPath, tr: tr}, nil
}

// writeFile writes one value into one cgroup file, the way the article's
// cgset and `echo … >` do. Cgroup files are never created: O_CREAT is
// absent, so a file this kernel lacks is an error naming it.
func writeFile(tr *trace.Tracer, dir, file, value string) error {
	tr.Helper() // the trace names the controller's file that set it
	p := dir + "/" + file
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err == nil {
		_, err = f.WriteString(value)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if tr.Enabled() {
		tr.Step("set "+file, fmt.Sprintf("echo %s > %s", shellWord(value), p), fmt.Sprintf("os.WriteFile(%q, %q)", p, value), err)
	}
	if err != nil {
		// The path is in our message already; keep only the kernel's word.
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("write %q to %s: %w", value, p, err)
	}
	return nil
}

// shellWord quotes value for the trace's shell twin when the shell would
// split or expand it: echo 'c *:* m' > devices.allow.
func shellWord(value string) string {
	if strings.ContainsAny(value, " *?[]$'\"\\") {
		return "'" + strings.ReplaceAll(value, "'", `'\''`) + "'"
	}
	return value
}

// readFile reads one cgroup file, trimmed.
func readFile(dir, file string) (string, error) {
	data, err := os.ReadFile(dir + "/" + file)
	return strings.TrimSpace(string(data)), err
}

// mkdir creates one cgroup directory (mkdir is how a cgroup is made).
func mkdir(tr *trace.Tracer, dir string) error {
	// mkdir $CGROUP
	err := os.Mkdir(dir, 0o755)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	tr.Step("create cgroup", "mkdir "+dir, fmt.Sprintf("os.Mkdir(%q, 0o755)", dir), err)
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("mkdir %s: %w", dir, pe.Err)
	}
	return err
}

// rmdir removes one cgroup directory. Right after the last process exits
// the kernel may still hold it for a moment (EBUSY): retry briefly.
func rmdir(tr *trace.Tracer, dir string) error {
	var err error
	for i := 0; i < 50; i++ {
		// rmdir $CGROUP
		err = os.Remove(dir)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			tr.Step("remove cgroup", "rmdir "+dir, fmt.Sprintf("os.Remove(%q)", dir), nil)
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is in our message already
	}
	return fmt.Errorf("rmdir %s: %w", dir, err)
}
