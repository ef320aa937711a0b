package build

// The orchestrator: the article's §7.3, one Dockerfile step at a time.
//
//	FROM busybox        LAYER1=busybox's layers                     (no work)
//	COPY a /a           mount overlay(LAYER1) ; cp a merged/a ; keep upper as LAYER2
//	RUN make            mount overlay(LAYER2:LAYER1) ; chroot merged sh -c make ; keep upper as LAYER3
//	CMD ["/a"]          image.json: "cmd": ["/a"]                   (no layer)
//
// and at the end, the image: its layers and config, registered by one
// rename. A step that fails leaves no container and no image; the layers
// of the steps before it stay, in the build cache, for the next try.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
	"github.com/kobako/kobako/internal/trace"
)

// Options describe one build.
type Options struct {
	Name       string            // -t: the image to make (or replace)
	Dockerfile string            // -f: default Context/Dockerfile
	Context    string            // the build context directory
	Network    string            // RUN's network: none (the default) or bridge
	NoCache    bool              // --no-cache: run every step
	BuildArgs  map[string]string // --build-arg KEY=VALUE, for ARG
	Out        io.Writer         // where Step N/M lines go
	Stdio      container.Stdio   // RUN's output
}

// Builder makes images from Dockerfiles, with the stores it works on.
type Builder struct {
	images     *image.Store
	containers *container.Store
	tracer     *trace.Tracer
}

// New returns a builder on these stores.
func New(images *image.Store, containers *container.Store, tr *trace.Tracer) *Builder {
	return &Builder{images: images, containers: containers, tracer: tr}
}

// RunError is a RUN step that exited non-zero: the build stops with its
// status.
type RunError struct {
	Step string
	Code int
}

func (e *RunError) Error() string {
	return fmt.Sprintf("%s returned a non-zero code: %d", e.Step, e.Code)
}

// Build reads the Dockerfile, runs its steps and registers the image.
func (b *Builder) Build(opts Options) (*image.Image, error) {
	if err := image.ValidName(opts.Name); err != nil {
		return nil, err
	}
	if opts.Network == "" {
		opts.Network = container.NetworkNone
	}
	if opts.Network != container.NetworkNone && opts.Network != container.NetworkBridge {
		return nil, fmt.Errorf("--network %q: kobako build runs RUN steps with none (the default) or bridge", opts.Network)
	}
	if opts.Dockerfile == "" {
		opts.Dockerfile = filepath.Join(opts.Context, "Dockerfile")
	}
	insts, err := readDockerfile(opts.Dockerfile)
	if err != nil {
		return nil, err
	}
	ctx, err := openContext(opts.Context)
	if err != nil {
		return nil, err
	}
	defer ctx.Close()
	// flock -s LAYERS: no rmi collects a layer of this build, the base
	// image's or a new one, before the image or the cache lists it
	release, err := b.images.Hold()
	if err != nil {
		return nil, err
	}
	defer release()
	st := newState(opts)
	defer func() {
		if st.scratch != "" {
			os.Remove(st.scratch) // an empty dir, only ever a lower layer
		}
	}()
	for i, in := range insts {
		fmt.Fprintf(opts.Out, "Step %d/%d : %s\n", i+1, len(insts), in)
		b.tracer.Note(fmt.Sprintf("build step %d/%d: %s", i+1, len(insts), in), shellTwin(in))
		if err := b.step(st, ctx, in); err != nil {
			var re *RunError
			if errors.As(err, &re) {
				return nil, err
			}
			return nil, fmt.Errorf("%s:%d: %s: %w", filepath.Base(opts.Dockerfile), in.Line, in.Keyword, err)
		}
	}
	return b.finish(st, opts)
}

// readDockerfile reads and checks the Dockerfile.
func readDockerfile(file string) ([]Instruction, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read Dockerfile: %w", err)
	}
	defer f.Close()
	return Parse(f, filepath.Base(file))
}

// step does one instruction.
func (b *Builder) step(st *state, ctx *buildContext, in Instruction) error {
	switch in.Keyword {
	case "FROM":
		return b.from(st, in)
	case "RUN":
		return b.run(st, in)
	case "COPY", "ADD":
		return b.copy(st, ctx, in)
	}
	return b.configStep(st, in)
}

// configStep does an instruction that makes no layer: it changes the
// image's config (or, for ARG, what the steps below see), and the key.
// The cache remembers it too, so that "Using cache" means what it means
// for a layer: this very step was done on this very chain before.
func (b *Builder) configStep(st *state, in Instruction) error {
	var said string
	if in.Keyword == "ARG" {
		what, err := st.arg(in)
		if err != nil {
			return err
		}
		said = what + " for the steps below (RUN sees it, the image does not)"
	} else {
		what, err := st.config(in)
		if err != nil {
			return err
		}
		said = "\"" + what + "\" in image.json"
		st.advance(in.String())
	}
	st.history(in, "")
	_, hit, err := b.images.CachedLayer(st.key)
	if err != nil {
		return err
	}
	if hit && !st.noCache {
		fmt.Fprintln(st.out, " ---> Using cache")
	} else if err := b.images.CacheLayer(st.key, image.CacheEntry{CreatedBy: in.String(), Created: time.Now().UTC()}); err != nil {
		return err
	}
	fmt.Fprintf(st.out, " ---> no new layer: %s\n", said)
	return nil
}

// finish registers the image the steps made.
func (b *Builder) finish(st *state, opts Options) (*image.Image, error) {
	if len(st.img.LayerIDs) == 0 {
		return nil, errors.New("the image has no layer: FROM scratch needs a COPY, ADD or RUN step to have any files")
	}
	img := st.img
	img.Name = opts.Name
	img.Source = "kobako build " + opts.Context
	registered, err := b.images.Register(img)
	if err != nil {
		return nil, err
	}
	top := registered.LayerIDs[len(registered.LayerIDs)-1]
	fmt.Fprintf(opts.Out, "Successfully built %s\n", short(top))
	fmt.Fprintf(opts.Out, "Successfully tagged %s\n", opts.Name)
	return registered, nil
}

// short is a layer id's first 12 hex digits, as docker shows ids.
func short(id string) string {
	h := strings.TrimPrefix(id, "sha256:")
	return h[:min(12, len(h))]
}

// shellTwin is what the article's §7.3 does by hand for the instruction.
func shellTwin(in Instruction) string {
	switch in.Keyword {
	case "FROM":
		return "LAYER1=$(mktemp -d); docker export $(docker create " + in.Args + ") | tar -x -C $LAYER1/diff"
	case "RUN":
		return "mount -t overlay -o lowerdir=…,upperdir=$NEXT/diff,workdir=$NEXT/work overlay $NEXT/merged; chroot $NEXT/merged /bin/sh -c '" + in.Args + "'"
	case "COPY", "ADD":
		return "mount -t overlay -o lowerdir=…,upperdir=$NEXT/diff,workdir=$NEXT/work overlay $NEXT/merged; cp -a SRC $NEXT/merged/DEST"
	}
	return "edit image.json (" + strings.ToLower(in.Keyword) + ")"
}
