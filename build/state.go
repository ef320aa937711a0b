package build

// What a build knows between steps: the image so far (its layers and
// config), the ARGs in force, and the cache key — a digest of every step
// and every layer below the next step, which is what its cache entry is
// looked up by.
//
// Config-only steps (ENV, WORKDIR, USER, CMD, ENTRYPOINT, LABEL, EXPOSE,
// ARG) make no layer: they change image.json, and the key.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kobako/kobako/container"
	"github.com/kobako/kobako/image"
)

// state is a build between two steps.
type state struct {
	out       io.Writer
	stdio     container.Stdio
	name      string // the image being built, for its containers' label
	file      string // the Dockerfile's name, for messages
	scratch   string // an empty dir: the lower layer of steps on scratch
	network   string
	noCache   bool
	img       image.Image // the image so far: layers (ids) and config
	dirs      []string    // the layers' directories, lowest first
	base      string      // FROM's image; "" before FROM
	key       string      // the cache key of everything so far
	cmdSet    bool        // CMD was given in this Dockerfile (ENTRYPOINT keeps it then)
	buildArgs map[string]string
	args      map[string]*string // ARGs declared since FROM; nil: declared without a value
	metaArgs  map[string]*string // ARGs declared before FROM, for FROM only
}

func newState(opts Options) *state {
	sum := sha256.Sum256([]byte("kobako build cache v1"))
	return &state{
		out: opts.Out, stdio: opts.Stdio, name: opts.Name, file: filepath.Base(opts.Dockerfile), network: opts.Network, noCache: opts.NoCache,
		key:       hex.EncodeToString(sum[:]),
		buildArgs: opts.BuildArgs, args: map[string]*string{}, metaArgs: map[string]*string{},
	}
}

// keyFor is the cache key of a step with these parts on top of st.
func (st *state) keyFor(parts ...string) string {
	h := sha256.New()
	fmt.Fprintln(h, st.key)
	for _, p := range parts {
		fmt.Fprintf(h, "%q\n", p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// advance moves the key past a step.
func (st *state) advance(parts ...string) { st.key = st.keyFor(parts...) }

// lookup is a variable for ENV, COPY …: the image's ENV first, then ARG.
func (st *state) lookup(name string) (string, bool) {
	for i := len(st.img.Env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(st.img.Env[i], name+"="); ok {
			return v, true
		}
	}
	if v := st.args[name]; v != nil {
		return *v, true
	}
	return "", false
}

// lookupMeta is a variable for FROM: the ARGs before it.
func (st *state) lookupMeta(name string) (string, bool) {
	if v := st.metaArgs[name]; v != nil {
		return *v, true
	}
	return "", false
}

// runEnv is RUN's environment: the image's, and the ARGs (docker's
// rule: ARGs reach RUN, not the image), ENV winning over ARG.
func (st *state) runEnv() []string {
	env := slices.Clone(st.img.Env)
	for _, name := range slices.Sorted(maps.Keys(st.args)) {
		if _, set := st.lookup(name); set && !hasKey(env, name) {
			env = append(env, name+"="+*st.args[name])
		}
	}
	return env
}

func hasKey(env []string, key string) bool {
	return slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
}

// history records a step in the image's history.
func (st *state) history(in Instruction, layer string) {
	st.img.History = append(st.img.History, image.HistoryEntry{Created: time.Now().UTC(), CreatedBy: in.String(), Layer: layer})
}

// arg declares ARG NAME[=default]…: its value is --build-arg's, else the
// default, else it has none.
func (st *state) arg(in Instruction) (string, error) {
	w, err := words(in.Args, st.lookup)
	if err != nil {
		return "", err
	}
	into := st.args
	if st.base == "" {
		into = st.metaArgs
	}
	var shown []string
	for _, decl := range w {
		name, def, hasDefault := strings.Cut(decl, "=")
		if name == "" || strings.ContainsAny(name, " \t$") {
			return "", fmt.Errorf("%q is not NAME or NAME=default", decl)
		}
		var value *string
		switch v, given := st.buildArgs[name]; {
		case given:
			value = &v
		case hasDefault:
			value = &def
		case st.base != "" && st.metaArgs[name] != nil:
			value = st.metaArgs[name] // redeclared after FROM: the value before it
		}
		into[name] = value
		text := name + " (no value)"
		if value != nil {
			text = name + "=" + *value
		}
		shown = append(shown, text)
		st.advance("ARG", text)
	}
	return "ARG " + strings.Join(shown, ", "), nil
}

// config applies a config-only instruction to the image, and says what
// it changed, as image.json names it.
func (st *state) config(in Instruction) (string, error) {
	c := &st.img
	switch in.Keyword {
	case "ENV":
		pairs, err := keyValues(in.Args, st.lookup)
		if err != nil {
			return "", err
		}
		for _, kv := range pairs {
			c.Env = slices.DeleteFunc(c.Env, func(old string) bool { return strings.HasPrefix(old, kv[0]+"=") })
			c.Env = append(c.Env, kv[0]+"="+kv[1])
		}
		return "env", nil
	case "LABEL":
		pairs, err := keyValues(in.Args, st.lookup)
		if err != nil {
			return "", err
		}
		c.Labels = maps.Clone(c.Labels)
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for _, kv := range pairs {
			c.Labels[kv[0]] = kv[1]
		}
		return "labels", nil
	case "WORKDIR":
		dir, err := expand(in.Args, st.lookup)
		if err != nil {
			return "", err
		}
		c.WorkingDir = path.Clean(path.Join("/", c.WorkingDir, dir)) // a relative one is under the last
		if path.IsAbs(dir) {
			c.WorkingDir = path.Clean(dir)
		}
		return "workingDir", nil
	case "USER":
		user, err := expand(in.Args, st.lookup)
		c.User = user
		return "user", err
	case "CMD":
		c.Cmd, st.cmdSet = command(in), true
		return "cmd", nil
	case "ENTRYPOINT":
		c.Entrypoint = command(in)
		if !st.cmdSet {
			c.Cmd = nil // docker's rule: a new entrypoint drops the base image's CMD
		}
		return "entrypoint", nil
	case "EXPOSE":
		return "exposedPorts", st.expose(in)
	}
	return "", fmt.Errorf("%s is not a config instruction", in.Keyword)
}

// command is CMD's or ENTRYPOINT's program: the JSON form as it is, the
// shell form through /bin/sh -c.
func command(in Instruction) []string {
	if args := in.execForm(); args != nil {
		return args
	}
	return []string{"/bin/sh", "-c", in.Args}
}

// expose adds EXPOSE's ports, as PORT/PROTO.
func (st *state) expose(in Instruction) error {
	ports, err := words(in.Args, st.lookup)
	if err != nil {
		return err
	}
	for _, p := range ports {
		num, proto, ok := strings.Cut(p, "/")
		if !ok {
			proto = "tcp"
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 65535 || (proto != "tcp" && proto != "udp" && proto != "sctp") {
			return fmt.Errorf("%q is not PORT[/tcp|udp|sctp] with a port from 1 to 65535", p)
		}
		entry := strconv.Itoa(n) + "/" + proto
		if !slices.Contains(st.img.ExposedPorts, entry) {
			st.img.ExposedPorts = append(slices.Clone(st.img.ExposedPorts), entry)
		}
	}
	return nil
}

// configJSON is an image's config, for the cache key of FROM.
func configJSON(img *image.Image) string {
	data, _ := json.Marshal(struct {
		Cmd, Entrypoint, Env, ExposedPorts []string
		WorkingDir, User, Arch             string
		Labels                             map[string]string
	}{img.Cmd, img.Entrypoint, img.Env, img.ExposedPorts, img.WorkingDir, img.User, img.Arch, img.Labels})
	return string(data)
}
