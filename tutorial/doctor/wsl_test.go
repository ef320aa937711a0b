package doctor

import (
	"slices"
	"testing"
)

// The kernel strings of each world, as they read in /proc.
const (
	wsl2Release = "6.6.87.2-microsoft-standard-WSL2"
	wsl2Version = "Linux version 6.6.87.2-microsoft-standard-WSL2 (root@439a258ad544) (gcc (GCC) 11.2.0, GNU ld (GNU Binutils) 2.37) #1 SMP PREEMPT_DYNAMIC Thu Jun  5 18:30:46 UTC 2025\n"
	wsl1Release = "4.4.0-19041-Microsoft"
	wsl1Version = "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) #1237-Microsoft Sat Sep 11 14:32:00 PST 2021\n"
)

func TestWSLKind(t *testing.T) {
	for _, tt := range []struct {
		release, version string
		want             int
	}{
		{wsl2Release, wsl2Version, 2},
		{"5.15.153.1-microsoft-standard-WSL2", "", 2},
		{"4.19.128-microsoft-standard", "", 2},   // WSL 2's first kernels
		{"6.8.9-locietta-WSL2-xanmod1.1", "", 2}, // one a learner built
		{wsl1Release, wsl1Version, 1},            // WSL 1's imitation
		{"4.4.0-22000-Microsoft", "", 1},         // release alone
		{"6.8.0-31-generic", "Linux version 6.8.0-31-generic (buildd@lcy02-amd64-080)", 0},
		{"6.1.0-28-amd64", "", 0},
	} {
		if got := wslKind(tt.release, tt.version); got != tt.want {
			t.Errorf("wslKind(%q, %q) = %d, want %d", tt.release, tt.version, got, tt.want)
		}
	}
}

// Each WSL world, made with a fake /proc: status, variant, the chapters
// it stops, and its words in both languages.
func TestWSLFindings(t *testing.T) {
	wsl2 := func(pid1 string) func(t *testing.T, h *Host) {
		return func(t *testing.T, h *Host) {
			h.Release = wsl2Release
			write(t, h.Proc, "sys/kernel/osrelease", wsl2Release+"\n")
			write(t, h.Proc, "version", wsl2Version)
			write(t, h.Proc, "1/comm", pid1+"\n")
		}
	}
	tests := []struct {
		name    string
		change  func(t *testing.T, h *Host)
		status  Status
		variant string
		blocks  []string
		show    []string
	}{
		{"not WSL", nil, OK, "none", nil, nil},
		{"WSL 2 with systemd", wsl2("systemd"), Note, "systemd", nil,
			[]string{wsl2Release, "wsl --shutdown", "/mnt/c"}},
		{"WSL 2 without systemd", wsl2("init"), Note, "init", nil,
			[]string{wsl2Release, "/etc/wsl.conf", "systemd=true", "wsl --shutdown"}},
		{"WSL 2, osrelease unreadable: uname -r", func(t *testing.T, h *Host) {
			h.Release = wsl2Release
			write(t, h.Proc, "1/comm", "systemd\n")
		}, Note, "systemd", nil, []string{wsl2Release}},
		{"WSL 1", func(t *testing.T, h *Host) {
			h.Release = wsl1Release
			write(t, h.Proc, "sys/kernel/osrelease", wsl1Release+"\n")
			write(t, h.Proc, "version", wsl1Version)
			write(t, h.Proc, "1/comm", "init\n")
		}, Fail, "wsl1", containerChapters, []string{wsl1Release, "wsl --set-version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakeHost(t)
			if tt.change != nil {
				tt.change(t, &h)
			}
			fs := Check(h)
			f := findingOf(t, fs, "wsl")
			if f.Status != tt.status || f.Variant != tt.variant {
				t.Fatalf("wsl: status %v variant %q, want %v %q (args %v)", f.Status, f.Variant, tt.status, tt.variant, f.Args)
			}
			if f.Group != GroupHost {
				t.Errorf("wsl is in group %q, want %q", f.Group, GroupHost)
			}
			if !slices.Equal(f.Blocks, tt.blocks) {
				t.Errorf("wsl blocks %v, want %v", f.Blocks, tt.blocks)
			}
			checkExplained(t, fs, f, tt.show)
		})
	}
}

// WSL 2 blocks no chapter by itself: a WSL 2 host that is otherwise
// healthy runs the whole tutorial.
func TestWSL2Runnable(t *testing.T) {
	h := fakeHost(t)
	h.Release = wsl2Release
	write(t, h.Proc, "sys/kernel/osrelease", wsl2Release+"\n")
	write(t, h.Proc, "1/comm", "init\n")
	if ok, blocked := Runnable(Check(h)); !ok {
		t.Errorf("WSL 2 host: blocked %v", blocked)
	}
}
