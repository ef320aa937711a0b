// Step "コンテナを作ってみよう": make an image from a docker export tarball.
//
// Shell twin: mkdir -p $ROOTFS && tar -x -C $ROOTFS < bash.tar, where the
// article pipes docker export straight into tar, and then mv into place.
//
// Any image, imported or built in, is built aside in a work dir, its
// layers moved into layers/ and the image registered with one rename(2):
// see stage.
package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/rootfs/unpack"
)

// ImportOptions tune Import.
type ImportOptions struct {
	Limits unpack.Limits // what one tarball may make; zero fields mean rootfs.DefaultLimits
	Source string        // where the tarball came from, for kobako images: a file name, or "-"
	Arch   string        // the image's architecture (see ParseArch); "" reads it from the image's programs
	// Replace lets the name be taken: the new image is registered over
	// the old one (replace), for kobako-pull --replace.
	Replace bool
}

// Import unpacks a docker export tarball, a docker save archive or an OCI
// image layout as a tar (plain or gzip) from r into a new image called
// name. The tarball is treated as hostile: see unpack.Tar.
//
// Which of them it is shows only once it is unpacked (docker save writes
// manifest.json last): so it is unpacked as the image's tree first, and an
// archive's layers are then unpacked from that tree (layout.go).
func (s *Store) Import(r io.Reader, name string, opts ImportOptions) (*Image, error) {
	arch, err := s.PrepareImport(name, opts)
	if err != nil {
		return nil, err
	}
	return s.stage(name, func(work string) (Image, error) {
		tree, err := makeTree(work, s.tracer)
		if err != nil {
			return Image{}, err
		}
		res, err := unpack.Tar(r, tree, opts.Limits, s.tracer)
		if err != nil {
			return Image{}, fmt.Errorf("import %s: %w", name, err)
		}
		root, err := os.OpenFile(tree, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return Image{}, fmt.Errorf("open image rootfs: %w", err)
		}
		format, err := detectFormat(root)
		root.Close()
		if err != nil {
			return Image{}, err
		}
		if format != formatExport {
			// the archive's layers; the unpacked archive goes with work
			return s.importLayout(tree, work, name, format, opts, arch)
		}
		if res.Entries == 0 {
			return Image{}, fmt.Errorf("import %s: the tarball is empty: give a docker export tarball, a docker save archive or an OCI layout", name)
		}
		img := Image{Arch: arch, Size: res.Bytes, Source: opts.Source, Skipped: res.Skipped}
		return img, s.addTree(tree, res.DiffID, &img)
	})
}

// ImportLayout makes an image called name from dir, an OCI image layout
// (or an unpacked docker save archive) on the host. dir is read, never
// changed, and treated as hostile as a tarball is.
func (s *Store) ImportLayout(dir, name string, opts ImportOptions) (*Image, error) {
	arch, err := s.PrepareImport(name, opts)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open image layout: %w", err)
	}
	defer root.Close()
	format, err := detectFormat(root)
	if err != nil {
		return nil, err
	}
	if format == formatExport {
		return nil, fmt.Errorf("%s is not an image layout (no oci-layout or manifest.json): give a tarball instead", dir)
	}
	return s.stage(name, func(work string) (Image, error) {
		return s.importLayout(dir, work, name, format, opts, arch)
	})
}

// PrepareImport checks the name and the given architecture before
// anything is read, and returns the architecture ("" to find it out).
// A pull calls it before it asks the registry for anything.
func (s *Store) PrepareImport(name string, opts ImportOptions) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	arch := opts.Arch
	if arch != "" {
		var err error
		if arch, err = ParseArch(arch); err != nil {
			return "", err
		}
	}
	if err := s.sweep(); err != nil {
		return "", err
	}
	// Say so before reading gigabytes; the rename in register is what decides.
	if _, err := os.Lstat(s.dir(name)); err == nil && !opts.Replace {
		return "", exists(name)
	}
	return arch, nil
}

// makeTree makes the directory an image of one tree is built in.
func makeTree(work string, tr *trace.Tracer) (string, error) {
	tree := filepath.Join(work, "tree")
	// mkdir WORK/tree
	err := os.Mkdir(tree, 0o755)
	tr.Step("make image rootfs", "mkdir "+tree, "os.Mkdir", err)
	if err != nil {
		return "", fmt.Errorf("make image rootfs: %w", err)
	}
	return tree, nil
}

// addTree makes the finished tree, whose id is id, the image's one layer;
// the tree tells the rest of img first (describe).
func (s *Store) addTree(tree, id string, img *Image) error {
	if err := describe(tree, img); err != nil {
		return err
	}
	id, err := s.keepLayer(tree, id)
	img.LayerIDs = []string{id}
	return err
}

// stage makes an image in a locked work dir and registers it under name
// with one rename. Until then no command can see it; if anything fails, or
// kobako is killed, the work dir goes and nothing is registered. fill
// makes the image's layers (in work, and into layers/ with keepLayer) and
// returns the Image, but for its name and time of creation. The layers
// are held (Hold) until the image that lists them is registered.
func (s *Store) stage(name string, fill func(work string) (Image, error)) (*Image, error) {
	return s.stageAs(name, false, fill)
}

// stageAs is stage that, if replace, registers the image over one of the
// same name (replace) instead of refusing the name.
func (s *Store) stageAs(name string, replace bool, fill func(work string) (Image, error)) (*Image, error) {
	release, err := s.Hold()
	if err != nil {
		return nil, err
	}
	defer release()
	var img Image
	err = s.withWorkDir("build-", func(work string) error {
		var err error
		if img, err = fill(work); err != nil {
			return err
		}
		img.Name, img.Created = name, time.Now().UTC()
		staged := filepath.Join(work, "image")
		// mkdir WORK/image
		if err := os.Mkdir(staged, 0o755); err != nil {
			return fmt.Errorf("make image dir: %w", err)
		}
		if err := writeMetadata(filepath.Join(staged, metadataName), img); err != nil {
			return err
		}
		if replace {
			return s.replace(staged, name)
		}
		return s.register(staged, name)
	})
	if err != nil {
		return nil, err
	}
	if err := s.resolve(&img); err != nil {
		return nil, err
	}
	return &img, nil
}

// register moves a finished image dir into images/ under its name.
func (s *Store) register(staged, name string) error {
	// mkdir -p -m 0700 IMAGES
	if err := os.MkdirAll(s.imagesDir(), 0o700); err != nil {
		return fmt.Errorf("make %s: %w", s.imagesDir(), err)
	}
	// mv STAGED IMAGES/NAME — rename(2) is atomic, and it refuses to replace
	// a directory that is not empty, which every image dir is
	err := os.Rename(staged, s.dir(name))
	s.tracer.Step("register image", "mv "+staged+" "+s.dir(name), "os.Rename", err)
	if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOTEMPTY) {
		return exists(name)
	}
	if err != nil {
		return fmt.Errorf("register image %s: %w", name, err)
	}
	return nil
}

func writeMetadata(path string, img Image) error {
	data, err := json.MarshalIndent(img, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// describe fills in what the tree itself tells about the image: its
// default command, and its architecture unless that was given.
func describe(tree string, img *Image) error {
	// Look inside the tree with pathrs-lite: bin is often a symlink, and an
	// absolute "bin -> /usr/bin" read by the host would be the host's own.
	root, err := os.OpenFile(tree, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open image rootfs: %w", err)
	}
	defer root.Close()
	if img.Cmd, err = defaultCmd(root); err != nil {
		return err
	}
	if img.Arch == "" {
		img.Arch, err = detectArch(root)
	}
	return err
}

// defaultCmd is the image's shell, as docker's bash and busybox images have
// for CMD: /bin/sh if the tree has one (a symlink counts: busybox's is one),
// else /bin/bash, else none.
func defaultCmd(root *os.File) ([]string, error) {
	for _, shell := range []string{"/bin/sh", "/bin/bash"} {
		found, err := existsInRoot(root, shell)
		if err != nil {
			return nil, err
		}
		if found {
			return []string{shell}, nil
		}
	}
	return nil, nil
}

// existsInRoot is test -L PATH || test -e PATH, inside root.
func existsInRoot(root *os.File, path string) (bool, error) {
	dir, err := pathrs.OpenatInRoot(root, filepath.Dir(path))
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for %s in the image: %w", path, err)
	}
	defer dir.Close()
	var st unix.Stat_t
	err = unix.Fstatat(int(dir.Fd()), filepath.Base(path), &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for %s in the image: %w", path, err)
	}
	return true, nil
}
