package runtime

// Joining namespaces that exist already. podman's config names the network
// namespace it made (/run/netns/netns-…), and a pod's containers name the
// infra container's ipc, uts …: the runtime-spec asks the runtime to join
// a namespace given with a path and to make the others, which in the
// shell is
//
//	nsenter --net=/run/netns/netns-… unshare -muipf $CMD
//
// setns(2) moves the calling thread only, and a child cloned from that
// thread starts in the thread's namespaces (plus the new ones its clone
// flags ask for). So the joins and the clone of the init happen on one OS
// thread, locked to its goroutine and never given back to the Go
// scheduler: it ends with the goroutine, and no other goroutine ever runs
// in the joined namespaces. Joining a mount namespace needs a thread that
// shares its root and working directory with no other: unshare(CLONE_FS)
// first, or setns fails with EINVAL. A user namespace cannot be joined
// from Go at all (validate.go says why).

import (
	"fmt"
	"os"
	goruntime "runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/runtime/initproc"
)

// setnsOrder is nsenter's order: mount last, because once it is joined
// the paths are the other namespace's (every handle is opened before the
// first join for the same reason).
var setnsOrder = []specs.LinuxNamespaceType{
	specs.CgroupNamespace, specs.IPCNamespace, specs.UTSNamespace,
	specs.NetworkNamespace, specs.PIDNamespace, specs.MountNamespace,
}

// joinedNamespace is one namespace to join: its type and an open handle.
type joinedNamespace struct {
	typ  specs.LinuxNamespaceType
	file *os.File
}

// openJoined opens the namespace files the spec names, in setnsOrder,
// while paths still resolve in the runtime's own namespaces.
func openJoined(linux *specs.Linux) ([]joinedNamespace, error) {
	var joined []joinedNamespace
	for _, typ := range setnsOrder {
		ns, ok := initproc.NamespaceOf(linux, typ)
		if !ok || ns.Path == "" {
			continue
		}
		f, err := os.Open(ns.Path)
		if err != nil {
			closeJoined(joined)
			return nil, fmt.Errorf("open %s namespace: %w", typ, err)
		}
		joined = append(joined, joinedNamespace{typ, f})
	}
	return joined, nil
}

func closeJoined(joined []joinedNamespace) {
	for _, ns := range joined {
		ns.file.Close()
	}
}

// spawnResult carries what spawn returns across goroutines.
type spawnResult struct {
	proc *Process
	sync int
	err  error
}

// inJoinedNamespaces runs spawn on a thread that has joined every
// namespace in joined. With none to join, spawn runs right here, on the
// caller's thread — which may sit in another namespace on purpose
// (`kobako run --network container:…` clones from such a thread).
func inJoinedNamespaces(joined []joinedNamespace, tr *trace.Tracer, spawn func() (*Process, int, error)) (*Process, int, error) {
	if len(joined) == 0 {
		return spawn()
	}
	done := make(chan spawnResult, 1)
	go func() {
		// No UnlockOSThread, on purpose: the thread dies with this
		// goroutine, and its namespaces with it.
		goruntime.LockOSThread()
		if err := joinNamespaces(joined, tr); err != nil {
			done <- spawnResult{err: err}
			return
		}
		proc, sync, err := spawn()
		done <- spawnResult{proc, sync, err}
	}()
	res := <-done
	return res.proc, res.sync, res.err
}

// joinNamespaces moves the calling (locked) thread into each namespace.
func joinNamespaces(joined []joinedNamespace, tr *trace.Tracer) error {
	for _, ns := range joined {
		flag := cloneFlag[ns.typ]
		if ns.typ == specs.MountNamespace {
			// unshare --fs (no shell twin: nsenter's process is single-threaded)
			if err := unix.Unshare(unix.CLONE_FS); err != nil {
				return fmt.Errorf("unshare CLONE_FS: %w", err)
			}
		}
		// nsenter --net=/run/netns/… (one namespace per call, as nsenter does)
		err := unix.Setns(int(ns.file.Fd()), int(flag.flag))
		tr.Step("join "+string(ns.typ)+" namespace", fmt.Sprintf("nsenter %s=%s", flag.nsenter, ns.file.Name()),
			fmt.Sprintf("unix.Setns(fd of %s, unix.%s)", ns.file.Name(), flagNames(flag.flag)), err)
		if err != nil {
			return fmt.Errorf("setns %s %s: %w", ns.typ, ns.file.Name(), err)
		}
	}
	return nil
}
