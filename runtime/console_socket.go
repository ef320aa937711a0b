package runtime

// What an engine gets back from create and exec besides the exit status:
// the pty master through its console socket, and the pid in a file.
//
// A container with a terminal needs someone on the other end of its pty.
// `kobako run -t` relays it itself; an engine (podman's conmon, containerd's
// shim) listens on a unix socket instead and passes its path as
// --console-socket. The runtime connects and sends the master end as a
// file descriptor (SCM_RIGHTS), with the pty's name as the message — runc's
// protocol, which conmon and the shim both speak:
//
//	socat UNIX-CONNECT:$CONSOLE_SOCKET … (with the fd attached)

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// sendToConsoleSocket hands master to whoever listens on the socket at path.
func sendToConsoleSocket(path string, master *os.File) error {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return fmt.Errorf("connect to console socket %s: %w", path, err)
	}
	defer conn.Close()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("console socket %s is not a unix socket", path)
	}
	rights := unix.UnixRights(int(master.Fd()))
	if _, _, err := uc.WriteMsgUnix([]byte(master.Name()), rights, nil); err != nil {
		return fmt.Errorf("send pty to console socket %s: %w", path, err)
	}
	return nil
}

// writePidFile writes pid, in decimal without a newline as runc does, to
// path: to a temporary file first and renamed, so that an engine polling
// for the file never reads it half-written.
func writePidFile(path string, pid int) error {
	if path == "" {
		return nil
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}
