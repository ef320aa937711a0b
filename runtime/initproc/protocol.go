package initproc

// The parent/child protocol, all of it in this file.
//
// `kobako create` (the parent) starts the container's init as "kobako
// init" with the namespace clone flags — from a sealed handle on its own
// binary (selfexe.go) — and hands it five file descriptors, always at the
// same numbers:
//
//	fd 3  config pipe   parent → child   one JSON initConfig, then EOF
//	fd 4  sync socket   both ways        one JSON message per packet
//	fd 5  exec fifo     O_PATH handle    init blocks on it until `start`
//	fd 6  trace         child → terminal only with --trace
//	fd 7  kobako        the sealed binary the init was started from; kept
//	                    open until execve, for the detached mount that
//	                    holds it is dissolved with its last descriptor
//	fd 8… preserved     the caller's fds 3…, with --preserve-fds N; the
//	                    init moves them down to 3… right before execve
//	                    (preserve_fds.go)
//
// The conversation on the sync socket:
//
//	parent                               child (init)
//	  ── config on fd 3 ─────────────────►  reads it
//	  (oom_score_adj, uid_map and
//	   gid_map, joins the cgroup, …)
//	  ── {"type":"continue"} ────────────►  builds the container:
//	     + idmapped image layers             mounts, lo, hostname
//	       (user namespace, as root)
//	  ◄── {"type":"hooks"} ───────────────  (only with prestart or
//	  runs prestart and createRuntime         createRuntime hooks) waits
//	  hooks, in the runtime's namespaces
//	  ── {"type":"continue"} ────────────►  createContainer hooks,
//	                                          pivot_root
//	  ◄── {"type":"console"} + pty fd ────  (only with a terminal)
//	  ◄── {"type":"ready"} ───────────────  or {"type":"error",…}
//	  pty to the console socket, if any;     blocks opening the exec fifo
//	  writes state.json, the pid file; exits
//
// `kobako exec` starts the same init, with "exec" in its config, from a
// thread that has joined the container's namespaces (exec.go). It builds
// nothing: it prepares the process, and its sync socket closes when the
// command's execve succeeds (every fd is close-on-exec by then) — so for
// exec, a closed socket without an error means "started".
//
// A packet socket (SOCK_SEQPACKET) keeps message boundaries, and a unix
// socket can carry a file descriptor (SCM_RIGHTS): that is how the pty
// master made inside the container reaches the parent.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fault"
	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/rootfs"
)

// The descriptor numbers the child finds its ends at (3 + index in ExtraFiles).
const (
	FDConfig   = 3
	FDSync     = 4
	FDExecFifo = 5
	FDTrace    = 6
	FDSelf     = 7
	// fdPreserved is where the first preserved descriptor arrives.
	FDPreserved = FDSelf + 1
)

// maxConfigSize caps what the child reads from the config pipe: a config is
// data from outside, and a decoder fed without limit is a lesson runc learnt
// the hard way (CVE-2021-43784).
const maxConfigSize = 4 << 20

// initConfig is everything the child needs, sent once over the config pipe.
type Config struct {
	ID   string      `json:"id"`
	Spec *specs.Spec `json:"spec"` // without linux.seccomp's rules: see Seccomp
	// Seccomp is the container's system call filter, compiled by the
	// parent (runtime/seccomp.go) and marshalled (seccomp/program): the
	// init only installs it. Empty: no filter.
	Seccomp []byte          `json:"seccomp,omitempty"`
	Overlay *rootfs.Overlay `json:"overlay,omitempty"` // nil: Spec.Root.Path is used as it is
	// Cgroupfs is the host's cgroup layout, for the "cgroup" mount.
	Cgroupfs *rootfs.Cgroupfs `json:"cgroupfs,omitempty"`
	// Trace is the parent's tracer's mode and abbreviations; nil: no trace.
	Trace *trace.Config `json:"trace,omitempty"`
	// Exec: start Spec.Process in the running container whose namespaces
	// the init was born in, instead of building a container.
	Exec bool `json:"exec,omitempty"`
	// PreserveFDs is how many of the caller's descriptors follow the
	// protocol's (fd 8 on), for the command to find at 3 on.
	PreserveFDs int `json:"preserveFds,omitempty"`
	// Bundle and Pid go into the state the init's hooks read on stdin:
	// the bundle as the engine named it, and the init's pid as the host
	// sees it (in its own PID namespace it is 1 to itself).
	Bundle string `json:"bundle,omitempty"`
	Pid    int    `json:"pid,omitempty"`
	// Faults hands a test build's fault list (KOBAKO_FAULTS) to the init,
	// whose environment is empty: it fills itself in when the config is
	// encoded, and is never sent by the shipped binary (internal/fault).
	Faults fault.Inherit `json:"faults,omitzero"`
}

// message is one packet on the sync socket.
type Message struct {
	Type  string `json:"type"`            // continue, hooks, console, ready, error
	Error string `json:"error,omitempty"` // with "error"
	Code  int    `json:"code,omitempty"`  // with "error": the exit status it stands for
}

const (
	MsgContinue = "continue"
	MsgHooks    = "hooks"
	MsgConsole  = "console"
	MsgReady    = "ready"
	MsgError    = "error"
)

// maxMessage is larger than any message we send; a longer packet is cut.
const maxMessage = 64 << 10

// maxPassedFiles is the most descriptors one message carries: a console,
// or the overlay's idmapped lower layers (one per image layer).
const MaxPassedFiles = 16

func SendMessage(sock int, m Message, fds ...int) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	// MSG_NOSIGNAL: a peer that has gone away is an error, not a SIGPIPE.
	if err := unix.Sendmsg(sock, data, oob, nil, unix.MSG_NOSIGNAL); err != nil {
		return fmt.Errorf("send %q message: %w", m.Type, err)
	}
	return nil
}

// errPeerGone is what receiving returns when the other end closed the
// socket without a word: for the parent, the child died.
var ErrPeerGone = errors.New("the other end closed the sync socket")

// recvMessage reads one packet and any file descriptors that came with it.
func RecvMessage(sock int) (Message, []int, error) {
	var m Message
	buf := make([]byte, maxMessage)
	oob := make([]byte, unix.CmsgSpace(4*MaxPassedFiles))
	n, oobn, _, _, err := unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return m, nil, fmt.Errorf("receive on sync socket: %w", err)
	}
	if n == 0 {
		return m, nil, ErrPeerGone
	}
	fds, err := parseRights(oob[:oobn])
	if err != nil {
		return m, nil, err
	}
	if err := json.Unmarshal(buf[:n], &m); err != nil {
		return m, fds, fmt.Errorf("decode sync message: %w", err)
	}
	return m, fds, nil
}

func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for _, msg := range msgs {
		rights, err := unix.ParseUnixRights(&msg)
		if err != nil {
			return nil, fmt.Errorf("parse passed descriptors: %w", err)
		}
		fds = append(fds, rights...)
	}
	return fds, nil
}

// readConfig decodes the initConfig from the config pipe, bounded.
func readConfig(r io.Reader) (*Config, error) {
	var cfg Config
	dec := json.NewDecoder(io.LimitReader(r, maxConfigSize))
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("read init config: %w", err)
	}
	if cfg.Spec == nil || cfg.Spec.Process == nil || cfg.Spec.Root == nil {
		return nil, errors.New("read init config: spec without process or root")
	}
	return &cfg, nil
}

// awaitContinue blocks the init until the parent says "continue", and
// returns the descriptors that came with it.
func awaitContinue(sync int) ([]int, error) {
	m, fds, err := RecvMessage(sync)
	if err != nil {
		return nil, fmt.Errorf("waiting for the parent: %w", err)
	}
	if m.Type != MsgContinue {
		return nil, fmt.Errorf("waiting for the parent: unexpected %q message", m.Type)
	}
	return fds, nil
}

// childFile wraps one of the inherited descriptors.
func childFile(fd int, name string) *os.File {
	return os.NewFile(uintptr(fd), name)
}
