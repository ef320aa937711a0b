// Package image is kobako's local image store: the layers that containers
// start from, and the images that name them.
//
// Shell twin: the article keeps one image by hand, in one directory:
//
//	mkdir -p $ROOTFS && docker export $(docker create busybox) | tar -x -C $ROOTFS
//
// kobako keeps many, under its --data-root:
//
//	layers/<sha256>/           one layer's tree, shared by every image that has it (layerstore.go)
//	images/<name>/image.json   name, architecture, size, source, default command, and its
//	                           layers, lowest first: the overlay's lower layers
//	tmp/<work dir>/            layers and images being built or removed, each with a lock
//
// An image appears by one rename(2) of a finished directory into images/ and
// disappears by one rename out of it, so no command ever sees half an image;
// a layer appears in layers/ whole, by one rename too.
// This file is the store itself (find, list, remove, and the locked work
// dirs that make the renames safe); import.go and layout.go build images
// from tarballs, busybox.go builds the one that is always there, commit.go
// stacks a container's layer on an image, layerstore.go keeps the layers.
package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/ident"
	"github.com/kobako/kobako/internal/trace"
)

// Store is the image store under one data root.
type Store struct {
	dataRoot string
	tracer   *trace.Tracer
}

// NewStore returns the store under dataRoot (kobako's --data-root).
// Nothing is created until an image is.
func NewStore(dataRoot string, tr *trace.Tracer) *Store {
	return &Store{dataRoot: dataRoot, tracer: tr}
}

// Image is what the store knows about one image; image.json holds it.
type Image struct {
	Name    string    `json:"name"`
	Arch    string    `json:"arch"` // GOARCH of its programs (arm64 …), or UnknownArch: see arch.go
	Created time.Time `json:"created"`
	Size    int64     `json:"size"`   // bytes of regular files unpacked
	Source  string    `json:"source"` // file it was imported from, "-" for stdin, or how it was built
	Cmd     []string  `json:"cmd"`    // default command: the image's shell, or its config's Cmd
	// The rest of run's defaults, from an imported image's config (layout.go).
	Entrypoint []string `json:"entrypoint,omitempty"`
	Env        []string `json:"env,omitempty"`
	WorkingDir string   `json:"workingDir,omitempty"`
	User       string   `json:"user,omitempty"`
	Skipped    []string `json:"skipped,omitempty"` // tar entries left out at import (device nodes …)
	Parent     string   `json:"parent,omitempty"`  // the image a commit stacked this one on
	// Labels, ExposedPorts and History are what kobako build records
	// (LABEL, EXPOSE, one entry per Dockerfile step: history.go).
	Labels       map[string]string `json:"labels,omitempty"`
	ExposedPorts []string          `json:"exposedPorts,omitempty"`
	History      []HistoryEntry    `json:"history,omitempty"`
	// LayerIDs are the image's layers, lowest first: "sha256:<hex>", a
	// layer in layers/. A store of an older kobako has paths relative to
	// images/ instead ("busybox/rootfs", "mine/layer"), or none: then the
	// image is its rootfs/ alone. Those still run.
	LayerIDs []string `json:"layers,omitempty"`
	Layers   []string `json:"-"` // the layers' directories, absolute, filled in by the store
	Rootfs   string   `json:"-"` // the top layer's directory, filled in by the store
}

var (
	// ErrNotFound is wrapped by the error for an image that is not there.
	ErrNotFound = errors.New("no such image")
	// ErrExists is wrapped by the error for a name that is taken.
	ErrExists = errors.New("already exists")
)

func notFound(name string) error {
	return fmt.Errorf("%w %q: import one with kobako import, or use busybox", ErrNotFound, name)
}

func exists(name string) error {
	return fmt.Errorf("image %q %w: remove it with kobako rmi %s, or pick another name", name, ErrExists, name)
}

const (
	lockName     = "lock"       // in each work dir, flocked while the work goes on
	metadataName = "image.json" // in each image dir
	rootfsName   = "rootfs"     // an older store's image tree, in its image dir
)

func (s *Store) imagesDir() string      { return filepath.Join(s.dataRoot, "images") }
func (s *Store) tmpDir() string         { return filepath.Join(s.dataRoot, "tmp") }
func (s *Store) dir(name string) string { return filepath.Join(s.imagesDir(), name) }

// Get returns the image called name. The busybox image is built from the
// host's static busybox the first time it is asked for.
func (s *Store) Get(name string) (*Image, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	if err := s.sweep(); err != nil {
		return nil, err
	}
	img, err := s.read(name)
	if errors.Is(err, ErrNotFound) && name == BusyboxName {
		return s.buildBusybox()
	}
	return img, err
}

// List returns every image, sorted by name. It does not build busybox.
func (s *Store) List() ([]Image, error) {
	if err := s.sweep(); err != nil {
		return nil, err
	}
	// ls IMAGES
	entries, err := os.ReadDir(s.imagesDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // no image imported yet
	}
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("list images: %w (the store is root's: try sudo)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	var images []Image
	for _, e := range entries { // os.ReadDir sorts by file name, which is the image name
		if ValidName(e.Name()) != nil {
			continue // not an image kobako made
		}
		img, err := s.read(e.Name())
		if errors.Is(err, ErrNotFound) {
			continue // removed while we were listing
		}
		if err != nil {
			return nil, err
		}
		images = append(images, *img)
	}
	return images, nil
}

// read loads images/NAME/image.json.
func (s *Store) read(name string) (*Image, error) {
	data, err := os.ReadFile(filepath.Join(s.dir(name), metadataName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read image %s: %w", name, err)
	}
	var img Image
	if err := json.Unmarshal(data, &img); err != nil {
		return nil, fmt.Errorf("parse %s of image %s: %w", metadataName, name, err)
	}
	if img.Arch == "" {
		img.Arch = UnknownArch // imported before kobako recorded architectures
	}
	if err := s.resolve(&img); err != nil {
		return nil, err
	}
	return &img, nil
}

// resolve fills in the paths of img's layers, from its LayerIDs.
func (s *Store) resolve(img *Image) error {
	if len(img.LayerIDs) == 0 {
		img.LayerIDs = []string{filepath.Join(img.Name, rootfsName)} // an older store's one tree
	}
	images, err := filepath.Abs(s.imagesDir())
	if err != nil {
		return fmt.Errorf("find layers of image %s: %w", img.Name, err)
	}
	layers, err := filepath.Abs(s.layersDir())
	if err != nil {
		return fmt.Errorf("find layers of image %s: %w", img.Name, err)
	}
	img.Layers = nil
	for _, id := range img.LayerIDs {
		if h, err := layerHex(id); err == nil {
			img.Layers = append(img.Layers, filepath.Join(layers, h))
			continue
		}
		// an older store's layer dir: image.json is kobako's own, but
		// a layer must stay inside images/
		if strings.HasPrefix(id, "sha256:") || !filepath.IsLocal(id) {
			return fmt.Errorf("image %s: layer %q is not inside the image store", img.Name, id)
		}
		img.Layers = append(img.Layers, filepath.Join(images, id))
	}
	img.Rootfs = img.Layers[len(img.Layers)-1]
	return nil
}

// Children returns the images of an older store that use a layer kept in
// the image name's own directory (a commit stacked on it): it must stay
// while they do. Layers in layers/ need no such care: they stay while any
// image lists them (Collect).
func (s *Store) Children(name string) ([]string, error) {
	list, err := s.List()
	if err != nil {
		return nil, err
	}
	var children []string
	for _, img := range list {
		if img.Name == name {
			continue
		}
		for _, id := range img.LayerIDs {
			if strings.HasPrefix(id, name+"/") {
				children = append(children, img.Name)
				break
			}
		}
	}
	return children, nil
}

// Remove deletes an image, but not its layers: Collect removes those that
// nothing uses any more. The caller checks first that no container uses
// the image (or that rmi -f was asked), and no older store's child image
// (Children).
func (s *Store) Remove(name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	return s.withWorkDir("remove-", func(work string) error {
		// mv IMAGES/NAME WORK/image — the image is gone at once, and the
		// slow rm -rf of its tree happens out of sight, in withWorkDir
		aside := filepath.Join(work, "image")
		err := os.Rename(s.dir(name), aside)
		s.tracer.Step("remove image", "mv "+s.dir(name)+" "+aside+" && rm -rf "+work, "os.Rename, os.RemoveAll", err)
		if errors.Is(err, fs.ErrNotExist) {
			return notFound(name)
		}
		if err != nil {
			return fmt.Errorf("remove image %s: %w", name, err)
		}
		return nil
	})
}

// withWorkDir runs fn in a fresh, locked directory under tmp/ and removes
// that directory afterwards, whatever fn left in it. If kobako dies in fn,
// the kernel drops the lock with the process and the next sweep removes
// the directory.
func (s *Store) withWorkDir(prefix string, fn func(work string) error) (err error) {
	work, lock, err := s.newWorkDir(prefix)
	if err != nil {
		return err
	}
	defer func() {
		// rm -rf WORK, still holding its lock so that no sweep races us
		rmErr := os.RemoveAll(work)
		lock.Close()
		if err == nil && rmErr != nil {
			err = fmt.Errorf("remove work dir: %w", rmErr)
		}
	}()
	return fn(work)
}

// newWorkDir makes tmp/PREFIXnnnn and takes its lock. The lock file is made
// under another name and renamed to "lock" only once it is held, so a sweep
// never mistakes a work dir that is just starting for a dead one.
func (s *Store) newWorkDir(prefix string) (work string, lock *os.File, err error) {
	// mkdir -p -m 0700 TMP — the store is root's alone
	if err := os.MkdirAll(s.tmpDir(), 0o700); err != nil {
		return "", nil, fmt.Errorf("make %s: %w", s.tmpDir(), err)
	}
	// mktemp -d TMP/PREFIXXXXX (mode 0700)
	if work, err = os.MkdirTemp(s.tmpDir(), prefix); err != nil {
		return "", nil, fmt.Errorf("make work dir: %w", err)
	}
	defer func() {
		if err != nil {
			// Best effort: this is an error path already, and what stays is
			// an empty directory that no command lists as an image.
			_ = os.RemoveAll(work)
		}
	}()
	starting := filepath.Join(work, lockName+".new")
	if lock, err = os.OpenFile(starting, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
		return "", nil, fmt.Errorf("make lock file: %w", err)
	}
	// flock -x LOCK, then mv LOCK.new LOCK
	if err = unix.Flock(int(lock.Fd()), unix.LOCK_EX); err == nil {
		err = os.Rename(starting, filepath.Join(work, lockName))
	}
	if err != nil {
		lock.Close()
		return "", nil, fmt.Errorf("lock %s: %w", work, err)
	}
	return work, lock, nil
}

// sweep removes the work dirs of a kobako that died (SIGKILL, power loss):
// their lock can be taken at once, because a lock dies with its holder.
func (s *Store) sweep() error {
	entries, err := os.ReadDir(s.tmpDir())
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return nil // nothing to sweep, or not ours to sweep: root sweeps next time
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", s.tmpDir(), err)
	}
	for _, e := range entries {
		if err := s.sweepOne(filepath.Join(s.tmpDir(), e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) sweepOne(work string) error {
	lock, err := os.Open(filepath.Join(work, lockName))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
		return nil // a work dir just starting, or just removed; or not a work dir
	}
	if err != nil {
		return fmt.Errorf("open lock of %s: %w", work, err)
	}
	defer lock.Close()
	// flock -n -x LOCK
	err = unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return nil // its kobako is alive and working
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", work, err)
	}
	// rm -rf WORK
	err = os.RemoveAll(work)
	s.tracer.Step("remove a dead import", "rm -rf "+work, "os.RemoveAll", err)
	if err != nil {
		return fmt.Errorf("remove dead work dir: %w", err)
	}
	return nil
}

// Docker's rule for a repository name, one path component, with an
// optional tag: ^[a-z0-9][a-z0-9._-]{0,127}(:[A-Za-z0-9._-]{1,128})?$
var (
	repoRule = ident.Rule{MaxLen: 128, LowerOnly: true, Extra: "._-"}
	tagRule  = ident.Rule{MaxLen: 128, Extra: "._-"}
)

func validName(name string) bool {
	repo, tag, tagged := strings.Cut(name, ":")
	// A tag may start with '.', '_' or '-': check it as if it followed a letter.
	return repoRule.Valid(repo) && (!tagged || tag != "" && tagRule.Valid("a"+tag))
}

// ValidName checks an image name. It is also a directory name in the store,
// so it must not hold a '/' or be "." or "..": the rule sees to that.
func ValidName(name string) error {
	if !validName(name) {
		return fmt.Errorf("invalid image name %q: use up to 128 lowercase letters, digits, '.', '_' and '-', "+
			"starting with a letter or digit, and optionally :TAG (like bash or bash:5.2)", name)
	}
	return nil
}

// NameFromFile makes an image name from a tarball's file name:
// "/tmp/Bash 5.tar.gz" gives "bash-5".
func NameFromFile(path string) string {
	base := strings.ToLower(filepath.Base(path))
	for _, ext := range []string{".tar.gz", ".tgz", ".tar", ".gz"} {
		if trimmed, ok := strings.CutSuffix(base, ext); ok {
			base = trimmed
			break
		}
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, base)
	name = strings.TrimLeft(name, "._-")
	if len(name) > 128 {
		name = name[:128]
	}
	if name == "" {
		return "image"
	}
	return name
}

// Pulled says whether img came from a registry: kobako pull records its
// source as REPOSITORY@sha256:DIGEST (registry.Fetch), which no imported,
// built or committed image has.
func (img *Image) Pulled() bool {
	_, digest, ok := strings.Cut(img.Source, "@sha256:")
	return ok && digest != ""
}
