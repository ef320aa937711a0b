package container

// Making a container: an id, a name, a bundle directory with its OCI
// config, and the empty layer the overlay will write into. Nothing runs
// yet; run.go and monitor.go start it through the runtime.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/cgroups"
	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/internal/undo"
	"github.com/kobako/kobako/rootfs"
	"github.com/kobako/kobako/runtime"
)

// CreateOptions describes a container to make.
type CreateOptions struct {
	Name        string // empty: generated
	Image       string
	ImageLayers []string    // the image's layers, lowest first: the overlay's lower layers
	Spec        *specs.Spec // from the flags; Root, default hostname and env are filled in here
	AutoRemove  bool        // --rm
	Detached    bool        // -d
	Labels      map[string]string
	StopSignal  string        // --stop-signal
	StopTimeout *int          // --stop-timeout
	Restart     RestartPolicy // --restart, kept by the monitor of -d
}

// Create makes the container's directory and record. On failure nothing
// is left behind.
//
// The record comes first: container.json is written, marked creating,
// before anything else is made for the container — its name, its layer,
// later its runtime state, cgroup and network — so that whatever a kill
// at any moment leaves, a record leads to it: ps -a shows it, rm -f and
// prune remove it. Only the record's own directory can precede it, and
// that is made under the store's lock, which a sweep takes too
// (orphans.go).
func (s *Store) Create(opts CreateOptions) (c *Container, err error) {
	if opts.Name != "" {
		if err := checkName(opts.Name); err != nil {
			return nil, err // before anything is made
		}
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	bundle := filepath.Join(s.containersDir(), id)
	// What only the id and the directory decide, the cgroup among it:
	// known before anything is made, so the record can name it.
	if err := completeSpec(opts.Spec, bundle, id); err != nil {
		return nil, err
	}
	s.tracer.Mark(trace.MarkSpec) // --trace=time: the spec is whole
	overlay := &rootfs.Overlay{
		Lower: overlayOrder(opts.ImageLayers),
		Upper: filepath.Join(bundle, "upper"),
		Work:  filepath.Join(bundle, "work"),
		// --rm: the layer goes with the container; its unmount need not
		// sync the host's disk (rootfs/overlay.go). Root's only: the
		// mark a volatile mount leaves sits in overlayfs's scratch dir,
		// mode 000, which only root can open to remove.
		Volatile: opts.AutoRemove && os.Geteuid() == 0,
	}
	c = &Container{Bundle: bundle, Fresh: true, Record: Record{
		ID: id, Name: opts.Name, Image: opts.Image, Command: opts.Spec.Process.Args,
		Created: time.Now().UTC(), AutoRemove: opts.AutoRemove, Detached: opts.Detached,
		Tty: opts.Spec.Process.Terminal, Overlay: overlay,
		Labels: opts.Labels, StopSignal: opts.StopSignal, StopTimeout: opts.StopTimeout,
		RestartPolicy: opts.Restart, Creating: true,
	}}
	if opts.Spec.Linux != nil {
		c.CgroupsPath = opts.Spec.Linux.CgroupsPath
	}
	// Deferred first, so it runs last: on failure the directory goes
	// while it is still locked as ours.
	unlock := func() {}
	defer func() { unlock() }()
	var u undo.Stack
	defer func() {
		if err != nil {
			u.RunIfNotReleased()
		}
	}()
	unlockDir, err := s.createRecord(c, &u)
	if err != nil {
		return nil, err
	}
	unlock = unlockDir
	s.narrate(c)

	// mkdir upper work rootfs — the article's $CONTAINER/{diff,work,merged}
	layer := []string{overlay.Upper, overlay.Work, filepath.Join(bundle, "rootfs")}
	for _, dir := range layer {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, fmt.Errorf("make container layer: %w", err)
		}
	}
	// A user namespace: its maps (a range of its own), and its root's layer.
	unlockRange, err := s.mapUserNamespace(opts.Spec, id)
	if err != nil {
		return nil, err
	}
	defer unlockRange()
	if err := s.giveLayerToRoot(opts.Spec, bundle, layer); err != nil {
		return nil, err
	}
	// From here on the range is this container's: others read config.json.
	if err := fileutil.WriteJSON(filepath.Join(bundle, "config.json"), opts.Spec); err != nil {
		return nil, err
	}
	c.written = opts.Spec // for Spec, instead of reading the file back
	// Made: the record says so, and the container is an ordinary one.
	c.Creating = false
	if err := s.save(c); err != nil {
		return nil, err
	}
	u.Release()
	s.event(c, "create", nil)
	return c, nil
}

// createRecord makes c's directory and writes its record, marked
// creating, then claims its name — under the store's lock, shared with
// other creates and taken whole by a sweep, so that no sweep ever sees
// the directory before its record. The directory stays locked (flock)
// until unlock: while it is, its maker lives (status.go). Every step
// pushes its undo on u.
func (s *Store) createRecord(c *Container, u *undo.Stack) (unlock func(), err error) {
	unlockStore, err := s.lockStore(unix.LOCK_SH)
	if err != nil {
		return nil, err
	}
	defer unlockStore()
	// mkdir $CONTAINER
	if err := os.Mkdir(c.Bundle, 0o700); err != nil {
		return nil, fmt.Errorf("make container dir: %w", err)
	}
	u.Push(func() error { return os.RemoveAll(c.Bundle) })
	// flock $CONTAINER, until the container is made
	unlockDir, err := fileutil.LockDir(c.Bundle)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unlockDir()
		}
	}()
	// No name asked for: one is chosen now, so that the record has it.
	generated := c.Name == ""
	if generated {
		if c.Name, err = generatedName(0); err != nil {
			return nil, err
		}
	}
	// cat > $CONTAINER/container.json — atomically (write, rename)
	if err := s.save(c); err != nil {
		return nil, err
	}
	// ln -s $ID names/$NAME
	claim := s.claimName
	if generated {
		claim = s.claimGenerated
	}
	name, err := claim(c.Name, c.ID)
	if err != nil {
		return nil, err
	}
	u.Push(func() error { return s.releaseName(name, c.ID) })
	if name != c.Name {
		// The chosen name was taken: the record learns the one claimed.
		// A kill before this leaves a name that leads to the record; rm
		// releases every name that leads to its id.
		c.Name = name
		if err := s.save(c); err != nil {
			return nil, err
		}
	}
	return unlockDir, nil
}

// overlayOrder is an image's layers as lowerdir= lists them: the image
// lists its lowest layer first, overlayfs its top one.
func overlayOrder(layers []string) []string {
	lower := slices.Clone(layers)
	slices.Reverse(lower)
	return lower
}

// completeSpec fills in what only the container's id and bundle decide.
func completeSpec(spec *specs.Spec, bundle, id string) error {
	spec.Root = &specs.Root{Path: filepath.Join(bundle, "rootfs"), Readonly: spec.Root != nil && spec.Root.Readonly}
	parent, err := cgroupParent()
	if err != nil {
		return err
	}
	if parent != "" {
		spec.Linux.CgroupsPath = parent + "/" + id
	}
	if spec.Hostname == "" {
		spec.Hostname = id[:12]
	}
	spec.Process.Env = runtime.FillEnv(spec.Process.Env, spec.Hostname, spec.Process.Terminal)
	return nil
}

// cgroupParent is where the container's cgroup goes, as
// cgroups.ContainerParent decides it: /kobako for root, a user's delegated
// subtree on cgroup v2. A user with none — always on v1 — gets no cgroup
// at all: the container stays in the caller's, with no limits (the flags
// refuse them, run_userns.go).
func cgroupParent() (string, error) {
	layout, err := cgroups.Detect()
	if err != nil {
		return "", err
	}
	parent, err := cgroups.ContainerParent(layout, os.Geteuid())
	if errors.Is(err, cgroups.ErrNotDelegated) {
		return "", nil
	}
	return parent, err
}

// Spec reads the container's config.json — or, once, hands over the spec
// that Create wrote there a moment ago, in this same process: nothing is
// read back that the process has just written (docs/bench.md).
func (c *Container) Spec() (*specs.Spec, error) {
	if spec := c.written; spec != nil {
		c.written = nil
		return spec, nil
	}
	var spec specs.Spec
	if err := fileutil.ReadJSON(filepath.Join(c.Bundle, "config.json"), &spec); err != nil {
		return nil, err
	}
	return &spec, nil
}
