package seccomp

// The compiled programs, run on made-up calls by golang.org/x/net/bpf's
// interpreter the way the kernel runs a thread's filters: every program,
// newest first, the most restrictive answer kept. load_test.go runs them
// in the kernel itself.

import (
	"encoding/binary"
	"runtime"
	"strings"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/runtime/seccomp/program"
)

const (
	allow = unix.SECCOMP_RET_ALLOW
	eperm = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	enosy = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
)

// call is a system call as seccomp_data shows it to a filter.
type call struct {
	name   string
	args   [6]uint64
	arch   uint32 // AUDIT_ARCH_*; 0 for this machine's
	number int    // instead of name: a number of another ABI
}

// data lays call out as struct seccomp_data: nr, arch, instruction
// pointer, args. The interpreter loads words big-endian, as for network
// packets, where the kernel loads them in the machine's order; the
// programs load only 32-bit words, so each word goes in big-endian, and a
// 64-bit argument's low word first, as on a little-endian machine.
func (c call) data(t *testing.T, table *arch.Info) []byte {
	t.Helper()
	nr, audit := c.number, c.arch
	if c.name != "" {
		var ok bool
		if nr, ok = table.SyscallNames[c.name]; !ok {
			t.Fatalf("%s: not a system call of %s", c.name, table.Name)
		}
	}
	if audit == 0 {
		audit = uint32(table.ID)
	}
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[0:], uint32(nr))
	binary.BigEndian.PutUint32(b[4:], audit)
	for i, a := range c.args {
		binary.BigEndian.PutUint32(b[16+8*i:], uint32(a))
		binary.BigEndian.PutUint32(b[20+8*i:], uint32(a>>32))
	}
	return b
}

// verdict is what the kernel would answer to c under the compiled
// programs: each one runs, from the newest; an answer replaces the one so
// far only if its action is more restrictive (lower as a signed number:
// KILL_PROCESS is 0x80000000).
func verdict(t *testing.T, p *program.Program, called call) uint32 {
	t.Helper()
	table, err := nativeTable()
	if err != nil {
		t.Fatal(err)
	}
	data := called.data(t, table)
	var answer uint32
	for i := len(p.Filters) - 1; i >= 0; i-- {
		vm, err := bpf.NewVM(instructions(p.Filters[i]))
		if err != nil {
			t.Fatal(err)
		}
		ret, err := vm.Run(data)
		if err != nil {
			t.Fatal(err)
		}
		r := uint32(ret)
		if i == len(p.Filters)-1 || int32(r&unix.SECCOMP_RET_ACTION_FULL) < int32(answer&unix.SECCOMP_RET_ACTION_FULL) {
			answer = r
		}
	}
	return answer
}

// expect checks the verdict on each call.
func expect(t *testing.T, what string, s *specs.LinuxSeccomp, want map[uint32][]call) {
	t.Helper()
	p, err := Compile(s)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for answer, calls := range want {
		for _, called := range calls {
			if got := verdict(t, p, called); got != answer {
				t.Errorf("%s: %s%v (nr %d, arch %#x): answer %#x, want %#x", what, called.name, called.args, called.number, called.arch, got, answer)
			}
		}
	}
}

// instructions is a filter as x/net/bpf instructions, for its VM.
func instructions(filter []unix.SockFilter) []bpf.Instruction {
	insts := make([]bpf.Instruction, len(filter))
	for i, f := range filter {
		insts[i] = bpf.RawInstruction{Op: f.Code, Jt: f.Jt, Jf: f.Jf, K: f.K}.Disassemble()
	}
	return insts
}

func requireNativeFilter(t *testing.T) {
	t.Helper()
	if _, ok := scmpArch[runtime.GOARCH]; !ok {
		t.Skipf("kobako filters amd64 and arm64, not %s", runtime.GOARCH)
	}
}

func TestDefaultVerdicts(t *testing.T) {
	requireNativeFilter(t)
	denied := []call{}
	for _, name := range []string{"keyctl", "add_key", "request_key", "bpf", "perf_event_open", "kexec_load",
		"init_module", "open_by_handle_at", "unshare", "mount", "umount2", "setns", "pivot_root", "fsopen",
		"userfaultfd", "io_uring_setup", "swapon", "reboot", "kcmp"} {
		denied = append(denied, call{name: name})
	}
	denied = append(denied,
		call{name: "clone", args: [6]uint64{unix.CLONE_NEWUSER | uint64(unix.SIGCHLD)}},
		call{name: "clone", args: [6]uint64{unix.CLONE_NEWNET}},
		call{name: "personality", args: [6]uint64{addrNoRandomize}},
		// The argument's high word is the number of write: go-seccomp-bpf's
		// own program would compare it with write's number and allow it.
		call{name: "personality", args: [6]uint64{uint64(mustNumber(t, "write"))<<32 | addrNoRandomize}},
		call{name: "socket", args: [6]uint64{unix.AF_VSOCK}},
		call{name: "socket", args: [6]uint64{unix.AF_ALG}},
		call{name: "socket", args: [6]uint64{newestFamily + 1}},
		call{name: "socket", args: [6]uint64{1<<32 | unix.AF_INET}},
	)
	if runtime.GOARCH == "amd64" {
		// i386's getpid, through int 0x80: another ABI, the default action.
		denied = append(denied, call{number: 20, arch: unix.AUDIT_ARCH_I386})
	}
	allowed := []call{
		{name: "read"}, {name: "write"}, {name: "execve"}, {name: "exit_group"}, {name: "ptrace"}, {name: "chroot"},
		{name: "clone", args: [6]uint64{uint64(unix.SIGCHLD)}},
		{name: "clone", args: [6]uint64{unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD}},
		{name: "personality", args: [6]uint64{0xffffffff}},
		{name: "personality", args: [6]uint64{0x0020008}},
		{name: "socket", args: [6]uint64{unix.AF_INET6}},
		{name: "socket", args: [6]uint64{unix.AF_NETLINK}},
	}
	expect(t, "default", Default([]string{"CAP_SYS_CHROOT"}), map[uint32][]call{
		eperm: denied, allow: allowed, enosy: {{name: "clone3"}},
	})
}

func TestDefaultCapabilities(t *testing.T) {
	requireNativeFilter(t)
	expect(t, "CAP_SYS_ADMIN", Default([]string{"CAP_SYS_ADMIN"}), map[uint32][]call{
		allow: {{name: "mount"}, {name: "unshare"}, {name: "setns"}, {name: "clone3"}, {name: "bpf"},
			{name: "clone", args: [6]uint64{unix.CLONE_NEWUSER}}},
		eperm: {{name: "keyctl"}, {name: "open_by_handle_at"}, {name: "pivot_root"}, {name: "chroot"}},
	})
	expect(t, "CAP_DAC_READ_SEARCH", Default([]string{"CAP_DAC_READ_SEARCH"}), map[uint32][]call{
		allow: {{name: "open_by_handle_at"}},
		eperm: {{name: "mount"}, {name: "chroot"}},
	})
	expect(t, "CAP_SYS_PTRACE, CAP_SYS_MODULE", Default([]string{"CAP_SYS_PTRACE", "CAP_SYS_MODULE"}), map[uint32][]call{
		allow: {{name: "kcmp"}, {name: "pidfd_getfd"}, {name: "init_module"}, {name: "finit_module"}},
		eperm: {{name: "kexec_load"}, {name: "reboot"}},
	})
}

// A deny-list (default allow) names what it refuses; every other native
// call is allowed, calls of other ABIs are not: EPERM, and ENOSYS for x32.
func TestDenyList(t *testing.T) {
	requireNativeFilter(t)
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EACCES)},
		{Names: []string{"personality"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
			{Index: 0, Value: addrNoRandomize, ValueTwo: addrNoRandomize, Op: specs.OpMaskedEqual}}},
	}}
	want := map[uint32][]call{
		unix.SECCOMP_RET_ERRNO | uint32(unix.EACCES): {{name: "mkdirat"}},
		allow: {{name: "read"}, {name: "keyctl"}, {name: "personality", args: [6]uint64{0x8}}},
		eperm: {{name: "personality", args: [6]uint64{addrNoRandomize | 0x8}}},
	}
	if runtime.GOARCH == "amd64" {
		want[eperm] = append(want[eperm], call{number: 39, arch: unix.AUDIT_ARCH_I386}) // i386 mkdir, by int 0x80
		want[enosy] = []call{{number: 0x40000000 | 83}}                                 // x32 mkdir
	}
	expect(t, "deny-list", s, want)
}

// Rules on arguments: each operation, and the ways rules combine.
func TestArgs(t *testing.T) {
	requireNativeFilter(t)
	socket := func(args ...specs.LinuxSeccompArg) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: []string{"socket"}, Action: specs.ActAllow, Args: args}
	}
	arg := func(index uint, op specs.LinuxSeccompOperator, value, valueTwo uint64) specs.LinuxSeccompArg {
		return specs.LinuxSeccompArg{Index: index, Op: op, Value: value, ValueTwo: valueTwo}
	}
	profile := func(rules ...specs.LinuxSyscall) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: rules}
	}
	s := func(args ...uint64) call {
		c := call{name: "socket"}
		copy(c.args[:], args)
		return c
	}
	expect(t, "two args on one index: either", profile(socket(arg(0, specs.OpEqualTo, 1, 0), arg(0, specs.OpEqualTo, 2, 0))),
		map[uint32][]call{allow: {s(1), s(2)}, eperm: {s(3), s(0)}})
	expect(t, "args on two indexes: both", profile(socket(arg(0, specs.OpEqualTo, 2, 0), arg(1, specs.OpEqualTo, 1, 0))),
		map[uint32][]call{allow: {s(2, 1)}, eperm: {s(2, 2), s(1, 1)}})
	expect(t, "two rules: either", profile(socket(arg(0, specs.OpLessThan, 3, 0)), socket(arg(1, specs.OpGreaterThan, 1<<32, 0))),
		map[uint32][]call{allow: {s(2, 0), s(9, 1<<32+1)}, eperm: {s(3, 1<<32), s(9, 0xffffffff)}})
	expect(t, "LE, GE, NE", profile(socket(arg(0, specs.OpLessEqual, 3, 0), arg(1, specs.OpGreaterEqual, 1<<33, 0), arg(2, specs.OpNotEqual, 7, 0))),
		map[uint32][]call{allow: {s(3, 1<<33, 0), s(0, 1<<40, 8)}, eperm: {s(4, 1<<33, 0), s(3, 1<<33-1, 0), s(3, 1<<33, 7)}})
	expect(t, "(arg & 0x30) == 0x10", profile(socket(arg(0, specs.OpMaskedEqual, 0x30, 0x10))),
		map[uint32][]call{allow: {s(0x10), s(0x11), s(1<<32 | 0x10)}, eperm: {s(0x30), s(0x20), s(0)}})
	// An action other than allow on arguments, the default another errno.
	errnoSocket := specs.LinuxSyscall{Names: []string{"socket"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EAFNOSUPPORT),
		Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, unix.AF_VSOCK, 0)}}
	expect(t, "errno on args", profile(errnoSocket, specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActAllow}),
		map[uint32][]call{unix.SECCOMP_RET_ERRNO | uint32(unix.EAFNOSUPPORT): {s(unix.AF_VSOCK)}, eperm: {s(unix.AF_INET)}, allow: {{name: "read"}}})
}

// What kobako cannot express is refused, with a word on why.
func TestCompileRefuses(t *testing.T) {
	requireNativeFilter(t)
	withRule := func(rules ...specs.LinuxSyscall) specs.LinuxSeccomp {
		return specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: rules}
	}
	onArg := func(a specs.LinuxSeccompArg) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{a}}
	}
	for want, s := range map[string]specs.LinuxSeccomp{
		"seccomp agent":            {DefaultAction: specs.ActNotify},
		"listenerPath":             {DefaultAction: specs.ActErrno, ListenerPath: "/run/agent.sock"},
		"SECCOMP_FILTER_FLAG_WAIT": {DefaultAction: specs.ActErrno, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}},
		"this machine":             {DefaultAction: specs.ActErrno, Architectures: []specs.Arch{specs.ArchPPC64LE}},
		"unknown action":           {DefaultAction: "SCMP_ACT_MAYBE"},
		"errnoRet goes with":       withRule(specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActAllow, ErrnoRet: errnoRet(1)}),
		"errnoRet 0":               withRule(specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActErrno, ErrnoRet: errnoRet(0)}),
		"errnoRet 5000":            withRule(specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActErrno, ErrnoRet: errnoRet(5000)}),
		"unknown op":               withRule(onArg(specs.LinuxSeccompArg{Op: "SCMP_CMP_ROUGHLY"})),
		"arguments 0 to 5":         withRule(onArg(specs.LinuxSeccompArg{Index: 6, Op: specs.OpEqualTo})),
		"never matches":            withRule(onArg(specs.LinuxSeccompArg{Op: specs.OpMaskedEqual, Value: 0x10, ValueTwo: 0x20})),
		"matches every call":       withRule(onArg(specs.LinuxSeccompArg{Op: specs.OpMaskedEqual})),
		"no names":                 withRule(specs.LinuxSyscall{Action: specs.ActAllow}),
		"rules with args have two": withRule(onArg(specs.LinuxSeccompArg{Op: specs.OpEqualTo, Value: 1}), specs.LinuxSyscall{Names: []string{"socket"}, Action: specs.ActLog, Args: []specs.LinuxSeccompArg{{Op: specs.OpEqualTo, Value: 2}}}),
	} {
		_, err := Compile(&s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile %+v: error %v, want one that says %q", s, err, want)
		}
	}
}

// A profile names the calls of every architecture; those this machine does
// not have are left out, as runc leaves them out.
func TestCompileSkipsOtherArchNames(t *testing.T) {
	requireNativeFilter(t)
	expect(t, "chown32", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"chown32", "read", "no_such_call"}, Action: specs.ActAllow},
	}}, map[uint32][]call{allow: {{name: "read"}}, eperm: {{name: "write"}}})
}

func mustNumber(t *testing.T, name string) int {
	t.Helper()
	table, err := nativeTable()
	if err != nil {
		t.Fatal(err)
	}
	return table.SyscallNames[name]
}

// addrNoRandomize is ADDR_NO_RANDOMIZE of linux/personality.h: the persona
// flag that turns off address space randomisation.
const addrNoRandomize = 0x0040000

// An errno other than EPERM as the default (runc's tests use ENXIO):
// go-seccomp-bpf cannot put it in a program's default, so each native call
// gets it by name.
func TestDefaultErrno(t *testing.T) {
	requireNativeFilter(t)
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: errnoRet(unix.ENXIO),
		Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}}
	want := map[uint32][]call{
		unix.SECCOMP_RET_ERRNO | uint32(unix.ENXIO): {{name: "keyctl"}, {name: "mkdirat"}},
		allow: {{name: "read"}},
	}
	if runtime.GOARCH == "amd64" {
		want[eperm] = []call{{number: 20, arch: unix.AUDIT_ARCH_I386}}
	}
	expect(t, "defaultErrnoRet ENXIO", s, want)
}

// A call named by several rules is decided as under runc 1.1 and
// libseccomp 2.5 (see rules.add).
func TestTwoActionsFollowRunc(t *testing.T) {
	requireNativeFilter(t)
	plain := func(name string, action specs.LinuxSeccompAction) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: []string{name}, Action: action}
	}
	onArg := func(name string, action specs.LinuxSeccompAction, value uint64) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: []string{name}, Action: action,
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: value}}}
	}
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
		// The first rule without args wins: setns allowed, as podman means.
		plain("setns", specs.ActAllow), plain("setns", specs.ActErrno),
		plain("unshare", specs.ActKillProcess), plain("unshare", specs.ActAllow),
		// A rule without args wins over rules with args, before or after.
		onArg("socket", specs.ActAllow, unix.AF_INET), plain("socket", specs.ActKillProcess),
		plain("personality", specs.ActAllow), onArg("personality", specs.ActKillProcess, 8),
		// A rule with the default action is skipped: its args are never
		// compared, so its "two actions" with the rule after do not count.
		onArg("mkdirat", specs.ActErrno, 1), onArg("mkdirat", specs.ActAllow, 2),
		// … nor is it the "first rule": the allow after it is.
		plain("fchdir", specs.ActErrno), plain("fchdir", specs.ActAllow),
	}}
	kill := uint32(unix.SECCOMP_RET_KILL_PROCESS)
	expect(t, "two actions", s, map[uint32][]call{
		allow: {{name: "setns"}, {name: "personality", args: [6]uint64{8}}, {name: "mkdirat", args: [6]uint64{2}}, {name: "fchdir"}},
		eperm: {{name: "mkdirat", args: [6]uint64{1}}},
		kill:  {{name: "unshare"}, {name: "socket", args: [6]uint64{unix.AF_INET}}},
	})
}
