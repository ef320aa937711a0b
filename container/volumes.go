package container

// Named volumes: a directory kobako keeps for data that outlives its
// containers, bound into them as -v NAME:/path binds a host directory.
//
// Shell twin: mkdir -p /var/lib/kobako/volumes/NAME/_data, then
// mount --rbind -o nosuid,nodev …/NAME/_data $ROOTFS/path — a named volume
// is a bind mount whose source kobako chose, in docker's own layout:
//
//	volumes/<name>/_data        what the container sees
//	volumes/<name>/volume.json  the record: name, created, labels
//
// Which containers use a volume is not written down twice: a container's
// config.json holds its mounts, and a mount whose source is a volume's
// _data is a use. So `volume rm` of a used volume is refused for as long
// as the container exists, running or not (docker's rule), and nothing
// can drift out of step. A shared flock on volumes/ held from the first
// -v NAME until the container is recorded (HoldVolumes) keeps a `volume
// rm` from slipping in between.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/fileutil"
	"github.com/kobako/kobako/internal/ident"
)

// Volume is a named volume's record.
type Volume struct {
	Name    string            `json:"Name"`
	Driver  string            `json:"Driver"` // always "local", as docker's inspect shows it
	Created time.Time         `json:"CreatedAt"`
	Labels  map[string]string `json:"Labels,omitempty"`
	// Anonymous volumes (-v /path, --mount type=volume without source)
	// get a 64-digit name; volume prune removes them without -a.
	Anonymous  bool   `json:"Anonymous,omitempty"`
	Mountpoint string `json:"Mountpoint"` // <data-root>/volumes/<name>/_data
}

// ErrNoSuchVolume is wrapped by the error for a volume that is not there.
var ErrNoSuchVolume = errors.New("no such volume")

// volumeRule is docker's: [a-zA-Z0-9][a-zA-Z0-9_.-]+, at least two bytes.
var volumeRule = ident.Rule{MaxLen: 128, Extra: "_.-"}

// ValidVolumeName reports whether name may name a volume.
func ValidVolumeName(name string) bool {
	return len(name) >= 2 && volumeRule.Valid(name)
}

func (s *Store) volumesDir() string            { return filepath.Join(s.dataRoot, "volumes") }
func (s *Store) volumeDir(name string) string  { return filepath.Join(s.volumesDir(), name) }
func (s *Store) volumeData(name string) string { return filepath.Join(s.volumeDir(name), "_data") }

// HoldVolumes takes a shared lock on the volumes: every volume a run
// mounts stays until release, by which time its container is recorded.
func (s *Store) HoldVolumes() (release func(), err error) {
	if err := os.MkdirAll(s.volumesDir(), 0o700); err != nil {
		return nil, fmt.Errorf("make volumes dir: %w", err)
	}
	return fileutil.FlockDir(s.volumesDir(), unix.LOCK_SH)
}

// CreateVolume makes a volume, or returns the one of that name: docker's
// volume create is idempotent.
func (s *Store) CreateVolume(name string, labels map[string]string) (*Volume, error) {
	return s.createVolume(name, labels, false)
}

// CreateAnonymousVolume makes a volume with a fresh 64-digit name.
func (s *Store) CreateAnonymousVolume() (*Volume, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("make volume name: %w", err)
	}
	return s.createVolume(hex.EncodeToString(b), nil, true)
}

func (s *Store) createVolume(name string, labels map[string]string, anonymous bool) (*Volume, error) {
	if !ValidVolumeName(name) {
		return nil, fmt.Errorf("invalid volume name %q: use [a-zA-Z0-9][a-zA-Z0-9_.-], at least 2 characters", name)
	}
	if v, err := s.Volume(name); err == nil {
		return v, nil
	}
	if err := os.MkdirAll(s.volumesDir(), 0o700); err != nil {
		return nil, fmt.Errorf("make volumes dir: %w", err)
	}
	// Built aside under a temporary name, then renamed: a volume exists
	// whole or not at all, and two runs making it at once both end with
	// the one that won.
	tmp, err := os.MkdirTemp(s.volumesDir(), ".new-")
	if err != nil {
		return nil, fmt.Errorf("make volume %s: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	v := &Volume{Name: name, Driver: "local", Created: time.Now().UTC().Truncate(time.Second),
		Labels: labels, Anonymous: anonymous, Mountpoint: s.volumeData(name)}
	// mkdir -p $VOLUMES/$NAME/_data
	err = os.Mkdir(filepath.Join(tmp, "_data"), 0o755)
	if err == nil {
		err = fileutil.WriteJSON(filepath.Join(tmp, "volume.json"), v)
	}
	if err == nil {
		err = os.Chmod(tmp, 0o701) // others may pass to _data, not list it
	}
	if err == nil {
		err = os.Rename(tmp, s.volumeDir(name))
	}
	s.tracer.Step("make volume "+name, "mkdir -p "+v.Mountpoint, "os.Mkdir, os.Rename", err)
	if errors.Is(err, fs.ErrExist) || errors.Is(err, unix.ENOTEMPTY) {
		return s.Volume(name) // made meanwhile by another run
	}
	if err != nil {
		return nil, fmt.Errorf("make volume %s: %w", name, err)
	}
	return v, nil
}

// Volume reads one volume's record.
func (s *Store) Volume(name string) (*Volume, error) {
	if !ValidVolumeName(name) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchVolume, name)
	}
	var v Volume
	err := fileutil.ReadJSON(filepath.Join(s.volumeDir(name), "volume.json"), &v)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchVolume, name)
	}
	if err != nil {
		return nil, err
	}
	v.Mountpoint = s.volumeData(name) // where it is now, if the store moved
	return &v, nil
}

// Volumes lists every volume, by name.
func (s *Store) Volumes() ([]*Volume, error) {
	entries, err := os.ReadDir(s.volumesDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	var list []*Volume
	for _, e := range entries {
		if !e.IsDir() || !ValidVolumeName(e.Name()) {
			continue // .new-* being made, or not ours
		}
		if v, err := s.Volume(e.Name()); err == nil {
			list = append(list, v)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, nil
}

// VolumeUsers are the containers (running or not) whose mounts use the
// volume.
func (s *Store) VolumeUsers(name string) ([]*Container, error) {
	list, err := s.List()
	if err != nil {
		return nil, err
	}
	var users []*Container
	for _, c := range list {
		if slices.Contains(c.volumeNames(s), name) {
			users = append(users, c)
		}
	}
	return users, nil
}

// volumeNames are the volumes c's config.json mounts. A container whose
// config cannot be read (half removed) mounts none.
func (c *Container) volumeNames(s *Store) []string {
	spec, err := c.Spec()
	if err != nil {
		return nil
	}
	var names []string
	for _, m := range spec.Mounts {
		if m.Type != "bind" || filepath.Base(m.Source) != "_data" {
			continue
		}
		dir := filepath.Dir(m.Source)
		if filepath.Dir(dir) == s.volumesDir() {
			names = append(names, filepath.Base(dir))
		}
	}
	return names
}

// RemoveVolume removes a volume no container uses. force: a volume that
// is not there is no error (docker's -f); a used one is still refused.
func (s *Store) RemoveVolume(name string, force bool) error {
	if err := os.MkdirAll(s.volumesDir(), 0o700); err != nil {
		return fmt.Errorf("make volumes dir: %w", err)
	}
	unlock, err := fileutil.LockDir(s.volumesDir())
	if err != nil {
		return err
	}
	defer unlock()
	return s.removeVolumeLocked(name, force)
}

func (s *Store) removeVolumeLocked(name string, force bool) error {
	if _, err := s.Volume(name); err != nil {
		if force && errors.Is(err, ErrNoSuchVolume) {
			return nil
		}
		return err
	}
	users, err := s.VolumeUsers(name)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return fmt.Errorf("volume %s is in use by container %s: remove the container first (kobako rm %s)",
			name, users[0].Name, users[0].Name)
	}
	// Renamed away first: a half-removed volume is never seen as one.
	gone := filepath.Join(s.volumesDir(), ".rm-"+name)
	err = os.Rename(s.volumeDir(name), gone)
	if err == nil {
		err = os.RemoveAll(gone)
	}
	s.tracer.Step("remove volume "+name, "rm -rf "+s.volumeDir(name), "os.Rename, os.RemoveAll", err)
	if err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	return nil
}

// PruneVolumes removes the volumes no container uses: the anonymous ones,
// or every one with all (docker 23's rule: a name is kept unless -a).
func (s *Store) PruneVolumes(all bool) ([]string, error) {
	if err := os.MkdirAll(s.volumesDir(), 0o700); err != nil {
		return nil, fmt.Errorf("make volumes dir: %w", err)
	}
	unlock, err := fileutil.LockDir(s.volumesDir())
	if err != nil {
		return nil, err
	}
	defer unlock()
	list, err := s.Volumes()
	if err != nil {
		return nil, err
	}
	used, err := s.usedVolumes()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, v := range list {
		if used[v.Name] || !(all || v.Anonymous) {
			continue
		}
		if err := s.removeVolumeLocked(v.Name, true); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, v.Name)
	}
	return removed, errors.Join(errs...)
}

// usedVolumes is every volume some container mounts.
func (s *Store) usedVolumes() (map[string]bool, error) {
	list, err := s.List()
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, c := range list {
		for _, name := range c.volumeNames(s) {
			used[name] = true
		}
	}
	return used, nil
}

// RemoveAnonymousVolumes removes the anonymous volumes c mounted, once c
// is gone: rm -v. Named ones stay, as docker keeps them.
func (s *Store) RemoveAnonymousVolumes(names []string) error {
	var errs []error
	for _, name := range names {
		v, err := s.Volume(name)
		if err != nil || !v.Anonymous {
			continue
		}
		if err := s.RemoveVolume(name, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// VolumeNames are the volumes c mounts (for rm -v: read them before rm).
func (s *Store) VolumeNames(c *Container) []string { return c.volumeNames(s) }

// VolumeSource is where a volume's data is, for a bind mount.
func (s *Store) VolumeSource(name string) string { return s.volumeData(name) }

// isEmptyDir reports whether dir has no entries.
func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); errors.Is(err, io.EOF) {
		return true, nil
	} else if err != nil {
		return false, fmt.Errorf("read %s: %w", dir, err)
	}
	return false, nil
}
