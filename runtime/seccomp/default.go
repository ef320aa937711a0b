package seccomp

// The default profile: what docker's default seccomp profile does, written
// out as kobako's own table. Shell twin: docker run without --security-opt
// seccomp=…, whose profile lives in github.com/moby/profiles/seccomp
// (default_linux.go); the facts here follow it.
//
// The lists name the system calls of x86_64 and of aarch64 together. The
// older x86_64 calls (open, stat, fork, …) have no aarch64 number, which
// has only their *at successors: Compile skips each name the machine does
// not have, so one table serves both.

import (
	"runtime"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// everyday are the system calls that ordinary programs need, allowed to
// every container whatever its capabilities. A call that needs privilege is
// here only if the kernel checks that privilege itself (chown, setuid,
// adjtimex only reads without CAP_SYS_TIME): seccomp then adds nothing.
var everyday = [][]string{
	// Files and directories.
	{"access", "faccessat", "faccessat2", "chdir", "fchdir", "getcwd", "umask",
		"chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "fchownat", "lchown",
		"creat", "open", "openat", "openat2", "close", "close_range", "dup", "dup2", "dup3",
		"read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev", "pwritev2",
		"lseek", "fcntl", "flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
		"fallocate", "truncate", "ftruncate", "fadvise64", "readahead", "cachestat",
		"copy_file_range", "sendfile", "splice", "tee", "vmsplice",
		// go-seccomp-bpf's aarch64 table calls newfstatat "fstatat".
		"stat", "fstat", "lstat", "newfstatat", "fstatat", "statx", "statfs", "fstatfs",
		"getdents", "getdents64", "mkdir", "mkdirat", "mknod", "mknodat", "rmdir",
		"rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat",
		"readlink", "readlinkat", "utime", "utimes", "utimensat", "futimesat", "name_to_handle_at"},
	// Extended attributes.
	{"getxattr", "lgetxattr", "fgetxattr", "getxattrat", "setxattr", "lsetxattr", "fsetxattr", "setxattrat",
		"listxattr", "llistxattr", "flistxattr", "listxattrat", "removexattr", "lremovexattr", "fremovexattr", "removexattrat"},
	// Waiting for events, and asynchronous I/O (the old io_* API; io_uring
	// is not here).
	{"poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
		"epoll_wait", "epoll_wait_old", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
		"signalfd", "signalfd4", "timerfd_create", "timerfd_gettime", "timerfd_settime",
		"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_mark",
		"io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents", "ioctl"},
	// Processes, threads and scheduling (clone is decided by its flags,
	// below).
	{"execve", "execveat", "exit", "exit_group", "fork", "vfork", "wait4", "waitid",
		"kill", "tgkill", "tkill", "getpid", "getppid", "gettid", "getpgid", "getpgrp", "setpgid", "getsid", "setsid",
		"pidfd_open", "pidfd_send_signal", "process_mrelease", "set_tid_address", "prctl",
		"getpriority", "setpriority", "getrlimit", "setrlimit", "prlimit64", "getrusage",
		"sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getattr", "sched_setattr",
		"sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
		"sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
		"ioprio_get", "ioprio_set", "getcpu", "rseq", "restart_syscall", "membarrier",
		"futex", "futex_waitv", "futex_wait", "futex_wake", "futex_requeue", "set_robust_list", "get_robust_list",
		"capget", "capset", "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"},
	// User and group ids: the kernel checks CAP_SETUID and CAP_SETGID.
	{"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
		"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid"},
	// Memory.
	{"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync", "remap_file_pages",
		"mlock", "mlock2", "mlockall", "munlock", "munlockall", "memfd_create", "memfd_secret",
		"pkey_alloc", "pkey_free", "pkey_mprotect", "mseal"},
	// Signals.
	{"rt_sigaction", "rt_sigprocmask", "rt_sigpending", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
		"rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "sigaltstack", "pause"},
	// Time and timers.
	{"clock_gettime", "clock_getres", "clock_nanosleep", "clock_adjtime", "adjtimex", "gettimeofday",
		"nanosleep", "time", "times", "alarm", "getitimer", "setitimer",
		"timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime"},
	// Sockets, once made (socket itself is decided by its family, below).
	{"socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname", "getpeername",
		"getsockopt", "setsockopt", "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg", "shutdown"},
	// Pipes and System V / POSIX IPC (the container has its own IPC
	// namespace).
	{"pipe", "pipe2", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop", "semctl",
		"shmget", "shmat", "shmdt", "shmctl",
		"mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr"},
	// The system and its mounts, read only.
	{"uname", "sysinfo", "getrandom", "statmount", "listmount"},
	// x86_64's own: thread-local storage, the LDT, shadow stacks, uprobes.
	{"arch_prctl", "modify_ldt", "get_thread_area", "set_thread_area", "map_shadow_stack", "uretprobe"},
	// Tracing: since Linux 4.8 a tracer cannot smuggle a tracee's calls past
	// its filter, so docker allows these; ptrace's own rules still apply.
	{"ptrace", "process_vm_readv", "process_vm_writev"},
}

// unlockedBy are the system calls that a capability makes safe to allow:
// the capability already lets root in the container do what they do.
var unlockedBy = []struct {
	capability string
	syscalls   []string
}{
	{"CAP_SYS_ADMIN", []string{
		"mount", "umount2", "mount_setattr", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
		// open_tree_attr (Linux 6.15) is open_tree and mount_setattr in
		// one; docker's list predates it.
		"open_tree", "open_tree_attr", "unshare", "setns", "clone", "clone3",
		"sethostname", "setdomainname", "quotactl", "quotactl_fd", "syslog", "lookup_dcookie",
		"bpf", "perf_event_open", "fanotify_init", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules"}},
	{"CAP_DAC_READ_SEARCH", []string{"open_by_handle_at"}},
	{"CAP_SYS_BOOT", []string{"reboot"}},
	{"CAP_SYS_CHROOT", []string{"chroot"}},
	{"CAP_SYS_MODULE", []string{"init_module", "finit_module", "delete_module"}},
	{"CAP_SYS_PACCT", []string{"acct"}},
	{"CAP_SYS_PTRACE", []string{"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"}},
	{"CAP_SYS_RAWIO", []string{"iopl", "ioperm"}},
	{"CAP_SYS_TIME", []string{"settimeofday", "clock_settime"}},
	{"CAP_SYS_TTY_CONFIG", []string{"vhangup"}},
	{"CAP_SYS_NICE", []string{"get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "mbind"}},
	{"CAP_SYSLOG", []string{"syslog"}},
	{"CAP_BPF", []string{"bpf"}},
	{"CAP_PERFMON", []string{"perf_event_open"}},
}

// namespaceFlags are clone's flags that make new namespaces: a container
// without CAP_SYS_ADMIN may fork and make threads, but not these.
// (CLONE_NEWTIME is 0x80, inside clone's exit-signal byte: only clone3 and
// unshare can ask for it, and both are denied.)
const namespaceFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER |
	unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP

// personas are the personality(2) values a container may ask for: the
// query, and the harmless personas of linux/personality.h. The others
// carry flags like ADDR_NO_RANDOMIZE, which turns off address space
// randomisation for the programs it runs.
var personas = []uint64{
	0x0000000,  // PER_LINUX
	0x0000008,  // PER_LINUX32: uname says i686, as linux32(1) does
	0x0020000,  // UNAME26: uname says 2.6.x, for old programs
	0x0020008,  // UNAME26 | PER_LINUX32
	0xffffffff, // query the current persona
}

// blockedFamilies are the address families socket(2) refuses to open; every
// other family up to newestFamily may be opened. A family newer than that
// stays blocked until someone looks at it.
var blockedFamilies = []uint64{
	unix.AF_ALG,   // the kernel's crypto API: attack surface no container needs
	unix.AF_VSOCK, // host <-> VM sockets, by default not namespaced
	// Gone from the kernel, or on their way out (Linux 6.1 to 7.2):
	unix.AF_DECnet, unix.AF_ECONET, unix.AF_ATMSVC, unix.AF_IRDA, unix.AF_WANPIPE, unix.AF_ISDN, unix.AF_CAIF,
}

const newestFamily = unix.AF_MCTP // 45, Linux 5.15

// Default is the default profile as an OCI linux.seccomp, for a container
// whose root holds capabilities (names like "CAP_SYS_ADMIN", as in
// process.capabilities.bounding). As docker does, the capabilities are
// resolved now: the profile holds only the rules that apply.
func Default(capabilities []string) *specs.LinuxSeccomp {
	has := func(c string) bool { return slices.Contains(capabilities, c) }
	allowed := slices.Concat(everyday...)
	for _, u := range unlockedBy {
		if has(u.capability) {
			allowed = append(allowed, u.syscalls...)
		}
	}
	// Sorted, so that Compact drops a call two capabilities both unlock
	// (bpf: CAP_SYS_ADMIN and CAP_BPF).
	slices.Sort(allowed)
	s := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: errnoRet(unix.EPERM),
		Syscalls:        []specs.LinuxSyscall{{Names: slices.Compact(allowed), Action: specs.ActAllow}},
	}
	if native, ok := scmpArch[runtime.GOARCH]; ok {
		s.Architectures = []specs.Arch{native}
	}
	if !has("CAP_SYS_ADMIN") {
		s.Syscalls = append(s.Syscalls,
			// clone, but without making namespaces: (flags & namespaceFlags) == 0.
			specs.LinuxSyscall{Names: []string{"clone"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: namespaceFlags, ValueTwo: 0, Op: specs.OpMaskedEqual}}},
			// clone3 as if the kernel were too old for it: glibc then uses clone.
			specs.LinuxSyscall{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.ENOSYS)})
	}
	for _, p := range personas {
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"personality"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: p, Op: specs.OpEqualTo}}})
	}
	// One rule per family: the rules for one call are alternatives.
	for family := uint64(unix.AF_UNIX); family <= newestFamily; family++ {
		if !slices.Contains(blockedFamilies, family) {
			s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"socket"}, Action: specs.ActAllow,
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: family, Op: specs.OpEqualTo}}})
		}
	}
	return s
}

// scmpArch is the OCI name of each machine kobako filters natively.
var scmpArch = map[string]specs.Arch{"amd64": specs.ArchX86_64, "arm64": specs.ArchAARCH64}

func errnoRet(e unix.Errno) *uint {
	u := uint(e)
	return &u
}
