package runtime

import (
	"os"
	"strings"
	"testing"
)

// The fields after the command name of a real /proc/1/stat, from field 3
// (state, here "S") on; field 22, the start time, is 14.
const statTail = "0 1 1 0 -1 4194560 118345 2412958 107 1463 337 303 5265 2025 20 0 1 0 14 172892160 3163 18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 2 0 0 0 0 0 0 0 0 0 0 0 0 0"

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       procStat
		wantErr    bool
	}{
		{"plain", "1 (systemd) S " + statTail, procStat{'S', 14}, false},
		{"trailing newline", "1 (systemd) S " + statTail + "\n", procStat{'S', 14}, false},
		{"zombie", "42 (sleep) Z " + statTail, procStat{'Z', 14}, false},
		// comm is whatever the program set (prctl PR_SET_NAME, up to 15
		// bytes): spaces and ")" included, even a fake field list.
		{"spaces", "7 (tmux: server) R " + statTail, procStat{'R', 14}, false},
		{"parenthesis", "7 (a) b) D " + statTail, procStat{'D', 14}, false},
		{"fake fields", "7 () R 0 0 0) S " + statTail, procStat{'S', 14}, false},
		{"empty comm", "7 () T " + statTail, procStat{'T', 14}, false},
		{"large start time", "7 (x) S " + strings.Replace(statTail, " 14 ", " 18446744073709551615 ", 1), procStat{'S', 1<<64 - 1}, false},

		{"empty", "", procStat{}, true},
		{"no command name", "7 x S " + statTail, procStat{}, true},
		{"too few fields", "7 (x) S 0 1 1 0", procStat{}, true},
		{"state not a letter", "7 (x) SS " + statTail, procStat{}, true},
		{"start time not a number", "7 (x) S " + strings.Replace(statTail, " 14 ", " x ", 1), procStat{}, true},
		{"start time negative", "7 (x) S " + strings.Replace(statTail, " 14 ", " -1 ", 1), procStat{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat(tt.line)
			if tt.wantErr {
				if err == nil {
					t.Errorf("parseProcStat(%q) = %+v, want an error", tt.line, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseProcStat(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
			}
		})
	}
}

// Our own /proc/self/stat, read by readProcStat: we are running, and we
// started some ticks after boot.
func TestReadProcStatSelf(t *testing.T) {
	st, err := readProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.state != 'R' && st.state != 'S' {
		t.Errorf("our own state %q, want R or S", st.state)
	}
	if st.startTime == 0 {
		t.Errorf("our own start time is 0")
	}
}
