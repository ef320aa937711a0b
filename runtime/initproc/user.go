package initproc

// Users, resource limits and the umask of the container's process, set in
// the init after pivot_root and right before exec.
//
// A user given by name (`kobako run -u www-data`) means the container's
// www-data, from the container's /etc/passwd — never the host's. The init
// looks it up after pivot_root, when "/" is the container's root, so a
// symlinked /etc/passwd can only point at another file of the container.

import (
	"fmt"

	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fault"
	"github.com/kobako/kobako/internal/trace"
)

// prepareProcess readies the command's process in the init, after
// pivot_root: its user (-u NAME), its rlimits (--ulimit, inherited through
// exec), then its working directory and program (prepareExec).
func prepareProcess(spec *specs.Spec, tr *trace.Tracer) (string, error) {
	if err := resolveUser(spec, tr); err != nil {
		return "", err
	}
	if err := setRlimits(spec.Process.Rlimits, tr); err != nil {
		return "", err
	}
	return prepareExec(spec.Process, tr)
}

// UserAnnotation carries an unresolved USER[:GROUP] from `run -u` to the
// init, which resolves it inside the container.
const UserAnnotation = "org.kobako.user"

// resolveUser fills the process's user (and HOME) from the annotation, if any.
func resolveUser(spec *specs.Spec, tr *trace.Tracer) error {
	return lookupUser(spec.Annotations[UserAnnotation], spec.Process, tr)
}

// lookupUser sets p.User from USER[:GROUP] (names or numbers) as the
// container's /etc/passwd and /etc/group say. It runs where "/" is the
// container's root: the init after pivot_root, or exec after joining the
// mount namespace.
func lookupUser(name string, p *specs.Process, tr *trace.Tracer) error {
	if name == "" {
		return nil
	}
	// fault point init:user (internal/fault): a test build fails here
	if err := fault.Check("init:user"); err != nil {
		return &InitError{Code: 125, Msg: fmt.Sprintf("user %q in the container: %v", name, err)}
	}
	defaults := &user.ExecUser{Uid: 0, Gid: 0, Home: "/"}
	// getent passwd $USER — in the container's own /etc/passwd
	u, err := user.GetExecUserPath(name, defaults, "/etc/passwd", "/etc/group")
	tr.Step("look up user "+name, "getent passwd "+name, `user.GetExecUserPath(name, …, "/etc/passwd", "/etc/group")`, err)
	if err != nil {
		return &InitError{Code: 125, Msg: fmt.Sprintf("user %q in the container: %v", name, err)}
	}
	p.User = specs.User{UID: uint32(u.Uid), GID: uint32(u.Gid)}
	for _, g := range u.Sgids {
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
	}
	if !HasEnv(p.Env, "HOME") || envValue(p.Env, "HOME") == "/root" {
		p.Env = setEnv(p.Env, "HOME", u.Home)
	}
	return nil
}

func setEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if len(kv) <= len(key) || kv[:len(key)+1] != key+"=" {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

var rlimitResources = map[string]int{
	"RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_DATA": unix.RLIMIT_DATA,
	"RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS, "RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK,
	"RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS, "RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO,
	"RLIMIT_RTTIME": unix.RLIMIT_RTTIME, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING, "RLIMIT_STACK": unix.RLIMIT_STACK,
	"RLIMIT_AS": unix.RLIMIT_AS,
}

// RlimitResource maps an OCI rlimit type ("RLIMIT_NOFILE") to its number.
func RlimitResource(typ string) (int, bool) {
	r, ok := rlimitResources[typ]
	return r, ok
}

// setRlimits applies the spec's rlimits to the init, which the command
// inherits through exec.
func setRlimits(limits []specs.POSIXRlimit, tr *trace.Tracer) error {
	for _, l := range limits {
		resource, ok := RlimitResource(l.Type)
		if !ok {
			return fmt.Errorf("unknown rlimit %q", l.Type)
		}
		// ulimit -S -H … (prlimit --pid $$ --$NAME=$SOFT:$HARD)
		err := unix.Setrlimit(resource, &unix.Rlimit{Cur: l.Soft, Max: l.Hard})
		tr.Step("set "+l.Type, fmt.Sprintf("prlimit --pid $$ %s=%d:%d", l.Type, l.Soft, l.Hard), "unix.Setrlimit", err)
		if err != nil {
			return fmt.Errorf("setrlimit %s %d:%d: %w", l.Type, l.Soft, l.Hard, err)
		}
	}
	return nil
}

// setUmask sets the file mode mask the command starts with (the config's
// process.user.umask; podman sends 0022). Without one, the init's is
// inherited: whatever kobako was started with, as under runc.
func setUmask(umask *uint32, tr *trace.Tracer) error {
	if umask == nil {
		return nil
	}
	// umask 0022
	old := unix.Umask(int(*umask))
	tr.Step("set umask", fmt.Sprintf("umask %04o", *umask), fmt.Sprintf("unix.Umask(%#o) = %#o", *umask, old), nil)
	return nil
}
