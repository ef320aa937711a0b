package main

// The flags of `kobako run` that add to the container's file system:
// -v, --mount, --tmpfs and --read-only. Their shell twins, under $ROOTFS
// before pivot_root:
//
//	-v /srv/data:/data:ro   mount --rbind -o nosuid,nodev /srv/data $ROOTFS/data
//	                        mount -o remount,bind,ro $ROOTFS/data
//	-v ./data:/data         the same, from $PWD/data
//	-v cache:/data          mkdir -p $DATA_ROOT/volumes/cache/_data (first use:
//	                        filled with the image's /data), then as above
//	--tmpfs /tmp:size=1m    mount -t tmpfs -o nosuid,nodev,noexec,size=1m tmpfs $ROOTFS/tmp
//	--mount type=…,…        docker's long form of the three above
//	--read-only             mount -o remount,bind,ro $ROOTFS   (after every other mount)
//
// They end up as the spec's mounts and root.readonly; rootfs/mounts.go
// makes them, resolving every target inside the root. A named volume is a
// bind whose source kobako keeps (container/volumes.go).

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/kobako/kobako/container"
)

func volumeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "volume", Aliases: []string{"v"}, Value: &repeatedFlag{},
			Usage: "bind `SRC:CTR[:OPTS]` into the container, nosuid and nodev: SRC is a host path, absolute or ./relative (a missing directory is made), or a volume NAME (made on first use, filled with the image's CTR); -v CTR alone: a fresh anonymous volume; OPTS: ro or rw, rprivate (default), rslave or rshared, nocopy (repeatable)"},
		&cli.GenericFlag{Name: "mount", Value: &repeatedFlag{},
			Usage: "docker's long form, `type=bind|volume|tmpfs,source=…,target=…[,readonly][,bind-propagation=rslave][,volume-nocopy][,tmpfs-size=64m][,tmpfs-mode=1777]` (repeatable; a bind's source must exist)"},
		&cli.GenericFlag{Name: "tmpfs", Value: &repeatedFlag{},
			Usage: "mount a fresh tmpfs at `CTR[:OPTS]`, nosuid, nodev and noexec; OPTS like size=64m,mode=1777 (repeatable)"},
		&cli.BoolFlag{Name: "read-only", Usage: "mount the container's root read-only (its /dev, /proc, volumes and tmpfs stay as they are)"},
	}
}

// repeatedFlag collects every use of a flag, whole: a string-slice flag
// would also cut "size=1m,mode=1777" at its comma.
type repeatedFlag []string

func (r *repeatedFlag) Set(v string) error { *r = append(*r, v); return nil }
func (r *repeatedFlag) String() string     { return strings.Join(*r, " ") }
func (r *repeatedFlag) Get() any           { return []string(*r) }

// volumeMount is one -v, --mount or --tmpfs: the mount, and what must be
// done on the host before it can be made.
type volumeMount struct {
	specs.Mount
	volume    string // a named volume (Source is filled in once it exists)
	anonymous bool   // a fresh volume of its own: -v /path, --mount type=volume without source
	noCopy    bool   // no copy-up of the image's content (nocopy, volume-nocopy)
	mkdir     bool   // a missing bind source is made (-v; --mount refuses it, as docker's does)
}

// volumeStore is where named volumes live, and the image whose content a
// new one starts with.
type volumeStore struct {
	store  *container.Store
	layers []string
}

// applyVolumeFlags adds the mounts after the default ones, so that a
// volume may sit on /dev or /sys too. Host directories and volumes are
// made only once every flag has been checked, so that a bad one leaves
// nothing behind.
func applyVolumeFlags(cmd *cli.Command, spec *specs.Spec, vs volumeStore) error {
	mounts, err := parseMountFlags(cmd)
	if err != nil {
		return err
	}
	for i := range mounts {
		if err := prepareSource(&mounts[i], vs); err != nil {
			return err
		}
		spec.Mounts = append(spec.Mounts, mounts[i].Mount)
	}
	spec.Root.Readonly = cmd.Bool("read-only")
	return nil
}

// parseMountFlags reads -v, --mount and --tmpfs, in that order.
func parseMountFlags(cmd *cli.Command) ([]volumeMount, error) {
	var mounts []volumeMount
	for _, v := range repeated(cmd, "volume") {
		m, err := parseVolume(v)
		if err != nil {
			return nil, fmt.Errorf("-v %q: %w", v, err)
		}
		mounts = append(mounts, m)
	}
	for _, v := range repeated(cmd, "mount") {
		m, err := parseMount(v)
		if err != nil {
			return nil, fmt.Errorf("--mount %q: %w", v, err)
		}
		mounts = append(mounts, m)
	}
	for _, v := range repeated(cmd, "tmpfs") {
		m, err := parseTmpfs(v)
		if err != nil {
			return nil, fmt.Errorf("--tmpfs %q: %w", v, err)
		}
		mounts = append(mounts, m)
	}
	return mounts, checkDistinct(mounts)
}

// prepareSource makes what m binds: a missing host directory, as docker
// makes it for -v (an existing file is bound as the file it is), or the
// volume, filled on its first use with the image's content at the target.
func prepareSource(m *volumeMount, vs volumeStore) error {
	switch {
	case m.volume != "" || m.anonymous:
		var v *container.Volume
		var err error
		if m.anonymous {
			v, err = vs.store.CreateAnonymousVolume()
		} else {
			v, err = vs.store.CreateVolume(m.volume, nil)
		}
		if err != nil {
			return err
		}
		m.Source = v.Mountpoint
		if m.noCopy {
			return nil
		}
		return vs.store.CopyUpImage(v.Name, vs.layers, m.Destination)
	case m.Type == "bind":
		_, err := os.Stat(m.Source)
		switch {
		case errors.Is(err, fs.ErrNotExist) && m.mkdir:
			// mkdir -p $HOST
			if err := os.MkdirAll(m.Source, 0o755); err != nil {
				return fmt.Errorf("-v: make host directory: %w", err)
			}
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("--mount: bind source path does not exist: %s", m.Source)
		}
	}
	return nil
}

// repeated returns every value of a repeatedFlag (its Get).
func repeated(cmd *cli.Command, name string) []string {
	values, _ := cmd.Value(name).([]string)
	return values
}

// parseVolume reads SRC:CTR[:OPTS], or CTR alone (an anonymous volume).
func parseVolume(v string) (volumeMount, error) {
	parts := strings.Split(v, ":")
	if len(parts) > 3 {
		return volumeMount{}, errors.New("give SRC:CTR or SRC:CTR:OPTS")
	}
	if len(parts) == 1 {
		parts = append([]string{""}, parts...)
	}
	m, err := volumeSource(parts[0])
	if err != nil {
		return m, err
	}
	ctr := parts[1]
	if err := checkTarget(ctr); err != nil {
		return m, err
	}
	m.Destination = path.Clean(ctr)
	// nosuid,nodev: a volume brings data, not setuid programs or devices.
	options := []string{"rbind", "nosuid", "nodev"}
	propagation := "rprivate"
	if len(parts) == 3 {
		for _, o := range strings.Split(parts[2], ",") {
			switch o {
			case "ro", "rw":
				options = append(options, o)
			case "rprivate", "rslave", "rshared":
				propagation = o
			case "nocopy":
				m.noCopy = true
			default:
				return m, fmt.Errorf("unknown option %q: give ro, rw, rprivate, rslave, rshared or nocopy", o)
			}
		}
	}
	m.Options = append(options, propagation)
	return m, nil
}

// volumeSource tells a host path from a volume name, by docker's rule: a
// path is absolute, or relative starting with ./ or ../ (docker's CLI
// makes those absolute too); a bare word is a volume's name.
func volumeSource(src string) (volumeMount, error) {
	m := volumeMount{Mount: specs.Mount{Type: "bind"}, mkdir: true}
	switch {
	case src == "":
		m.anonymous = true
	case path.IsAbs(src):
		m.Source = path.Clean(src)
	case src == "." || src == ".." || strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../"):
		abs, err := filepath.Abs(src)
		if err != nil {
			return m, fmt.Errorf("resolve %s: %w", src, err)
		}
		m.Source = abs
	case container.ValidVolumeName(src):
		m.volume = src
	default:
		return m, fmt.Errorf("%q is neither a volume name nor a host path: give NAME ([a-zA-Z0-9][a-zA-Z0-9_.-]+), /absolute/path or ./relative/path", src)
	}
	return m, nil
}

// parseTmpfs reads CTR[:OPTS] into a tmpfs mount, with docker's defaults.
func parseTmpfs(v string) (volumeMount, error) {
	ctr, opts, _ := strings.Cut(v, ":")
	if err := checkTarget(ctr); err != nil {
		return volumeMount{}, err
	}
	options := []string{"nosuid", "nodev", "noexec"}
	if opts != "" {
		for _, o := range strings.Split(opts, ",") {
			key, _, _ := strings.Cut(o, "=")
			if !slices.Contains(tmpfsOptions, key) {
				return volumeMount{}, fmt.Errorf("unknown option %q: give size=, mode=, uid=, gid=, nr_inodes=, ro, rw, exec, suid or dev", o)
			}
			options = append(options, o)
		}
	}
	return tmpfsMount(ctr, options), nil
}

func tmpfsMount(ctr string, options []string) volumeMount {
	return volumeMount{Mount: specs.Mount{Destination: path.Clean(ctr), Type: "tmpfs", Source: "tmpfs", Options: options}}
}

// tmpfsOptions are the words --tmpfs takes: tmpfs(5)'s own and the mount
// flags that lift docker's defaults.
var tmpfsOptions = []string{"size", "mode", "uid", "gid", "nr_inodes", "ro", "rw", "exec", "noexec", "suid", "nosuid", "dev", "nodev"}

// checkTarget refuses a container path that is relative, the root itself,
// or in /proc: the runtime writes there after the mounts, and a volume
// over it would redirect those writes (CVE-2019-19921).
func checkTarget(ctr string) error {
	switch clean := path.Clean(ctr); {
	case !path.IsAbs(ctr):
		return fmt.Errorf("container path %q must be absolute", ctr)
	case clean == "/":
		return errors.New("the container path cannot be /: use a directory in it")
	case clean == "/proc" || strings.HasPrefix(clean, "/proc/"):
		return fmt.Errorf("container path %q is in /proc, which kobako keeps to itself", ctr)
	}
	return nil
}

// checkDistinct refuses two mounts at one place, as docker does: the
// second would hide the first.
func checkDistinct(mounts []volumeMount) error {
	seen := map[string]bool{}
	for _, m := range mounts {
		if seen[m.Destination] {
			return fmt.Errorf("two mounts at %s: give each container path once", m.Destination)
		}
		seen[m.Destination] = true
	}
	return nil
}

// parseMount reads docker's --mount: comma-separated KEY=VALUE, with
// the same mounts as -v and --tmpfs behind it. A value may not hold a
// comma (docker's CSV quoting is not read).
func parseMount(v string) (volumeMount, error) {
	kv := map[string]string{}
	for _, field := range strings.Split(v, ",") {
		key, value, hasValue := strings.Cut(field, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if name, ok := mountKeys[key]; ok {
			key = name
		} else {
			return volumeMount{}, fmt.Errorf("unknown key %q: give type, source, target, readonly, bind-propagation, volume-nocopy, tmpfs-size or tmpfs-mode", key)
		}
		if _, twice := kv[key]; twice {
			return volumeMount{}, fmt.Errorf("%s given twice", key)
		}
		if !hasValue && (key == "readonly" || key == "volume-nocopy") {
			value = "true" // a bare flag
		}
		kv[key] = value
	}
	if kv["target"] == "" {
		return volumeMount{}, errors.New("give target=CTR, the path in the container")
	}
	// Read below through -v's and --tmpfs's syntax, where ':' separates
	// the fields: a path with one in it would be cut (/data:ro → /data).
	for _, key := range []string{"source", "target"} {
		if strings.Contains(kv[key], ":") {
			return volumeMount{}, fmt.Errorf("%s %q: kobako takes no ':' in a mount's path", key, kv[key])
		}
	}
	switch kv["type"] {
	case "bind", "volume", "":
		return bindOrVolumeMount(kv)
	case "tmpfs":
		return tmpfsFromMount(kv)
	}
	return volumeMount{}, fmt.Errorf("type %q: give bind, volume or tmpfs", kv["type"])
}

// mountKeys maps each key --mount takes, and its docker aliases, to one name.
var mountKeys = map[string]string{
	"type": "type", "source": "source", "src": "source",
	"target": "target", "dst": "target", "destination": "target",
	"readonly": "readonly", "ro": "readonly",
	"bind-propagation": "bind-propagation", "volume-nocopy": "volume-nocopy",
	"tmpfs-size": "tmpfs-size", "tmpfs-mode": "tmpfs-mode",
}

// bindOrVolumeMount is --mount type=bind, or type=volume (the default,
// as docker's), as -v would write them.
func bindOrVolumeMount(kv map[string]string) (volumeMount, error) {
	src, typ := kv["source"], kv["type"]
	switch {
	case typ == "bind" && src == "":
		return volumeMount{}, errors.New("type=bind needs source=HOST, the host's path")
	case typ == "bind" && !path.IsAbs(src) && !strings.HasPrefix(src, "."):
		return volumeMount{}, fmt.Errorf("bind source %q must be a host path, absolute or ./relative", src)
	case (typ == "volume" || typ == "") && src != "" && !container.ValidVolumeName(src):
		return volumeMount{}, fmt.Errorf("volume source %q: give a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+), or type=bind for a host path", src)
	}
	var opts []string
	ro, err := mountBool(kv, "readonly")
	if err != nil {
		return volumeMount{}, err
	}
	if ro {
		opts = append(opts, "ro")
	}
	if p, ok := kv["bind-propagation"]; ok {
		if typ != "bind" {
			return volumeMount{}, errors.New("bind-propagation needs type=bind")
		}
		if !slices.Contains([]string{"rprivate", "private", "rslave", "slave", "rshared", "shared"}, p) {
			return volumeMount{}, fmt.Errorf("bind-propagation %q: give rprivate, private, rslave, slave, rshared or shared", p)
		}
		// rbind: a bind is recursive here, so is its propagation.
		opts = append(opts, "r"+strings.TrimPrefix(p, "r"))
	}
	if _, ok := kv["tmpfs-size"]; ok {
		return volumeMount{}, errors.New("tmpfs-size needs type=tmpfs")
	}
	noCopy, err := mountBool(kv, "volume-nocopy")
	if err != nil {
		return volumeMount{}, err
	}
	v := kv["target"]
	if len(opts) > 0 {
		v += ":" + strings.Join(opts, ",")
	}
	m, err := parseVolume(src + ":" + v)
	if src == "" {
		m, err = parseVolume(v) // an anonymous volume
	}
	m.mkdir = false // docker's --mount never makes a bind's source
	m.noCopy = m.noCopy || noCopy
	return m, err
}

// tmpfsFromMount is --mount type=tmpfs: --tmpfs with size= and mode=.
func tmpfsFromMount(kv map[string]string) (volumeMount, error) {
	if kv["source"] != "" {
		return volumeMount{}, errors.New("type=tmpfs takes no source")
	}
	var opts []string
	if size, ok := kv["tmpfs-size"]; ok {
		n, err := parseSize(size)
		if err != nil {
			return volumeMount{}, fmt.Errorf("tmpfs-size %q: %w", size, err)
		}
		opts = append(opts, fmt.Sprintf("size=%d", n))
	}
	if mode, ok := kv["tmpfs-mode"]; ok {
		if _, err := strconv.ParseUint(mode, 8, 32); err != nil {
			return volumeMount{}, fmt.Errorf("tmpfs-mode %q: give an octal mode, like 1777", mode)
		}
		opts = append(opts, "mode="+mode)
	}
	if ro, err := mountBool(kv, "readonly"); err != nil {
		return volumeMount{}, err
	} else if ro {
		opts = append(opts, "ro")
	}
	v := kv["target"]
	if len(opts) > 0 {
		v += ":" + strings.Join(opts, ",")
	}
	return parseTmpfs(v)
}

// mountBool reads readonly=true|false|1|0 (or the bare key).
func mountBool(kv map[string]string, key string) (bool, error) {
	switch kv[key] {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, fmt.Errorf("%s=%q: give true or false", key, kv[key])
}
