// Step "Copy on Write", from the other side: the whiteouts of an imported
// layer, turned into the ones overlayfs reads.
//
// Shell twin, for each AUFS-style marker a docker or OCI layer carries:
//
//	rm DIR/.wh.NAME && mknod DIR/NAME c 0 0                      # NAME is deleted
//	rm DIR/.wh..wh..opq && setfattr -n trusted.overlay.opaque -v y DIR  # DIR hides what is below
//
// — see the OCI image spec, layer.md "Whiteouts", and the kernel's
// Documentation/filesystems/overlayfs.rst "whiteouts and opaque
// directories". A committed layer keeps overlay's own form (layers.go), so
// after this an imported layer is stored the same way.
package image

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
	opaqueXattr    = "trusted.overlay.opaque"
)

// whiteoutOf reads one file name of a layer: whether it is a whiteout
// marker, and for which name in the same directory, or an opaque marker for
// the directory itself. A name a whiteout could use to climb ("." or "..")
// is refused; other AUFS markers (.wh..wh.plnk …) are dropped as docker
// drops them (marker true, target "").
func whiteoutOf(name string) (target string, opaque, marker bool, err error) {
	rest, ok := strings.CutPrefix(name, whiteoutPrefix)
	switch {
	case !ok:
		return "", false, false, nil
	case name == opaqueMarker:
		return "", true, true, nil
	case strings.HasPrefix(rest, whiteoutPrefix):
		return "", false, true, nil
	case rest == "" || rest == "." || rest == ".." || strings.Contains(rest, "/"):
		return "", false, true, fmt.Errorf("refusing whiteout %q: it names no file in its directory", name)
	}
	return rest, false, true, nil
}

// convertWhiteouts replaces the markers in the unpacked layer dir. The tree
// is the import's own, in a 0700 work dir that nothing else writes, and
// WalkDir never follows a symlink: every path it gives is a real directory
// path inside the layer.
func convertWhiteouts(layer string) error {
	return filepath.WalkDir(layer, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target, opaque, marker, err := whiteoutOf(d.Name())
		if err != nil || !marker {
			return err
		}
		dir := filepath.Dir(path)
		// rm DIR/.wh.NAME — whatever it is, a marker is only its name
		if err := os.RemoveAll(path); err != nil {
			return fmt.Errorf("remove whiteout marker %s: %w", path, err)
		}
		if d.IsDir() {
			err = filepath.SkipDir // gone: nothing in it to walk
		}
		switch {
		case opaque:
			// setfattr -n trusted.overlay.opaque -v y DIR
			if xerr := unix.Lsetxattr(dir, opaqueXattr, []byte("y"), 0); xerr != nil {
				return fmt.Errorf("mark %s opaque: lsetxattr %s: %w", dir, opaqueXattr, xerr)
			}
		case target != "":
			if werr := whiteout(filepath.Join(dir, target)); werr != nil {
				return werr
			}
		}
		return err
	})
}

// whiteout makes path a character device 0,0: overlayfs's "this name is
// deleted". A file of that name in the same layer is replaced, as docker
// replaces it.
func whiteout(path string) error {
	if err := os.RemoveAll(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s for its whiteout: %w", path, err)
	}
	// mknod PATH c 0 0
	if err := unix.Mknod(path, unix.S_IFCHR, int(unix.Mkdev(0, 0))); err != nil {
		return fmt.Errorf("mknod %s c 0 0 (a whiteout): %w", path, err)
	}
	return nil
}
