package runtime

// Reading /proc/<pid>/stat: the process state letter and its start time,
// which together tell whether a pid is still the container's init.
// Shell twin: cut -d' ' -f3,22 /proc/$PID/stat — see proc(5).

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

type procStat struct {
	state     byte   // R, S, D, Z, …
	startTime uint64 // clock ticks after boot
}

// StartTime is when process pid started, in clock ticks after boot: with
// the pid, it names one process for good (a pid alone can be reused).
func StartTime(pid int) (uint64, error) {
	st, err := readProcStat(pid)
	return st.startTime, err
}

func readProcStat(pid int) (procStat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(string(data))
}

// parseProcStat parses one /proc/<pid>/stat line. The command name (field 2)
// is in parentheses and may itself hold spaces and ")", so fields are
// counted from the last ")".
func parseProcStat(line string) (procStat, error) {
	end := strings.LastIndexByte(line, ')')
	if end < 0 {
		return procStat{}, fmt.Errorf("parse /proc/pid/stat: no command name in %q", line)
	}
	// After ") " come fields 3, 4, …: state is field 3, starttime field 22.
	fields := strings.Fields(line[end+1:])
	if len(fields) < 20 || len(fields[0]) != 1 {
		return procStat{}, fmt.Errorf("parse /proc/pid/stat: too few fields in %q", line)
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("parse /proc/pid/stat start time: %w", err)
	}
	return procStat{state: fields[0][0], startTime: start}, nil
}
