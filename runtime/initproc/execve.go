package initproc

// The last steps of the init: find the command, enter its directory, wait
// for `start`, give up what the container may not hold — capabilities (see
// capabilities.go), root, the right to raise privileges again — then become
// the command: the article's `capsh --drop=… -- -c 'exec $CMD'`.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fault"
	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/runtime/seccomp/program"
)

// prepareExec enters the working directory and finds the command. It runs
// after pivot_root, so paths, PATH and symlinks all resolve inside the
// container's root, never the host's. Failing here, before "ready", lets
// `create` report "not found" (127) or "cannot execute" (126) itself.
func prepareExec(p *specs.Process, tr *trace.Tracer) (string, error) {
	if len(p.Args) == 0 {
		return "", errors.New("no command to run: give one, or use an image that has a default")
	}
	// Capability names are applied only right before exec, but checked now:
	// a name no kernel knows fails here, where `create` reports it.
	if _, err := CapabilitiesOf(p.Capabilities, nil); err != nil {
		return "", err
	}
	if err := enterCwd(p.Cwd, tr); err != nil {
		return "", err
	}
	return lookPath(p.Args[0], envValue(p.Env, "PATH"))
}

// enterCwd creates the working directory if it is missing (docker does) and
// enters it, then checks where it landed: a cwd outside the container's root
// is how CVE-2024-21626 leaked the host's file system in.
func enterCwd(cwd string, tr *trace.Tracer) error {
	if !filepath.IsAbs(cwd) {
		return fmt.Errorf("working directory %q must be absolute", cwd)
	}
	// mkdir -p $CWD && cd $CWD
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return fmt.Errorf("make working directory: %w", err)
	}
	err := unix.Chdir(cwd)
	tr.Step("enter working directory", "cd "+cwd, fmt.Sprintf("unix.Chdir(%q)", cwd), err)
	if err != nil {
		return fmt.Errorf("chdir %s: %w", cwd, err)
	}
	// getcwd(2) fails with ENOENT ("unreachable") when cwd is outside our root.
	if _, err := unix.Getwd(); err != nil {
		return fmt.Errorf("working directory %s is outside the container: %w", cwd, err)
	}
	return nil
}

// lookPath finds file the way a shell would, in the container's PATH.
func lookPath(file, path string) (string, error) {
	if strings.Contains(file, "/") {
		return file, checkExecutable(file, file)
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, file)
		err := checkExecutable(file, candidate)
		if err == nil {
			return candidate, nil
		}
		var ie *InitError
		if errors.As(err, &ie) && ie.Code == 126 {
			return "", err
		}
	}
	return "", &InitError{Code: 127, Msg: fmt.Sprintf("%s: executable file not found in $PATH", file)}
}

// checkExecutable: 127 when missing, 126 when present but not runnable.
func checkExecutable(name, path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &InitError{Code: 127, Msg: fmt.Sprintf("%s: no such file or directory", name)}
	}
	if err != nil {
		return &InitError{Code: 126, Msg: fmt.Sprintf("%s: %v", name, err)}
	}
	if fi.IsDir() {
		return &InitError{Code: 126, Msg: fmt.Sprintf("%s: is a directory", name)}
	}
	// test -x $CMD
	if err := unix.Access(path, unix.X_OK); err != nil {
		return &InitError{Code: 126, Msg: fmt.Sprintf("%s: permission denied", name)}
	}
	return nil
}

// awaitStart blocks until `kobako start` opens the exec fifo. The fifo lives
// in the host's state dir, out of reach after pivot_root: the init reopens
// the O_PATH handle it inherited, through its own /proc/self/fd.
func awaitStart(tr *trace.Tracer) error {
	path := fmt.Sprintf("/proc/self/fd/%d", FDExecFifo)
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte{0}); err != nil {
		return fmt.Errorf("write exec fifo: %w", err)
	}
	tr.Step("wait for start", "(blocks until kobako start)", fmt.Sprintf("unix.Open(%q, O_WRONLY)", path), nil)
	return nil
}

// execCommand replaces the init with the user's command, holding what the
// spec allows and no more. Nothing of kobako may pass into it: every
// descriptor above stderr is marked close-on-exec first (the config pipe,
// the sync socket, the fifo handle, the trace) — only the caller's
// preserved ones are passed on. It runs on the init's locked thread:
// capabilities, keepcaps and no_new_privs belong to the calling thread,
// and execve hands on that thread's.
func execCommand(argv0 string, p *specs.Process, linux *specs.Linux, filter *program.Program, preserveFDs int, tr *trace.Tracer) error {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close_range: %w", err)
	}
	// aa-exec -p $PROFILE: the profile the command's execve enters
	if err := applyAppArmor(p.ApparmorProfile, tr); err != nil {
		return err
	}
	// Without no_new_privs, installing a filter needs CAP_SYS_ADMIN, which
	// the steps below drop: then it comes first, as in runc, and must allow
	// what follows (docker's profile does).
	if !p.NoNewPrivileges {
		if err := loadSeccomp(filter, tr); err != nil {
			return err
		}
	}
	caps, err := CapabilitiesOf(p.Capabilities, tr)
	if err != nil {
		return err
	}
	caps.ambient = raisableAmbient(caps, tr)
	// fault point init:capabilities (internal/fault): a test build fails here
	if err := fault.Check("init:capabilities"); err != nil {
		return err
	}
	// capsh --drop=…: first, while still root, since it needs CAP_SETPCAP.
	if err := dropBoundingSet(caps, tr); err != nil {
		return err
	}
	// capsh --keep=1: the switch of user must not empty the permitted set…
	if err := setKeepCaps(true, tr); err != nil {
		return err
	}
	// setpriv --groups … --regid … --reuid …
	if err := setUser(p.User, tr); err != nil {
		return err
	}
	// capsh --keep=0: …but any later setuid of the command's must.
	if err := setKeepCaps(false, tr); err != nil {
		return err
	}
	// capsh --caps=…: effective, permitted, inheritable, then ambient.
	if err := setCapabilities(caps, tr); err != nil {
		return err
	}
	// setpriv --no-new-privs
	if p.NoNewPrivileges {
		if err := setNoNewPrivs(tr); err != nil {
			return err
		}
	}
	// The seccomp filter: after no_new_privs, which lets a process without
	// CAP_SYS_ADMIN install one, and as the last step before execve, so that
	// it need allow none of the calls above, only execve.
	if p.NoNewPrivileges {
		if err := loadSeccomp(filter, tr); err != nil {
			return err
		}
	}
	// umask 0022; setarch linux32: they change nothing of what kobako
	// does, everything of what the command does.
	if err := setUmask(p.User.Umask, tr); err != nil {
		return err
	}
	if err := setPersonality(linux, tr); err != nil {
		return err
	}
	// Told before the preserved descriptors move: the trace's own may
	// be among the numbers they take.
	tr.Step("exec the command", "exec "+strings.Join(p.Args, " "), fmt.Sprintf("unix.Exec(%q, %q, env)", argv0, p.Args), nil)
	// --trace=time: the init's peak memory, the last thing it is itself
	tr.Peak("init")
	// fault point init:execve (internal/fault): a test build fails here —
	// before the descriptors move, so that Init reports it as a real one
	if err := fault.Check("init:execve"); err != nil {
		return fmt.Errorf("exec %s: %w", p.Args[0], err)
	}
	// exec 3<&8 4<&9 … (--preserve-fds)
	argv0, restoreSync, err := movePreservedFDs(preserveFDs, argv0)
	if err != nil {
		return err
	}
	// exec $CMD
	err = unix.Exec(argv0, p.Args, p.Env)
	restoreSync() // for Init's report of the failure
	code := 126
	if errors.Is(err, unix.ENOENT) {
		code = 127 // the file, or the interpreter it names, is missing
	}
	return &InitError{Code: code, Msg: fmt.Sprintf("exec %s: %v", p.Args[0], err)}
}

// raisableAmbient keeps the ambient capabilities the kernel can raise:
// only those both permitted and inheritable (capabilities(7)). `runc spec`
// writes three ambient ones and no inheritable set (which CVE-2022-29162
// emptied), and runc runs that config: it skips what cannot be raised, and
// so does kobako, with a note.
func raisableAmbient(sets capabilitySets, tr *trace.Tracer) []capability.Cap {
	var raisable []capability.Cap
	for _, c := range sets.ambient {
		if slices.Contains(sets.permitted, c) && slices.Contains(sets.inheritable, c) {
			raisable = append(raisable, c)
			continue
		}
		tr.Skip(fmt.Sprintf("skip %s of the ambient set: it is not both permitted and inheritable", specName(c)), "capsh --addamb="+capshName(c))
	}
	return raisable
}

// setUser switches to the spec's user: groups, then gid, then uid — uid
// last, because after it the process may no longer change the others.
func setUser(u specs.User, tr *trace.Tracer) error {
	groups := make([]int, len(u.AdditionalGids))
	groupList := make([]string, len(u.AdditionalGids))
	for i, g := range u.AdditionalGids {
		groups[i], groupList[i] = int(g), strconv.Itoa(int(g))
	}
	groupsShell := "setpriv --clear-groups"
	if len(groups) > 0 {
		groupsShell = "setpriv --groups=" + strings.Join(groupList, ",")
	}
	// setpriv --groups=… (or --clear-groups). A user namespace whose gid
	// map a user wrote for itself refuses setgroups(2) for good (userns.go):
	// with no groups asked for, it keeps the user's host groups, unmapped.
	if len(groups) > 0 || setgroupsAllowed() {
		err := unix.Setgroups(groups)
		tr.Step("set supplementary groups", groupsShell, fmt.Sprintf("unix.Setgroups(%v)", groups), err)
		if err != nil {
			return fmt.Errorf("setgroups %v: %w", groups, err)
		}
	}
	// setpriv --regid=$GID
	err := unix.Setresgid(int(u.GID), int(u.GID), int(u.GID))
	tr.Step("set group id", fmt.Sprintf("setpriv --regid=%d", u.GID), fmt.Sprintf("unix.Setresgid(%d, %d, %d)", u.GID, u.GID, u.GID), err)
	if err != nil {
		return fmt.Errorf("setgid %d: %w", u.GID, err)
	}
	// setpriv --reuid=$UID
	err = unix.Setresuid(int(u.UID), int(u.UID), int(u.UID))
	tr.Step("set user id", fmt.Sprintf("setpriv --reuid=%d", u.UID), fmt.Sprintf("unix.Setresuid(%d, %d, %d)", u.UID, u.UID, u.UID), err)
	if err != nil {
		return fmt.Errorf("setuid %d: %w", u.UID, err)
	}
	return nil
}

// setNoNewPrivs sets no_new_privs: from now on no execve raises privileges
// — setuid and setgid bits and file capabilities are ignored — for this
// process and every child of it, for good. See prctl(2).
func setNoNewPrivs(tr *trace.Tracer) error {
	// setpriv --no-new-privs
	err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
	tr.Step("set no_new_privs", "setpriv --no-new-privs", "unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)", err)
	if err != nil {
		return fmt.Errorf("prctl PR_SET_NO_NEW_PRIVS: %w", err)
	}
	return nil
}

// loadSeccomp installs the system call filter, if the config has one:
// the parent compiled it (runtime/seccomp.go), the init only installs it.
func loadSeccomp(filter *program.Program, tr *trace.Tracer) error {
	if filter == nil {
		return nil // seccomp=unconfined, or --privileged
	}
	// fault point init:seccomp (internal/fault): a test build fails here
	if err := fault.Check("init:seccomp"); err != nil {
		return fmt.Errorf("load seccomp filter: %w", err)
	}
	// (docker run --security-opt seccomp=profile.json)
	err := filter.Install()
	tr.Step("load the seccomp filter", "(seccomp(2): no shell twin; docker's default profile)",
		fmt.Sprintf("program.Install(%d filters, %d instructions)", len(filter.Filters), filter.Insns()), err)
	if err != nil {
		return fmt.Errorf("load seccomp filter: %w", err)
	}
	return nil
}
