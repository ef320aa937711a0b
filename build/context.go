package build

// The build context: the directory COPY and ADD take files from, and
// nothing outside it. It is opened once as an os.Root, which refuses
// every path that leaves it — "../x", an absolute symlink, a symlink
// whose target climbs out — so a Dockerfile cannot copy the host's
// /etc/shadow into an image, however its links are laid out.
//
// Shell twin: tar -c -C $CONTEXT --exclude-from=.dockerignore SRC… |
// tar -x -C $LAYER2/merged$DEST (the article's §7.3 copies with cp).

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// buildContext is the directory kobako build was given.
type buildContext struct {
	dir    string
	root   *os.Root
	ignore *ignorer // nil: no .dockerignore
}

// openContext opens dir and reads its .dockerignore.
func openContext(dir string) (*buildContext, error) {
	// cd $CONTEXT, for good: every path below is resolved from here
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open build context: %w", err)
	}
	c := &buildContext{dir: dir, root: root}
	f, err := root.Open(".dockerignore")
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err == nil {
		c.ignore, err = parseIgnore(f)
		f.Close()
	}
	if err != nil {
		root.Close()
		return nil, err
	}
	return c, nil
}

func (c *buildContext) Close() error { return c.root.Close() }

// copyEntry is one file, directory or symlink a COPY writes.
type copyEntry struct {
	rel  string      // its context path, slash-separated
	name string      // its name under the destination directory
	info fs.FileInfo // what it is
	link string      // a symlink's target
}

// copyPlan is what a COPY or ADD writes, and where.
type copyPlan struct {
	dest     string // the absolute directory in the image the entries go into
	single   bool   // one file to a named path: into it if it is a directory (see copyInto)
	entries  []copyEntry
	archives []string // ADD: context paths of tarballs, unpacked into dest
}

// plan resolves COPY's (or ADD's) sources inside the context and decides
// where each goes, by docker's rules: a directory's contents go into the
// destination; a file goes to the destination's name, or into it if it
// ends in "/"; several sources need a destination that ends in "/".
func (c *buildContext) plan(sources []string, dest, workdir string, add bool) (*copyPlan, error) {
	destAbs := dest
	if !path.IsAbs(dest) {
		destAbs = path.Join("/", workdir, dest)
	}
	destAbs = path.Clean(destAbs)
	destIsDir := strings.HasSuffix(dest, "/") || strings.HasSuffix(dest, "/.") || dest == "."
	var rels []string
	for _, src := range sources {
		found, err := c.resolve(src)
		if err != nil {
			return nil, err
		}
		rels = append(rels, found...)
	}
	if len(rels) > 1 && !destIsDir {
		return nil, fmt.Errorf("with several sources (%s), the destination must be a directory ending in /: %s/", strings.Join(rels, ", "), dest)
	}
	p := &copyPlan{dest: destAbs}
	for _, rel := range rels {
		// stat SRC — a symlink named as the source is followed, inside the context
		info, err := c.root.Stat(rel)
		if err != nil {
			return nil, c.sourceError(rel, err)
		}
		switch {
		case info.IsDir():
			if err := c.walk(rel, p); err != nil {
				return nil, err
			}
		case !info.Mode().IsRegular():
			return nil, fmt.Errorf("%s is not a regular file, directory or symlink: kobako build does not copy it", rel)
		case add && c.isArchive(rel):
			p.archives = append(p.archives, rel)
		case destIsDir || len(rels) > 1:
			p.entries = append(p.entries, copyEntry{rel: rel, name: path.Base(rel), info: info})
		default:
			p.dest, p.single = path.Dir(destAbs), true
			p.entries = append(p.entries, copyEntry{rel: rel, name: path.Base(destAbs), info: info})
		}
	}
	return p, nil
}

// resolve turns one source as written into context paths: itself, or
// what its wildcards match. "/x" is the context's x, as in docker; "../x"
// is refused, not quietly clamped to the context.
func (c *buildContext) resolve(src string) ([]string, error) {
	if strings.Contains(src, "://") {
		return nil, fmt.Errorf("%s: kobako build copies local files only; fetch it in a RUN step (with --network bridge) instead", src)
	}
	rel := strings.TrimLeft(filepath.ToSlash(src), "/")
	if rel == "" {
		rel = "."
	}
	if rel != "." && !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("%s is outside the build context %s: COPY and ADD take files from it only", src, c.dir)
	}
	rel = path.Clean(rel)
	if !strings.ContainsAny(rel, "*?[") {
		if c.ignore.ignored(rel) {
			return nil, fmt.Errorf("%s: excluded by .dockerignore", src)
		}
		return []string{rel}, nil
	}
	if _, err := path.Match(rel, ""); err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	var found []string
	err := fs.WalkDir(c.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if c.ignore.ignored(p) {
			if d.IsDir() && !c.ignore.mayHoldExceptions() {
				return fs.SkipDir
			}
			return nil
		}
		if ok, _ := path.Match(rel, p); ok {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look for %s in the build context: %w", src, err)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%s: no file in the build context matches", src)
	}
	return found, nil
}

// sourceError says what is wrong with a source, in a learner's words.
func (c *buildContext) sourceError(rel string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file or directory in the build context %s", rel, c.dir)
	case strings.Contains(err.Error(), "escapes from parent"), strings.Contains(err.Error(), "path escapes"):
		return fmt.Errorf("%s leads outside the build context %s (through a symlink): COPY and ADD take files from it only", rel, c.dir)
	}
	return fmt.Errorf("%s: %w", rel, err)
}

// walk adds the tree under the directory rel to p, names relative to it;
// a symlink inside is copied as a symlink, never followed.
func (c *buildContext) walk(top string, p *copyPlan) error {
	return fs.WalkDir(c.root.FS(), top, func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return c.sourceError(rel, err)
		}
		if rel == top {
			return nil // the directory itself: its contents go into dest
		}
		if c.ignore.ignored(rel) {
			if d.IsDir() && !c.ignore.mayHoldExceptions() {
				return fs.SkipDir
			}
			return nil
		}
		// stat -h REL
		info, err := c.root.Lstat(rel)
		if err != nil {
			return c.sourceError(rel, err)
		}
		e := copyEntry{rel: rel, name: strings.TrimPrefix(rel, top+"/"), info: info}
		if top == "." {
			e.name = rel
		}
		switch mode := info.Mode(); {
		case mode&fs.ModeSymlink != 0:
			// readlink REL: copied as it is; inside the image it points
			// into the image, wherever it pointed here
			if e.link, err = c.root.Readlink(rel); err != nil {
				return c.sourceError(rel, err)
			}
		case !mode.IsDir() && !mode.IsRegular():
			return fmt.Errorf("%s is not a regular file, directory or symlink: kobako build does not copy it", rel)
		}
		p.entries = append(p.entries, e)
		return nil
	})
}

// isArchive says whether ADD unpacks the file rel: a tar archive, plain
// or gzipped, recognised by its content as docker does.
func (c *buildContext) isArchive(rel string) bool {
	f, err := c.root.Open(rel)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return true // gzip: unpack.Tar reads it, and refuses it if it is not a tar inside
	}
	return len(head) >= 262 && string(head[257:262]) == "ustar"
}

// digest is the checksum of what p copies: names, modes, link targets and
// contents, not times — the cache key of a COPY (docker's rule too: a
// touched file with the same bytes still hits).
func (c *buildContext) digest(p *copyPlan) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "dest %s %t\n", p.dest, p.single)
	for _, e := range p.entries {
		fmt.Fprintf(h, "%q %o %q", e.name, e.info.Mode(), e.link)
		if e.info.Mode().IsRegular() {
			if err := c.hashFile(h, e.rel); err != nil {
				return "", err
			}
		}
		fmt.Fprintln(h)
	}
	for _, rel := range p.archives {
		fmt.Fprintf(h, "archive %q ", rel)
		if err := c.hashFile(h, rel); err != nil {
			return "", err
		}
		fmt.Fprintln(h)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (c *buildContext) hashFile(w io.Writer, rel string) error {
	f, err := c.root.Open(rel)
	if err != nil {
		return c.sourceError(rel, err)
	}
	defer f.Close()
	fh := sha256.New()
	if _, err := io.Copy(fh, bufio.NewReader(f)); err != nil {
		return fmt.Errorf("read %s: %w", rel, err)
	}
	_, err = fmt.Fprintf(w, " %x", fh.Sum(nil))
	return err
}

// writeTar writes p's entries as a tar stream, every one owned by uid:gid
// (root's, unless COPY --chown), with its own mode and time.
func (c *buildContext) writeTar(w io.Writer, entries []copyEntry, uid, gid int) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		hdr, err := tar.FileInfoHeader(e.info, e.link)
		if err != nil {
			return fmt.Errorf("%s: %w", e.rel, err)
		}
		hdr.Name, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = e.name, uid, gid, "", ""
		hdr.Format = tar.FormatPAX
		if e.info.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if e.info.Mode().IsRegular() {
			if err := c.copyFile(tw, e); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

func (c *buildContext) copyFile(w io.Writer, e copyEntry) error {
	f, err := c.root.Open(e.rel)
	if err != nil {
		return c.sourceError(e.rel, err)
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err == nil && n != e.info.Size() {
		err = fmt.Errorf("it changed while it was copied (%d bytes, then %d)", e.info.Size(), n)
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", e.rel, err)
	}
	return nil
}
