package container

// The container's root for `kobako cp`: the running init's /proc/<pid>/root,
// or a stopped container's layers mounted detached (see cp.go's header).

import (
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/internal/trace"
)

// openRoot returns an O_PATH handle of c's root as its processes see it,
// and the function that lets it go. write says the copy goes into c.
func (s *Store) openRoot(c *Container, write bool) (*os.File, func(), error) {
	st, err := s.Status(c)
	if err != nil {
		return nil, nil, err
	}
	if st.State != specs.StateStopped {
		root, err := s.openLiveRoot(c, st.Pid)
		if err != nil {
			return nil, nil, err
		}
		return root, func() { root.Close() }, nil
	}
	// The bundle lock keeps rm (and a second cp) away from the layers
	// while they are mounted here.
	unlock, err := fileutil.LockDir(c.Bundle)
	if err != nil {
		return nil, nil, err
	}
	if st, err = s.Status(c); err == nil && st.State != specs.StateStopped {
		err = fmt.Errorf("container %s started while cp was preparing: try again", c.Name)
	}
	var root *os.File
	if err == nil {
		root, err = mountLayers(c, write, s.tracer)
	}
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return root, func() { root.Close(); unlock() }, nil
}

// openLiveRoot opens /proc/<pid>/root of a running container's init.
func (s *Store) openLiveRoot(c *Container, pid int) (*os.File, error) {
	link := fmt.Sprintf("/proc/%d/root", pid)
	// cd /proc/$PID/root
	root, err := os.OpenFile(link, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	s.tracer.Step("open the container's root", "cd "+link, "os.OpenFile(O_PATH)", err)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", link, err)
	}
	// The pid was read before the open. Had the init died and its pid gone
	// to another process meanwhile, this would be that process's root — the
	// host's "/", likely. Status checks the init's start time: the init
	// alive now, under the same pid, was alive at the open.
	st, err := s.Status(c)
	if err == nil && (st.State == specs.StateStopped || st.Pid != pid) {
		err = fmt.Errorf("container %s stopped while cp was starting: try again", c.Name)
	}
	if err != nil {
		root.Close()
		return nil, err
	}
	return root, nil
}

// mountLayers mounts c's overlay as a detached mount and returns its root.
func mountLayers(c *Container, write bool, tr *trace.Tracer) (*os.File, error) {
	o := c.Overlay
	if o == nil {
		return nil, fmt.Errorf("container %s has no overlay layers on record", c.Name)
	}
	if _, err := o.Options(); err != nil { // no ',' or ':' in a layer path
		return nil, err
	}
	params := [][2]string{{"lowerdir", strings.Join(append([]string{o.Upper}, o.Lower...), ":")}}
	attrs := unix.MOUNT_ATTR_RDONLY
	if write {
		params = [][2]string{{"lowerdir", strings.Join(o.Lower, ":")}, {"upperdir", o.Upper}, {"workdir", o.Work}}
		attrs = 0
	}
	var opts []string
	for _, p := range params {
		opts = append(opts, p[0]+"="+p[1])
	}
	shell := "mount -t overlay overlay -o " + strings.Join(opts, ",") + " (detached: no mount point)"
	fd, err := detachedMount("overlay", params, attrs)
	tr.Step("mount the container's layers", shell, "unix.Fsopen, unix.FsconfigSetString, unix.Fsmount", err)
	if err != nil {
		return nil, fmt.Errorf("mount the layers of stopped container %s: %w", c.Name, err)
	}
	return os.NewFile(uintptr(fd), "overlay of "+c.Name), nil
}

// detachedMount is fsopen + fsconfig + fsmount: a new mount of fstype that
// is attached nowhere (no move_mount follows).
func detachedMount(fstype string, params [][2]string, attrs int) (int, error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen %s: %w", fstype, err)
	}
	defer unix.Close(fsfd)
	for _, p := range params {
		if err := unix.FsconfigSetString(fsfd, p[0], p[1]); err != nil {
			return -1, fmt.Errorf("fsconfig %s=%s: %w", p[0], p[1], err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, fmt.Errorf("fsconfig create %s: %w", fstype, err)
	}
	fd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, attrs)
	if err != nil {
		return -1, fmt.Errorf("fsmount %s: %w", fstype, err)
	}
	return fd, nil
}
