package build

// COPY and ADD: files from the build context into the layers so far, as
// the article copies into $LAYER2/merged. The container of the step never
// runs: its layers are mounted detached (container.WithRoot), every path
// in it is resolved inside its root (pathrs), and the files arrive as a
// tar stream through unpack.Tar, the extractor that imports hostile
// images. Its upper dir then holds exactly what was copied: the layer.
//
// Shell twin:
//
//	mount -t overlay -o lowerdir=$LAYER1,upperdir=$LAYER2/diff,workdir=$LAYER2/work overlay $LAYER2/merged
//	mkdir -p $LAYER2/merged$DEST
//	tar -c --owner=0 --group=0 -C $CONTEXT SRC | tar -x -C $LAYER2/merged$DEST
//	umount $LAYER2/merged

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/moby/sys/user"
	"golang.org/x/sys/unix"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/internal/trace"
	"github.com/kobako/kobako/rootfs/unpack"
)

// copy is COPY and ADD. ADD unpacks a local tar archive (plain or
// gzipped) into the destination, and copies any other file as COPY does;
// it fetches no URL.
func (b *Builder) copy(st *state, ctx *buildContext, in Instruction) error {
	chown, rest, err := copyFlags(in)
	if err != nil {
		return err
	}
	if chown, err = expand(chown, st.lookup); err != nil {
		return err
	}
	args, err := copyArgs(rest, st.lookup)
	if err != nil {
		return err
	}
	plan, err := ctx.plan(args[:len(args)-1], args[len(args)-1], st.img.WorkingDir, in.Keyword == "ADD")
	if err != nil {
		return err
	}
	// the key: the step, and the checksum of what it copies
	digest, err := ctx.digest(plan)
	if err != nil {
		return err
	}
	key := st.keyFor(in.Keyword, in.Args, chown, digest)
	nop := []string{"/bin/sh", "-c", "#(nop) " + in.String()} // recorded, never run
	return b.layerStep(st, in, key, nop, func(c *container.Container) error {
		return b.containers.WithRoot(c, func(root *os.File) error {
			uid, gid, err := owner(root, chown)
			if err != nil {
				return err
			}
			return ctx.copyInto(root, plan, uid, gid, b.tracer)
		})
	})
}

// copyFlags reads COPY's and ADD's flags: --chown only. The others name
// what kobako does not do.
func copyFlags(in Instruction) (chown, rest string, err error) {
	rest = in.Args
	for strings.HasPrefix(rest, "--") {
		flag, after, _ := strings.Cut(rest, " ")
		rest = strings.TrimSpace(after)
		name, value, _ := strings.Cut(flag, "=")
		switch name {
		case "--chown":
			chown = value
		case "--from":
			return "", "", fmt.Errorf("%s: multi-stage builds are not supported by kobako build", flag)
		default:
			return "", "", fmt.Errorf("%s is not supported by kobako build (it knows --chown=USER[:GROUP])", name)
		}
	}
	return chown, rest, nil
}

// copyArgs are the sources and the destination, in either form.
func copyArgs(rest string, lookup lookupFunc) ([]string, error) {
	var args []string
	var exec []string
	if strings.HasPrefix(rest, "[") && json.Unmarshal([]byte(rest), &exec) == nil {
		for _, a := range exec {
			v, err := expand(a, lookup)
			if err != nil {
				return nil, err
			}
			args = append(args, v)
		}
	} else {
		var err error
		if args, err = words(rest, lookup); err != nil {
			return nil, err
		}
	}
	if len(args) < 2 {
		return nil, errors.New("needs a source and a destination: SRC... DEST")
	}
	return args, nil
}

// owner is COPY --chown's user and group: numbers, or names looked up in
// the image's own /etc/passwd and /etc/group (never the host's); root's
// without it.
func owner(root *os.File, chown string) (int, int, error) {
	if chown == "" {
		return 0, 0, nil
	}
	u, g, _ := strings.Cut(chown, ":")
	uid, uerr := strconv.Atoi(u)
	gid, gerr := strconv.Atoi(g)
	if uerr == nil && (g == "" || gerr == nil) {
		if g == "" {
			gid = uid
		}
		return uid, gid, nil
	}
	passwd, perr := readInRoot(root, "/etc/passwd")
	group, _ := readInRoot(root, "/etc/group")
	if perr != nil {
		return 0, 0, fmt.Errorf("--chown=%s: the image has no /etc/passwd to look the name up in: %w", chown, perr)
	}
	defer passwd.Close()
	var groupReader io.Reader
	if group != nil {
		defer group.Close()
		groupReader = group
	}
	// getent passwd USER, in the image
	eu, err := user.GetExecUser(chown, &user.ExecUser{}, passwd, groupReader)
	if err != nil {
		return 0, 0, fmt.Errorf("--chown=%s: %w", chown, err)
	}
	return eu.Uid, eu.Gid, nil
}

// readInRoot opens the file p of the image, resolved inside its root.
func readInRoot(root *os.File, p string) (*os.File, error) {
	h, err := pathrs.OpenatInRoot(root, p)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	return pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
}

// errStopped tells the tar writer that the extractor gave up.
var errStopped = errors.New("extraction stopped")

// copyInto writes p into the mounted root: mkdir -p the destination, then
// the entries as one tar stream, then ADD's archives, each unpacked.
func (c *buildContext) copyInto(root *os.File, p *copyPlan, uid, gid int, tr *trace.Tracer) error {
	// mkdir -p $MERGED$DEST, resolved inside the root: a symlink in the
	// image (bin -> usr/bin) leads where it leads in the image
	dir, err := pathrs.MkdirAllHandle(root, p.dest, 0o755)
	tr.Step("make the destination", "mkdir -p $MERGED"+p.dest, "pathrs.MkdirAllHandle", err)
	if err != nil {
		return fmt.Errorf("mkdir -p %s in the image: %w", p.dest, err)
	}
	defer func() { dir.Close() }()
	entries := p.entries
	if p.single {
		// COPY file /app, and /app is a directory: into it, as cp does
		sub, err := pathrs.OpenatInRoot(root, path.Join(p.dest, entries[0].name))
		if err == nil && isDir(sub) {
			dir.Close()
			dir = sub
			entries = []copyEntry{entries[0]}
			entries[0].name = path.Base(entries[0].rel)
		} else if err == nil {
			sub.Close()
		}
	}
	// Unpack takes a directory path: /proc/self/fd/N is exactly the
	// handle resolved above, not a path to be resolved again.
	target := fmt.Sprintf("/proc/self/fd/%d", dir.Fd())
	if len(entries) > 0 {
		tr.Note(fmt.Sprintf("copy %d entries from the build context", len(entries)), "tar -c -C $CONTEXT … | tar -x -C $MERGED"+p.dest)
		if err := c.stream(entries, target, uid, gid, tr); err != nil {
			return err
		}
	}
	for _, rel := range p.archives {
		if err := c.unpackArchive(rel, target, tr); err != nil {
			return err
		}
	}
	return nil
}

// stream is tar -c | tar -x in one process.
func (c *buildContext) stream(entries []copyEntry, target string, uid, gid int, tr *trace.Tracer) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := c.writeTar(pw, entries, uid, gid)
		pw.CloseWithError(err) // nil: the reader sees EOF
		done <- err
	}()
	_, err := unpack.Tar(pr, target, unpack.Limits{}, tr)
	pr.CloseWithError(errStopped) // unblocks the writer if Unpack stopped early
	if werr := <-done; werr != nil && !errors.Is(werr, errStopped) {
		return werr // the reading side's failure shows in Unpack as a broken stream
	}
	return err
}

// unpackArchive is ADD of a tarball: tar -x -C $MERGED$DEST < ARCHIVE.
func (c *buildContext) unpackArchive(rel, target string, tr *trace.Tracer) error {
	f, err := c.root.Open(rel)
	if err != nil {
		return c.sourceError(rel, err)
	}
	defer f.Close()
	tr.Note("unpack "+rel, "tar -x -C $MERGED$DEST < "+rel)
	if _, err := unpack.Tar(f, target, unpack.Limits{}, tr); err != nil {
		return fmt.Errorf("unpack %s: %w", rel, err)
	}
	return nil
}

func isDir(h *os.File) bool {
	var st unix.Stat_t
	return unix.Fstat(int(h.Fd()), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}
