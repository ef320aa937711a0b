package build

// The steps that make layers — RUN, COPY, ADD — and FROM, which names the
// layers they start on. A step with a layer is the article's §7.3 for
// LAYER2: an overlay on the layers so far with a fresh upper dir (a
// container), work in it, and the upper dir kept as the next layer.

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
	"github.com/kobako/kobako/runtime"
	"github.com/kobako/kobako/runtime/seccomp"
)

// from starts the image: a local image's layers and config, or nothing.
func (b *Builder) from(st *state, in Instruction) error {
	name, err := expand(in.Args, st.lookupMeta)
	if err != nil {
		return err
	}
	st.base, st.args, st.cmdSet = name, map[string]*string{}, false
	if name == "scratch" {
		st.img, st.dirs = image.Image{Arch: image.UnknownArch}, nil
		st.advance("FROM scratch")
		fmt.Fprintln(st.out, " ---> scratch: no layers yet")
		return nil
	}
	base, err := b.images.Get(name)
	if err != nil {
		return err
	}
	// RUN steps execute the base image's programs: on this machine?
	if err := image.ThisMachine().CheckRunnable(base, os.Stderr); err != nil {
		return err
	}
	st.img = image.Image{
		Arch: base.Arch, Size: base.Size, Parent: base.Name,
		Cmd: base.Cmd, Entrypoint: base.Entrypoint, Env: base.Env, WorkingDir: base.WorkingDir, User: base.User,
		Labels: base.Labels, ExposedPorts: base.ExposedPorts,
		History:  slices.Clone(base.History),
		LayerIDs: slices.Clone(base.LayerIDs),
	}
	st.dirs = slices.Clone(base.Layers)
	top := base.LayerIDs[len(base.LayerIDs)-1]
	if !slices.ContainsFunc(base.History, func(h image.HistoryEntry) bool { return h.Layer == top }) {
		st.history(in, top) // history shows the base's top layer as FROM's
	}
	st.advance("FROM", strings.Join(base.LayerIDs, ","), configJSON(base))
	fmt.Fprintf(st.out, " ---> %s\n", short(top))
	return nil
}

// run is RUN: the command in a container on the layers so far; what it
// writes is the next layer.
func (b *Builder) run(st *state, in Instruction) error {
	args := command(in)
	key := st.keyFor("RUN", in.Args, st.network)
	return b.layerStep(st, in, key, args, func(c *container.Container) error {
		fmt.Fprintf(st.out, " ---> Running in %s\n", c.ShortID())
		exit, err := b.containers.Run(c, st.stdio)
		if err != nil {
			return err
		}
		if exit.Code != 0 {
			return &RunError{Step: fmt.Sprintf("%s:%d: RUN %s", st.file, in.Line, in.Args), Code: exit.Code}
		}
		return nil
	})
}

// layerStep makes the step's layer, or takes it from the cache: work
// fills a fresh container's upper dir, which becomes the layer. The
// container goes, whatever happens.
func (b *Builder) layerStep(st *state, in Instruction, key string, args []string, work func(*container.Container) error) error {
	if !st.noCache {
		entry, ok, err := b.images.CachedLayer(key)
		if err != nil {
			return err
		}
		if ok {
			b.tracer.Note("take the layer from the build cache", "cat "+key[:12]+"….json  # {\"layer\": \""+entry.Layer+"\"}")
			fmt.Fprintln(st.out, " ---> Using cache")
			return st.addLayer(b, in, key, entry.Layer, entry.Size)
		}
	}
	c, err := b.newContainer(st, args)
	if err != nil {
		return err
	}
	removed := false
	defer func() {
		if !removed {
			b.containers.Remove(c, true) // best effort: the step's own error says more
		}
	}()
	if err := work(c); err != nil {
		return err
	}
	// cp -a $CONTAINER/upper $LAYERS/<sha256>: the step's layer
	id, size, err := b.images.AddLayer(c.Overlay.Upper)
	if err != nil {
		return err
	}
	if err := b.images.CacheLayer(key, image.CacheEntry{Layer: id, Size: size, CreatedBy: in.String(), Created: time.Now().UTC()}); err != nil {
		return err
	}
	removed = true
	if err := b.containers.Remove(c, true); err != nil {
		return err
	}
	if in.Keyword == "RUN" {
		fmt.Fprintf(st.out, "Removing intermediate container %s\n", c.ShortID())
	}
	return st.addLayer(b, in, key, id, size)
}

// addLayer puts a layer on the image so far.
func (st *state) addLayer(b *Builder, in Instruction, key, id string, size int64) error {
	dir, err := b.images.LayerDir(id)
	if err != nil {
		return err
	}
	st.img.LayerIDs = append(st.img.LayerIDs, id)
	st.dirs = append(st.dirs, dir)
	st.img.Size += size
	st.history(in, id)
	// the key goes on from the layer itself: a step run again that makes
	// other files is another parent for the steps above it
	st.key = key
	st.advance(id)
	fmt.Fprintf(st.out, " ---> %s\n", short(id))
	return nil
}

// newContainer makes the container of a step: the layers so far below a
// fresh upper dir, the image's env, working dir and user, docker's
// capabilities and seccomp profile, and the build's network.
func (b *Builder) newContainer(st *state, args []string) (*container.Container, error) {
	spec := runtime.DefaultSpec("", args)
	spec.Process.Env = st.runEnv()
	spec.Process.Cwd = st.img.WorkingDir
	if spec.Process.Cwd == "" {
		spec.Process.Cwd = "/"
	}
	spec.Linux.Seccomp = seccomp.Default(runtime.DefaultCapabilities)
	spec.Annotations = map[string]string{}
	if st.img.User != "" {
		// resolved by the init in the container's own /etc/passwd
		spec.Annotations[runtime.UserAnnotation] = st.img.User
	}
	container.NetworkRequest{Mode: st.network}.Annotate(spec.Annotations)
	lower := st.dirs
	if len(lower) == 0 {
		// FROM scratch: overlayfs needs a lower layer, and an empty one is nothing
		dir, err := st.emptyLayer()
		if err != nil {
			return nil, err
		}
		lower = []string{dir}
	}
	return b.containers.Create(container.CreateOptions{
		Image: st.base, ImageLayers: lower, Spec: spec,
		Labels: map[string]string{"kobako.build": st.name},
	})
}

// emptyLayer is an empty directory, the lower layer of a step on scratch.
func (st *state) emptyLayer() (string, error) {
	if st.scratch == "" {
		dir, err := os.MkdirTemp("", "kobako-scratch-")
		if err != nil {
			return "", fmt.Errorf("make an empty layer for scratch: %w", err)
		}
		st.scratch = dir
	}
	return st.scratch, nil
}
