package container

// The attach socket: how `kobako attach` talks to a detached container's
// monitor. The monitor listens on <bundle>/attach.sock (a SOCK_SEQPACKET
// unix socket, so every message arrives whole) and, while the container
// runs, copies its output to each attached client; a client sends keys and
// window sizes back. (podman's conmon keeps the same kind of socket.)
//
// A message is one packet whose first byte says what it is:
//
//	monitor → client   1 DATA      the container wrote DATA on stdout
//	                   2 DATA      … on stderr
//	                   0 CODE      it exited with CODE (4 bytes, little endian)
//	client → monitor   'i' DATA    keys typed, for the container's terminal
//	                   'w' ROWS COLS  the window size (2 bytes each)

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

const attachSocketName = "attach.sock"

const (
	msgExit   byte = 0
	msgStdout byte = 1
	msgStderr byte = 2
	msgInput  byte = 'i'
	msgResize byte = 'w'
)

// maxAttachMessage bounds a packet: a read(2) of the container's output,
// plus the type byte.
const maxAttachMessage = 32*1024 + 1

// attachAddress opens the bundle directory and returns the socket's address
// through it, /proc/self/fd/N/attach.sock: a unix socket's path must be
// under 108 bytes, and a bundle under a long --data-root is not.
func attachAddress(bundle string) (*net.UnixAddr, *os.File, error) {
	dir, err := os.OpenFile(bundle, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	name := filepath.Join(fmt.Sprintf("/proc/self/fd/%d", dir.Fd()), attachSocketName)
	return &net.UnixAddr{Name: name, Net: "unixpacket"}, dir, nil
}
