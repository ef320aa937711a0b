package program

// The format of marshal.go: a program comes back as it went, byte for
// byte; anything cut short, too big or foreign is refused in words.

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// deny is a filter that makes system call nr fail with errno and lets
// every other call through:
//
//	ld  [0]            ; A = seccomp_data.nr
//	jeq #nr, 0, 1
//	ret #ERRNO|errno
//	ret #ALLOW
//
// It does not look at seccomp_data.arch: the tests' threads make only
// native calls (a real profile checks it, see package seccomp).
func deny(nr uintptr, errno unix.Errno) []unix.SockFilter {
	return []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: uint32(nr)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(errno)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
}

// allowAll is the smallest filter: ret #ALLOW.
var allowAll = []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}

// filterOf is a filter of n instructions (n-1 no-op jumps, then allow):
// a valid program of any size up to BPF_MAXINSNS.
func filterOf(n int) []unix.SockFilter {
	f := make([]unix.SockFilter, n)
	for i := range f[:n-1] {
		f[i] = unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JA}
	}
	f[n-1] = allowAll[0]
	return f
}

// samples are programs that must survive the round trip.
func samples() map[string]*Program {
	return map[string]*Program{
		"no filters":         {},
		"one filter":         {Filters: [][]unix.SockFilter{allowAll}},
		"two filters, LOG":   {Flags: unix.SECCOMP_FILTER_FLAG_LOG, Filters: [][]unix.SockFilter{deny(unix.SYS_GETPPID, unix.EPERM), allowAll}},
		"SPEC_ALLOW, LOG":    {Flags: Supported, Filters: [][]unix.SockFilter{deny(unix.SYS_GETPGID, unix.ENOTTY)}},
		"BPF_MAXINSNS":       {Filters: [][]unix.SockFilter{filterOf(BPFMaxInsns)}},
		"MAX_INSNS_PER_PATH": {Filters: pathFull()},
		"every bit in place": {Filters: [][]unix.SockFilter{{{Code: 0xfedc, Jt: 0xba, Jf: 0x98, K: 0x76543210}}}},
	}
}

// pathFull is 8 filters of BPF_MAXINSNS less what MAX_INSNS_PER_PATH
// charges for each but the last: exactly the most one thread may hold.
func pathFull() [][]unix.SockFilter {
	var filters [][]unix.SockFilter
	for range 7 {
		filters = append(filters, filterOf(BPFMaxInsns-4))
	}
	return append(filters, filterOf(MaxInsnsPerPath-7*BPFMaxInsns))
}

func TestRoundTrip(t *testing.T) {
	for name, p := range samples() {
		data, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("%s: marshal: %v", name, err)
		}
		got, err := Unmarshal(data)
		if err != nil {
			t.Fatalf("%s: unmarshal: %v", name, err)
		}
		if len(p.Filters) == 0 && len(got.Filters) == 0 {
			got.Filters = p.Filters // nil and empty are both "no filters"
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("%s: the round trip changed the program", name)
		}
		if p.Insns() > MaxInsnsPerPath {
			t.Errorf("%s: %d instructions, over MAX_INSNS_PER_PATH: not a sample the kernel takes", name, p.Insns())
		}
	}
}

// The bytes of a small program, spelled out: the format of marshal.go.
func TestFormat(t *testing.T) {
	p := &Program{Flags: unix.SECCOMP_FILTER_FLAG_LOG, Filters: [][]unix.SockFilter{allowAll,
		{{Code: 0x20, K: 4}, {Code: 0x06, K: 0x7fff0000}}}}
	data, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := "4b425046" + "0100" + "0200" + "02000000" + // "KBPF", version 1, 2 filters, SECCOMP_FILTER_FLAG_LOG
		"0100" + "0600" + "00" + "00" + "0000ff7f" + // 1 instruction: ret #SECCOMP_RET_ALLOW
		"0200" + "2000" + "00" + "00" + "04000000" + "0600" + "00" + "00" + "0000ff7f" // ld [4]; ret #ALLOW
	if got := hex.EncodeToString(data); got != want {
		t.Errorf("bytes:\n got %s\nwant %s", got, want)
	}
}

func TestUnmarshalRefuses(t *testing.T) {
	valid, err := samples()["two filters, LOG"].MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// Every prefix of a valid program is cut short.
	for n := range len(valid) {
		if _, err := Unmarshal(valid[:n]); err == nil {
			t.Errorf("the first %d of %d bytes: accepted", n, len(valid))
		}
	}
	with := func(offset int, b ...byte) []byte {
		data := bytes.Clone(valid)
		copy(data[offset:], b)
		return data
	}
	tooMany := func(filters [][]unix.SockFilter) []byte {
		// Past MarshalBinary's own check: the bytes an attacker would write.
		p := &Program{Filters: [][]unix.SockFilter{allowAll}}
		data, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		data[6], data[7] = byte(len(filters)), byte(len(filters)>>8)
		data = data[:headerSize]
		for _, f := range filters {
			data = append(data, byte(len(f)), byte(len(f)>>8))
			for range f {
				data = append(data, make([]byte, insnSize)...)
			}
		}
		return data
	}
	for want, data := range map[string][]byte{
		"shorter than the":         nil,
		"magic":                    with(0, 'E', 'L', 'F', 0),
		"format version 2":         with(4, 2, 0),
		"only SECCOMP_FILTER_FLAG": with(8, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER),
		"65535 filters announced":  with(6, 0xff, 0xff),
		"bytes after the last":     append(bytes.Clone(valid), 0),
		"0 instructions":           with(headerSize, 0, 0),
		"4097 instructions":        with(headerSize, 0x01, 0x10),
		"instructions announced":   with(headerSize, 0xff, 0x0f),
		"MAX_INSNS_PER_PATH":       tooMany(append(pathFull(), allowAll)),
		"garbage":                  []byte(strings.Repeat("garbage ", 8)),
	} {
		_, err := Unmarshal(data)
		if want == "garbage" {
			want = "magic"
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one that says %q", want, err, want)
		}
	}
}

func TestMarshalRefuses(t *testing.T) {
	if _, err := (*Program)(nil).MarshalBinary(); err == nil {
		t.Error("marshal nil: no error")
	}
	for want, p := range map[string]*Program{
		"is empty":           {Filters: [][]unix.SockFilter{allowAll, {}}},
		"4097 instructions":  {Filters: [][]unix.SockFilter{filterOf(BPFMaxInsns + 1)}},
		"MAX_INSNS_PER_PATH": {Filters: append(pathFull(), allowAll)},
		"flags 0x1":          {Flags: unix.SECCOMP_FILTER_FLAG_TSYNC, Filters: [][]unix.SockFilter{allowAll}},
	} {
		if _, err := p.MarshalBinary(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("marshal: error %v, want one that says %q", err, want)
		}
	}
}
