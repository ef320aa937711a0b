package chrootdemo

// The tutorial and the demo's init, all of their conversation in this file.
//
// Run starts "kobako-tutor chroot-demo-init" with the namespace clone flags
// and hands it two descriptors, at fixed numbers:
//
//	fd 3  config pipe   tutorial → init   one JSON config, then EOF
//	fd 4  sync socket   init → tutorial   one JSON message per packet
//
// The conversation:
//
//	tutorial                              init
//	  ── config on fd 3 ────────────────►  builds top and image, pivot_root,
//	                                        chroot, hostname, capabilities
//	  ◄── {"type":"ready"} + image fd ───  (or {"type":"error",…} and exit 1)
//	  keeps the image fd                   execve(command): fd 4 is
//	                                        close-on-exec, so the tutorial
//	                                        reads EOF — "started"
//
// The image fd is an O_PATH handle on the demo's root (/image). Holding it
// keeps the image's tmpfs alive after the demo's mount namespace has died,
// so the tutorial can read what escape wrote to /tmp/escape.txt once the
// learner has left (readReport). A packet socket (SOCK_SEQPACKET) keeps
// message boundaries and can carry that descriptor (SCM_RIGHTS).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// The descriptor numbers the init finds its ends at (3 + index in ExtraFiles).
const (
	fdConfig = 3
	fdSync   = 4
)

// config is what the init needs to know; it travels on fd 3.
type config struct {
	Busybox    string   `json:"busybox"`
	Secret     string   `json:"secret"`
	Command    []string `json:"command"`
	Lang, Term string
}

// message is one packet on the sync socket.
type message struct {
	Type    string `json:"type"` // "ready" or "error"
	Message string `json:"message,omitempty"`
}

// channel is the tutorial's side of both descriptors, and the child's
// ends until the child has them.
type channel struct {
	configR, configW *os.File
	syncParent       *os.File
	syncChild        *os.File
}

// newChannel makes the config pipe and the sync socket pair.
func newChannel() (*channel, error) {
	configR, configW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe for the demo's config: %w", err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		configR.Close()
		configW.Close()
		return nil, fmt.Errorf("socketpair for the demo's sync: %w", err)
	}
	return &channel{
		configR: configR, configW: configW,
		syncParent: os.NewFile(uintptr(fds[0]), "sync"),
		syncChild:  os.NewFile(uintptr(fds[1]), "sync"),
	}, nil
}

// childEnds are the files for exec.Cmd.ExtraFiles, in fd order.
func (c *channel) childEnds() []*os.File {
	return []*os.File{c.configR, c.syncChild}
}

// close releases whatever is still open on the tutorial's side.
func (c *channel) close() {
	for _, f := range []*os.File{c.configR, c.configW, c.syncParent, c.syncChild} {
		f.Close()
	}
}

// talk is the tutorial's side of the conversation, once the child runs:
// send the config, then read until the socket closes. It returns the handle
// on the demo's image (nil if the init never got that far) and the init's
// error, if it sent one.
func (c *channel) talk(conf config) (*os.File, error) {
	// The child has its own copies now: close ours, or we would never see
	// EOF on the sync socket.
	c.configR.Close()
	c.syncChild.Close()
	err := json.NewEncoder(c.configW).Encode(conf)
	c.configW.Close()
	if err != nil {
		return nil, fmt.Errorf("send config: %w", err)
	}
	var image *os.File
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(int(c.syncParent.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != nil {
			return image, fmt.Errorf("read sync socket: %w", err)
		}
		if n == 0 {
			if image == nil {
				return nil, errors.New("the init ended before the demo was ready (see its output above)")
			}
			return image, nil // EOF: execve succeeded
		}
		var m message
		if err := json.Unmarshal(buf[:n], &m); err != nil {
			return image, fmt.Errorf("read sync socket: %w", err)
		}
		switch m.Type {
		case "error":
			return image, errors.New(m.Message)
		case "ready":
			image, err = receiveFile(oob[:oobn], "image")
			if err != nil {
				return nil, err
			}
		}
	}
}

// receiveFile takes the one descriptor an SCM_RIGHTS message carried.
func receiveFile(oob []byte, name string) (*os.File, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receive %s fd: no descriptor came with ready", name)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receive %s fd: no descriptor came with ready", name)
	}
	return os.NewFile(uintptr(fds[0]), name), nil
}

// The init's side.

// readConfig reads the config from fd 3 and closes it; the sync socket on
// fd 4 is made close-on-exec, so that execve itself tells the tutorial the
// command started.
func readConfig() (config, *os.File, error) {
	sync := os.NewFile(fdSync, "sync")
	// exec 4>&- at execve: the tutorial's "started"
	unix.CloseOnExec(fdSync)
	in := os.NewFile(fdConfig, "config")
	defer in.Close()
	var conf config
	if err := json.NewDecoder(io.LimitReader(in, 1<<20)).Decode(&conf); err != nil {
		return conf, sync, fmt.Errorf("read config from fd %d: %w", fdConfig, err)
	}
	return conf, sync, nil
}

// sendReady tells the tutorial the demo is built and hands it the image.
func sendReady(sync *os.File, image int) error {
	data, _ := json.Marshal(message{Type: "ready"})
	if err := unix.Sendmsg(int(sync.Fd()), data, unix.UnixRights(image), nil, 0); err != nil {
		return fmt.Errorf("send ready: %w", err)
	}
	return nil
}

// sendError tells the tutorial why the demo could not start.
func sendError(sync *os.File, err error) {
	data, _ := json.Marshal(message{Type: "error", Message: err.Error()})
	unix.Sendmsg(int(sync.Fd()), data, nil, nil, 0) // nothing more to do if this fails: the exit status says it
}
