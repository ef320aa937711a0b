package container

// The container's root for `kobako cp` and `kobako export`: the running
// init's /proc/<pid>/root, or a stopped container's layers mounted detached
// (see cp.go's header).

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/internal/trace"
)

// openRoot returns an O_PATH handle of c's root as its processes see it,
// and the function that lets it go. write says the copy goes into c.
func (s *Store) openRoot(c *Container, write bool) (*os.File, func(), error) {
	st, err := s.awaitBuilt(c)
	if err != nil {
		return nil, nil, err
	}
	if st.Dead {
		return nil, nil, errDead(c)
	}
	if st.State != specs.StateStopped {
		root, err := s.openLiveRoot(c, st.Pid)
		if errors.Is(err, errInitGone) {
			// It stopped between the two looks: its layers, then.
			return s.openStoppedRoot(c, write)
		}
		if err != nil {
			return nil, nil, err
		}
		return root, func() { root.Close() }, nil
	}
	root, release, err := s.openStoppedRoot(c, write)
	if errors.Is(err, errStartedMeanwhile) {
		// Its start held the lock we waited for: it runs now, and its
		// root is the init's.
		return s.openRoot(c, write)
	}
	return root, release, err
}

// errStartedMeanwhile: the container started while its layers were being
// opened.
var errStartedMeanwhile = errors.New("started while kobako was opening its files: try again")

// awaitBuilt is c's status once it is not being created. While it is,
// its init has not built the container's root yet: /proc/<pid>/root is
// still the host's "/" (the init pivots into the container's root last),
// and a copy through it would read or write the host. It takes a create
// milliseconds; the wait is bounded all the same.
func (s *Store) awaitBuilt(c *Container) (Status, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := s.Status(c)
		if err != nil || st.State != specs.StateCreating || st.Dead {
			return st, err
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("container %s is still being created: try again once it has started", c.Name)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// errInitGone says the init whose root was to be opened has died.
var errInitGone = errors.New("the container's init has exited")

// openStoppedRoot mounts a stopped container's layers and returns their
// root.
func (s *Store) openStoppedRoot(c *Container, write bool) (*os.File, func(), error) {
	// The bundle lock keeps rm (and a second cp) away from the layers
	// while they are mounted here.
	unlock, err := fileutil.LockDir(c.Bundle)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.Status(c)
	switch {
	case err != nil:
	case st.Dead:
		err = errDead(c) // its maker was killed while we waited for it
	case st.State != specs.StateStopped:
		err = fmt.Errorf("container %s %w", c.Name, errStartedMeanwhile)
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
	if errors.Is(err, os.ErrNotExist) {
		return nil, errInitGone // it exited after the pid was read
	}
	if err != nil {
		return nil, err // the path is in it
	}
	// The pid was read before the open. Had the init died and its pid gone
	// to another process meanwhile, this would be that process's root — the
	// host's "/", likely. Status checks the init's start time: the init
	// alive now, under the same pid, was alive at the open.
	st, err := s.Status(c)
	if err == nil && (st.State == specs.StateStopped || st.Pid != pid) {
		err = errInitGone
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
	if write {
		if err := o.ClearVolatileMark(tr); err != nil {
			return nil, err
		}
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
	// fsconfig takes values of at most 255 bytes, which three long layer
	// paths exceed: the layers are passed by handle instead.
	params, release, err := layersByHandle(params)
	if err != nil {
		return nil, err
	}
	defer release()
	fd, err := detachedMount("overlay", params, attrs)
	tr.Step("mount the container's layers", shell, "unix.Fsopen, unix.FsconfigSetString, unix.Fsmount", err)
	if err != nil {
		return nil, fmt.Errorf("mount the layers of stopped container %s: %w", c.Name, err)
	}
	return os.NewFile(uintptr(fd), "overlay of "+c.Name), nil
}

// layersByHandle opens each layer named in params (lists joined by ':')
// and names it /proc/self/fd/N instead, which overlayfs resolves to the
// directory opened. release closes the handles, once the mount is made.
func layersByHandle(params [][2]string) (byHandle [][2]string, release func(), err error) {
	var handles []*os.File
	release = func() { closeAll(handles) }
	for _, p := range params {
		var names []string
		for _, dir := range strings.Split(p[1], ":") {
			h, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				release()
				return nil, nil, fmt.Errorf("open layer: %w", err)
			}
			handles = append(handles, h)
			names = append(names, fmt.Sprintf("/proc/self/fd/%d", h.Fd()))
		}
		byHandle = append(byHandle, [2]string{p[0], strings.Join(names, ":")})
	}
	return byHandle, release, nil
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

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
