// kobako build's layer cache: which layer a step made last time, so that
// the same step on the same layers is not run again (docker's classic
// builder cache).
//
// Shell twin:
//
//	key=$(printf '%s\n' "$PARENT_KEY" "RUN make" | sha256sum)
//	cat build-cache/$key.json     # {"layer": "sha256:…", "createdBy": "RUN make"}
//
// The key is the builder's business (package build): it stands for the
// layers and config below the step, the step's text, and what it copies.
// The store keeps key → layer, and keeps those layers: Collect counts a
// layer that the cache names as used, on purpose, until PruneBuildCache.
package image

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kobako/kobako/internal/fileutil"
)

const buildCacheDirName = "build-cache" // in the data root: one file per cached step

// CacheEntry is what the cache knows of one step.
type CacheEntry struct {
	Layer     string    `json:"layer,omitempty"` // the layer the step made, "sha256:…"; "" for a config-only step
	Size      int64     `json:"size"`            // bytes of regular files in it
	CreatedBy string    `json:"createdBy"`
	Created   time.Time `json:"created"`
}

func (s *Store) buildCacheDir() string { return filepath.Join(s.dataRoot, buildCacheDirName) }

// cacheFile is the entry's file for key, 64 hex digits.
func (s *Store) cacheFile(key string) (string, error) {
	if _, err := hex.DecodeString(key); err != nil || len(key) != 64 {
		return "", fmt.Errorf("build cache key %.80q is not 64 hex digits", key)
	}
	return filepath.Join(s.buildCacheDir(), key+".json"), nil
}

// CachedLayer returns the layer the step with key made, if the cache has
// it and the layer is still in the store (or the step made none).
func (s *Store) CachedLayer(key string) (CacheEntry, bool, error) {
	path, err := s.cacheFile(key)
	if err != nil {
		return CacheEntry{}, false, err
	}
	var e CacheEntry
	// cat build-cache/KEY.json
	err = fileutil.ReadJSON(path, &e)
	if errors.Is(err, fs.ErrNotExist) {
		return CacheEntry{}, false, nil
	}
	if err != nil {
		return CacheEntry{}, false, fmt.Errorf("read build cache %s: %w", path, err)
	}
	return e, e.Layer == "" || s.HasLayer(e.Layer), nil
}

// CacheLayer records that the step with key made e.Layer (or, with no
// Layer, that it was done: a config-only step). The caller holds the
// layers (Hold) from making the layer until this returns.
func (s *Store) CacheLayer(key string, e CacheEntry) error {
	path, err := s.cacheFile(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.buildCacheDir(), 0o700); err != nil {
		return fmt.Errorf("make %s: %w", s.buildCacheDir(), err)
	}
	// echo '{"layer": …}' > build-cache/KEY.json, atomically
	err = fileutil.WriteJSON(path, e)
	s.tracer.Step("cache the step", "echo '{\"layer\": \""+e.Layer+"\"}' > "+path, "fileutil.WriteJSON", err)
	if err != nil {
		return fmt.Errorf("write build cache %s: %w", path, err)
	}
	return nil
}

// PruneBuildCache forgets every cached step and returns how many there
// were; the layers only the cache kept go at the next Collect.
func (s *Store) PruneBuildCache() (int, error) {
	entries, err := os.ReadDir(s.buildCacheDir())
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list build cache: %w", err)
	}
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		if err := os.Remove(filepath.Join(s.buildCacheDir(), e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("prune build cache: %w", err)
		}
		n++
	}
	return n, nil
}

// markCached marks the layers the build cache names as used (Collect).
func (s *Store) markCached(used map[string]bool) error {
	entries, err := os.ReadDir(s.buildCacheDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list build cache: %w", err)
	}
	for _, entry := range entries {
		if !strings.HasSuffix(entry.Name(), ".json") {
			continue // a temporary file of WriteJSON
		}
		var e CacheEntry
		err := fileutil.ReadJSON(filepath.Join(s.buildCacheDir(), entry.Name()), &e)
		if errors.Is(err, fs.ErrNotExist) {
			continue // pruned meanwhile
		}
		if err != nil {
			return fmt.Errorf("read build cache %s: %w", entry.Name(), err)
		}
		if h, err := layerHex(e.Layer); err == nil {
			used[h] = true
		}
	}
	return nil
}
