// Package seccomp is the last guard the container's init puts up before
// execve: a BPF program, attached to the thread with seccomp(2), that the
// kernel runs on every system call the container makes, and that answers
// "allow", "fail with this errno" or "kill". Capabilities decide what root
// in the container may do; seccomp decides which doors of the kernel it may
// knock on at all, so a bug behind a door it never needs (keyctl, bpf,
// userfaultfd) cannot be reached from it.
//
// There is no seccomp command in util-linux; docker run --security-opt
// seccomp=FILE and bwrap --seccomp FD are the nearest shell twins. See
// seccomp(2), and Documentation/userspace-api/seccomp_filter.rst in the
// kernel.
//
// The package reads top-down in five steps:
//
//   - default.go: the profile every container gets, docker's default in
//     effect: Default(capabilities).
//   - docker.go: docker's JSON profile format, for --security-opt
//     seccomp=FILE: FromDockerProfile(data, capabilities).
//   - compile.go and args.go: an OCI linux.seccomp turned into BPF policies
//     with github.com/elastic/go-seccomp-bpf, pure Go, so the binary stays
//     static (no libseccomp).
//   - assemble.go: Compile, the policies as the instructions seccomp(2)
//     takes: a program.Program.
//   - cache.go: Cached, which compiles each profile once and keeps the
//     program in kobako's data root; load.go: Check, for create, and Load.
//
// The parent compiles; the container's init only installs. Package
// program (runtime/seccomp/program) is the program, its bytes and
// Install, and links nothing of the compiler, so the init's binary stays
// small and starts fast.
//
// # What the default profile blocks, and why
//
// The default profile is an allow-list: about 300 system calls that
// ordinary programs use are allowed, everything else fails with EPERM.
// Among what is left out:
//
//   - keyctl, add_key, request_key: the kernel keyring is not namespaced;
//     without a user namespace, uid 0's user keyring is the same object on
//     the host and in every container.
//   - bpf, perf_event_open: large in-kernel attack surface (verifier,
//     tracing) and a view of other processes; allowed with CAP_SYS_ADMIN, or
//     CAP_BPF / CAP_PERFMON respectively.
//   - mount, umount2, pivot_root, the new mount API (fsopen, fsmount,
//     move_mount, open_tree, …), unshare, setns: leaving or rebuilding the
//     container's namespaces; mount and friends, unshare and setns are
//     allowed with CAP_SYS_ADMIN; pivot_root never.
//   - clone with a CLONE_NEW* flag: the same escape through the other door;
//     clone without those flags (fork, threads) is fine.
//   - clone3: its flags sit in a struct in memory, which seccomp cannot read,
//     so it cannot be checked like clone; it fails with ENOSYS, not EPERM,
//     so that glibc falls back to clone (with EPERM, creating threads would
//     fail). Allowed with CAP_SYS_ADMIN.
//   - open_by_handle_at: the 2014 "Shocker" escape opened the host's root
//     from a file handle guessed on its device; allowed only with
//     CAP_DAC_READ_SEARCH.
//   - kexec_load, kexec_file_load, init_module, finit_module, delete_module,
//     reboot, swapon, swapoff, acct, settimeofday, clock_settime, iopl,
//     ioperm: the machine's, not the container's, to change; most are allowed
//     with the capability that guards them (CAP_SYS_MODULE, CAP_SYS_BOOT,
//     CAP_SYS_PACCT, CAP_SYS_TIME, CAP_SYS_RAWIO); kexec and swap never.
//   - userfaultfd, io_uring_setup/enter/register: kernel features behind a
//     long list of exploits; never allowed.
//   - personality other than the harmless personas (PER_LINUX,
//     PER_LINUX32, UNAME26, and the query): some persona flags switch off
//     address space randomisation.
//   - socket for address families that containers have no use for and that
//     widen the kernel's surface (AF_ALG, AF_VSOCK, and families the kernel
//     has dropped or is dropping).
//
// ptrace, process_vm_readv and process_vm_writev are allowed, as docker
// allows them: since Linux 4.8 a tracer can no longer get a tracee's system
// calls past its seccomp filter, and ptrace is still bound by the usual
// rules (same user, no CAP_SYS_PTRACE, a non-dumpable init). So the
// protection of the init from ptrace comes from those, not from seccomp.
//
// The filter sees only the machine's native system calls (x86_64 or
// aarch64). Calls through another ABI (the 32-bit int 0x80 of i386 on x86_64,
// arm32 compat on aarch64) get the default action — denied; x32 calls on
// x86_64 get ENOSYS.
package seccomp
