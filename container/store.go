// Package container is the people's layer on top of the OCI runtime: what
// `kobako run`, `ps`, `rm` and `inspect` work with. A container here is an
// OCI bundle (config.json and a rootfs) plus a record: its name, its image,
// its exit status. The runtime package knows nothing of names or images;
// this package knows nothing of namespaces.
//
// On disk, under --data-root:
//
//	containers/<id>/config.json     the OCI spec (the bundle)
//	containers/<id>/container.json  the record (name, image, exit code …)
//	containers/<id>/rootfs/         where the overlay is mounted, inside the container
//	containers/<id>/upper/ work/    the container's own overlay layer
//	containers/<id>/container.log   output of a detached container (logfile.go)
//	containers/<id>/attach.sock     its monitor, for `kobako attach`
//	containers/<id>/hosts, hostname, resolv.conf
//	                                bound over the image's /etc files (network_files.go)
//	containers/<id>/mountpoints/    empty /etc files for them to go on: a layer above the image
//	names/<name> -> <id>            one symlink per name: names are unique
package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/rootfs"
	"github.com/kobako/kobako/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Store finds, creates and removes containers.
type Store struct {
	root     string // --root, for the runtime's state
	dataRoot string // --data-root
	rt       *runtime.Runtime
	tracer   *trace.Tracer
	// netStateDir is the bridge's host-wide bookkeeping (NetworkStateDir).
	netStateDir string
}

// NewStore returns the store for these two roots.
func NewStore(root, dataRoot string, tr *trace.Tracer) *Store {
	return &Store{root: root, dataRoot: dataRoot, rt: &runtime.Runtime{Root: root, Tracer: tr, SeccompCache: filepath.Join(dataRoot, "seccomp")}, tracer: tr, netStateDir: NetworkStateDir}
}

// Record is what container.json holds: everything `ps` and `inspect` show
// that the OCI state does not know.
type Record struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Image   string    `json:"image"`
	Command []string  `json:"command"`
	Created time.Time `json:"created"`
	// Creating says the record was written before the container was
	// made, as it is (create.go), and that its maker has not finished:
	// while its maker lives the container is being created; once it died,
	// the container is Dead, and rm removes what it left.
	Creating bool `json:"creating,omitempty"`
	// CgroupsPath is its cgroup (/kobako/<id>), decided before anything
	// is made: rm removes it even when the runtime's state is gone.
	CgroupsPath string            `json:"cgroupsPath,omitempty"`
	AutoRemove  bool              `json:"autoRemove,omitempty"`
	Detached    bool              `json:"detached,omitempty"`
	Tty         bool              `json:"tty,omitempty"`
	Overlay     *rootfs.Overlay   `json:"overlay"`
	ExitCode    *int              `json:"exitCode,omitempty"`
	OOMKilled   bool              `json:"oomKilled,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	StopSignal  string            `json:"stopSignal,omitempty"` // what stop sends first; "" = TERM
	// StopTimeout is how long stop waits before SIGKILL; nil = 10 s.
	StopTimeout *int `json:"stopTimeout,omitempty"`
	// StartedAt is when it last started, FinishedAt when it last ended:
	// ps counts "Up 3 minutes" from the one, "Exited … ago" from the other.
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// Network is how it is connected (network.go); nil before its first start.
	Network *NetworkState `json:"network,omitempty"`
	// RestartPolicy is --restart (restart.go). RestartCount counts the
	// monitor's restarts since the person last started it; Restarting
	// says the monitor waits to restart it now; StoppedByUser that stop,
	// kill or rm came first and no restart follows until the next start.
	RestartPolicy RestartPolicy `json:"restartPolicy,omitzero"`
	RestartCount  int           `json:"restartCount,omitempty"`
	Restarting    bool          `json:"restarting,omitempty"`
	StoppedByUser bool          `json:"stoppedByUser,omitempty"`
	// KeptForRestart says kobako restart is stopping a --rm container to
	// start it again: its exit is recorded, not followed by its removal
	// (lifecycle.go, Restart). The start clears it.
	KeptForRestart bool `json:"keptForRestart,omitempty"`
}

// Container is a record and where it lives.
type Container struct {
	Record
	Bundle string // <data-root>/containers/<id>
	// Fresh is true for a container just made by Create and never run: if
	// starting it fails, it is removed again ("run that could not run
	// leaves nothing"); a container that ran before stays.
	Fresh bool
	// written is the spec Create wrote to config.json, for Spec to hand
	// over once; nil when the container was read from disk.
	written *specs.Spec
}

// ShortID is the 12 digits people see, and the default hostname.
func (c *Container) ShortID() string { return c.ID[:12] }

// narrate lets the trace write c's id and directories as the article
// does: $ID (the short id too), $CONTAINER, $ROOTFS, and $LAYER1, $LAYER2 …
// for its image's layers, the lowest first. Each method that works on one
// container calls it first, so that `rm a b` narrates a, then b.
func (s *Store) narrate(c *Container) {
	if !s.tracer.Enabled() {
		return
	}
	s.tracer.Abbreviate("ID", c.ID, c.ShortID())
	s.tracer.Abbreviate("CONTAINER", c.Bundle)
	s.tracer.Abbreviate("ROOTFS", filepath.Join(c.Bundle, "rootfs"))
	if c.Overlay == nil {
		return
	}
	lower := c.Overlay.Lower // the top layer first, as lowerdir= lists them
	for i := range lower {
		s.tracer.Abbreviate(fmt.Sprintf("LAYER%d", i+1), lower[len(lower)-1-i])
	}
}

func (s *Store) containersDir() string { return filepath.Join(s.dataRoot, "containers") }
func (s *Store) namesDir() string      { return filepath.Join(s.dataRoot, "names") }

func (s *Store) load(id string) (*Container, error) {
	c := &Container{Bundle: filepath.Join(s.containersDir(), id)}
	if err := fileutil.ReadJSON(filepath.Join(c.Bundle, "container.json"), &c.Record); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Store) save(c *Container) error {
	return fileutil.WriteJSON(filepath.Join(c.Bundle, "container.json"), &c.Record)
}

// update changes c's record under its lock. Another command may have
// changed the record since c was read — `rename` of a running container,
// while its monitor waits for it — so the record is read again and only
// what change sets is written back: a stale copy written whole would
// bring the old name back.
func (s *Store) update(c *Container, change func(*Record)) error {
	unlock, err := fileutil.LockDir(c.Bundle)
	if err != nil {
		return err
	}
	defer unlock()
	return s.updateLocked(c, change)
}

// updateLocked is update for a caller that holds c's lock already: a
// second flock of the same directory from this process would wait for
// ever.
func (s *Store) updateLocked(c *Container, change func(*Record)) error {
	now, err := s.load(c.ID)
	if err != nil {
		return err
	}
	change(&now.Record)
	if err := s.save(now); err != nil {
		return err
	}
	c.Record = now.Record
	return nil
}

// ErrNotFound says no container matches a name or id.
var ErrNotFound = errors.New("no such container")

// Lookup finds a container by full id, by name, or by a unique id prefix.
func (s *Store) Lookup(ref string) (*Container, error) {
	if ref == "" || strings.ContainsAny(ref, "/\x00") || ref == "." || ref == ".." {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, ref)
	}
	if c, err := s.load(ref); err == nil {
		return c, nil
	}
	if id, err := os.Readlink(filepath.Join(s.namesDir(), ref)); err == nil {
		c, err := s.load(id)
		if errors.Is(err, os.ErrNotExist) {
			// A name left behind by a container removed half-way: it
			// leads nowhere, and the next claim of it replaces it.
			return nil, fmt.Errorf("%w: %q (see kobako ps -a)", ErrNotFound, ref)
		}
		return c, err
	}
	ids, err := s.ids()
	if err != nil {
		return nil, err
	}
	var match []string
	for _, id := range ids {
		if strings.HasPrefix(id, ref) {
			match = append(match, id)
		}
	}
	switch len(match) {
	case 0:
		return nil, fmt.Errorf("%w: %q (see kobako ps -a)", ErrNotFound, ref)
	case 1:
		return s.load(match[0])
	}
	return nil, fmt.Errorf("%q matches %d containers: give more of the id", ref, len(match))
}

func (s *Store) ids() ([]string, error) {
	entries, err := os.ReadDir(s.containersDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && validHexID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// List returns every container, newest first. A container being removed
// at this very moment is skipped.
func (s *Store) List() ([]*Container, error) {
	ids, err := s.ids()
	if err != nil {
		return nil, err
	}
	var list []*Container
	for _, id := range ids {
		if c, err := s.load(id); err == nil {
			list = append(list, c)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Created.After(list[j].Created) })
	return list, nil
}

// UsesImage reports the containers made from an image (rmi refuses those).
func (s *Store) UsesImage(image string) ([]*Container, error) {
	list, err := s.List()
	if err != nil {
		return nil, err
	}
	var users []*Container
	for _, c := range list {
		if c.Image == image {
			users = append(users, c)
		}
	}
	return users, nil
}

// MountedLayers are the image layers every container mounts as its
// overlay's lower layers: the image store keeps them (image.Collect), even
// when rmi -f removed the image itself.
func (s *Store) MountedLayers() ([]string, error) {
	list, err := s.List()
	if err != nil {
		return nil, err
	}
	var layers []string
	for _, c := range list {
		if c.Overlay != nil {
			layers = append(layers, c.Overlay.Lower...)
		}
	}
	return layers, nil
}
