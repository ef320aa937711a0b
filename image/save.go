package image

// `kobako save`: images out of the store as a docker save archive, the
// format `docker load` and `kobako import` (or `load`) read back.
//
// Shell twin, for one image of two layers:
//
//	tar -c -C $LAYERS/$id1 . > x/$id1/layer.tar     # each layer (save_layer.go)
//	tar -c -C $LAYERS/$id2 . > x/$id2/layer.tar
//	echo '{"architecture": …, "config": {"Cmd": …}, "rootfs": {"diff_ids": [sha256 of each]}}' > x/$cfg.json
//	echo '[{"Config": "$cfg.json", "RepoTags": ["name:latest"], "Layers": ["$id1/layer.tar", …]}]' > x/manifest.json
//	tar -c -C x . > name.tar
//
// — see docker's image/spec/v1.2.md and the OCI image spec's config.md.
// A layer tarball's size must be known before it goes into the archive,
// so each is written to a work dir first, its digest taken on the way.

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// savedConfig is the image config a save writes: what import reads
// (imageConfig) and the rest of what kobako knows.
type savedConfig struct {
	Architecture string    `json:"architecture,omitempty"`
	OS           string    `json:"os"`
	Created      time.Time `json:"created"`
	Config       struct {
		Env          []string            `json:"Env,omitempty"`
		Cmd          []string            `json:"Cmd,omitempty"`
		Entrypoint   []string            `json:"Entrypoint,omitempty"`
		WorkingDir   string              `json:"WorkingDir,omitempty"`
		User         string              `json:"User,omitempty"`
		Labels       map[string]string   `json:"Labels,omitempty"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// manifestEntry is one image of manifest.json.
type manifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// savedLayer is a layer tarball written to the work dir.
type savedLayer struct {
	file   string // in the work dir
	diffID string // sha256: of the tarball
	size   int64
}

// Save writes the images called names to w as one docker save archive;
// a layer two of them share is in it once.
func (s *Store) Save(w io.Writer, names []string) error {
	var images []*Image
	for _, name := range names {
		img, err := s.Get(name)
		if err != nil {
			return err
		}
		images = append(images, img)
	}
	release, err := s.Hold() // no layer may go while it is read
	if err != nil {
		return err
	}
	defer release()
	return s.withWorkDir("save-", func(work string) error {
		tw := tar.NewWriter(w)
		saved := map[string]savedLayer{} // layer dir → its tarball
		var manifest []manifestEntry
		for _, img := range images {
			entry, err := s.saveImage(tw, work, img, saved)
			if err != nil {
				return fmt.Errorf("save %s: %w", img.Name, err)
			}
			manifest = append(manifest, entry)
		}
		// manifest.json last, as docker writes it
		if err := writeJSONEntry(tw, "manifest.json", manifest); err != nil {
			return err
		}
		return tw.Close()
	})
}

// saveImage writes img's layers (those not written yet) and its config
// to tw, and returns its line of manifest.json.
func (s *Store) saveImage(tw *tar.Writer, work string, img *Image, saved map[string]savedLayer) (manifestEntry, error) {
	entry := manifestEntry{RepoTags: []string{repoTag(img.Name)}}
	cfg := configOf(img)
	for _, dir := range img.Layers {
		l, done := saved[dir]
		if !done {
			var err error
			if l, err = saveLayer(work, dir, len(saved)); err != nil {
				return entry, err
			}
			h := strings.TrimPrefix(l.diffID, "sha256:")
			if err := addFile(tw, h+"/layer.tar", l.file, l.size); err != nil {
				return entry, err
			}
			saved[dir] = l
		}
		entry.Layers = append(entry.Layers, strings.TrimPrefix(l.diffID, "sha256:")+"/layer.tar")
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.diffID)
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		return entry, err
	}
	sum := sha256.Sum256(data)
	entry.Config = hex.EncodeToString(sum[:]) + ".json"
	return entry, writeEntry(tw, entry.Config, data)
}

// configOf is img's config as docker writes it.
func configOf(img *Image) savedConfig {
	var cfg savedConfig
	if img.Arch != UnknownArch {
		cfg.Architecture = img.Arch
	}
	cfg.OS, cfg.Created, cfg.RootFS.Type = "linux", img.Created, "layers"
	cfg.Config.Env, cfg.Config.Cmd, cfg.Config.Entrypoint = img.Env, img.Cmd, img.Entrypoint
	cfg.Config.WorkingDir, cfg.Config.User, cfg.Config.Labels = img.WorkingDir, img.User, img.Labels
	for _, p := range img.ExposedPorts {
		if cfg.Config.ExposedPorts == nil {
			cfg.Config.ExposedPorts = map[string]struct{}{}
		}
		cfg.Config.ExposedPorts[p] = struct{}{}
	}
	return cfg
}

// saveLayer writes the layer dir as a tarball into work, and its digest.
func saveLayer(work, dir string, n int) (savedLayer, error) {
	l := savedLayer{file: filepath.Join(work, fmt.Sprintf("layer-%d.tar", n))}
	f, err := os.OpenFile(l.file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return l, err
	}
	defer f.Close()
	digest := sha256.New()
	counter := &countingWriter{w: io.MultiWriter(f, digest)}
	if err := writeLayerTar(counter, dir); err != nil {
		return l, fmt.Errorf("tar %s: %w", dir, err)
	}
	l.diffID, l.size = "sha256:"+hex.EncodeToString(digest.Sum(nil)), counter.n
	return l, f.Close()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// addFile copies the file at path into the archive as name.
func addFile(tw *tar.Writer, name, path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(archiveHeader(name, size)); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

func writeJSONEntry(tw *tar.Writer, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeEntry(tw, name, data)
}

func writeEntry(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(archiveHeader(name, int64(len(data)))); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// archiveHeader is a file of the archive itself, root's, read-only for
// others: docker's are the same. A layer's directory comes implied.
func archiveHeader(name string, size int64) *tar.Header {
	return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
}

// repoTag is the name docker gives an image of kobako's: "bash" is
// "bash:latest", "bash:5.2" stays.
func repoTag(name string) string {
	if strings.Contains(name, ":") {
		return name
	}
	return name + ":latest"
}

// NameFromRepoTag is the kobako name for a docker RepoTag: the registry
// and namespace go ("docker.io/library/busybox:1.36" is "busybox:1.36"),
// and ":latest", which kobako leaves out. "" if nothing of it is a name.
func NameFromRepoTag(tag string) string {
	repo, t, tagged := strings.Cut(tag[strings.LastIndex(tag, "/")+1:], ":")
	name := strings.ToLower(repo)
	if tagged && t != "latest" {
		name += ":" + t
	}
	if ValidName(name) != nil {
		return ""
	}
	return name
}

// ArchiveName reads a docker save archive from r and returns the kobako
// name of its first image (NameFromRepoTag of its first RepoTag), "" when
// it has none: what `kobako load` names the image it imports.
func ArchiveName(r io.Reader) (string, error) {
	// docker save | gzip is common: look at the magic number first
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return "", fmt.Errorf("read archive: %w", err)
		}
		defer gz.Close()
		r = gz
	} else {
		r = br
	}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return "", errors.New("no manifest.json in the archive: it is not a docker save archive (kobako import reads docker export tarballs)")
		}
		if err != nil {
			return "", fmt.Errorf("read archive: %w", err)
		}
		if filepath.Clean(hdr.Name) != "manifest.json" {
			continue
		}
		var manifest []manifestEntry
		if err := json.NewDecoder(io.LimitReader(tr, maxJSON)).Decode(&manifest); err != nil {
			return "", fmt.Errorf("parse manifest.json: %w", err)
		}
		if len(manifest) == 0 || len(manifest[0].RepoTags) == 0 {
			return "", nil
		}
		return NameFromRepoTag(manifest[0].RepoTags[0]), nil
	}
}
