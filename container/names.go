package container

// Ids and names. An id is 64 random hex digits (docker's and the OCI
// runtimes' habit); people use the first 12, which are also the default
// host name, as the article uses the output of uuidgen. A name is claimed
// by creating the symlink names/<name> -> <id>: symlink(2) fails if the
// name exists, so two concurrent runs can never both get it.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"

	"github.com/kobako/kobako/internal/ident"
)

func newID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make container id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func validHexID(s string) bool { return ident.HexID(s) }

// nameRule is docker's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
var nameRule = ident.Rule{MaxLen: 128, Extra: "_.-"}

// claimName reserves name for id. An empty name gets a generated one.
func (s *Store) claimName(name, id string) (string, error) {
	if name == "" {
		return s.claimGenerated("", id)
	}
	if err := checkName(name); err != nil {
		return "", err
	}
	if err := os.MkdirAll(s.namesDir(), 0o700); err != nil {
		return "", err
	}
	return name, s.link(name, id)
}

// checkName refuses a name docker would refuse, and one that looks like
// an id (it would shadow one).
func checkName(name string) error {
	if !nameRule.Valid(name) {
		return fmt.Errorf("invalid container name %q: use letters, digits and _.- (starting with a letter or digit)", name)
	}
	if validHexID(name) {
		return fmt.Errorf("invalid container name %q: it looks like an id", name)
	}
	return nil
}

// claimGenerated reserves a generated name for id: first, if it is free
// (Create records the name it chose before it claims it), or another.
func (s *Store) claimGenerated(first, id string) (string, error) {
	if err := os.MkdirAll(s.namesDir(), 0o700); err != nil {
		return "", err
	}
	name := first
	for tries := 0; ; tries++ {
		if name == "" {
			var err error
			if name, err = generatedName(tries); err != nil {
				return "", err
			}
		}
		err := s.link(name, id)
		if err == nil || tries > 20 {
			return name, err
		}
		name = ""
	}
}

func (s *Store) link(name, id string) error {
	path := filepath.Join(s.namesDir(), name)
	// ln -s $ID names/$NAME
	err := os.Symlink(id, path)
	if errors.Is(err, os.ErrExist) && s.dropStaleName(name) {
		err = os.Symlink(id, path)
	}
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("the name %q is already in use: remove that container (kobako rm %s) or choose another --name", name, name)
	}
	if err != nil {
		return fmt.Errorf("symlink %s: %w", path, err)
	}
	return nil
}

// dropStaleName removes names/<name> if the container it leads to is gone
// (its directory removed, the name left by a kobako killed in between),
// and reports whether it did. A container being made has its directory
// before its name (Create), so a name whose directory is missing is
// nobody's. Of two claims racing for a stale name, one removes it and
// both symlink: one of them wins.
func (s *Store) dropStaleName(name string) bool {
	path := filepath.Join(s.namesDir(), name)
	id, err := os.Readlink(path)
	if err != nil || !validHexID(id) {
		return false
	}
	if _, err := os.Lstat(filepath.Join(s.containersDir(), id)); !errors.Is(err, os.ErrNotExist) {
		return false
	}
	// rm names/$NAME
	err = os.Remove(path)
	return err == nil || errors.Is(err, os.ErrNotExist)
}

func (s *Store) releaseName(name, id string) error {
	path := filepath.Join(s.namesDir(), name)
	if target, err := os.Readlink(path); err != nil || target != id {
		return nil // not ours (any more)
	}
	// rm names/$NAME
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

// releaseNames removes every name that leads to id: its own, and any a
// record written by an older kobako lost track of (a rename that the
// container's monitor undid when it wrote its stale record back). After
// rm no name leads to the removed container.
func (s *Store) releaseNames(id string) error {
	entries, err := os.ReadDir(s.namesDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", s.namesDir(), err)
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, s.releaseName(e.Name(), id))
	}
	return errors.Join(errs...)
}

// A generated name is "adjective_noun", from the small-box world.
var (
	adjectives = []string{"tiny", "quiet", "brave", "sleepy", "shiny", "nimble", "gentle", "clever", "lucky", "sturdy", "humble", "merry", "calm", "bold", "kind", "swift"}
	nouns      = []string{"bento", "hako", "kobako", "tsutsumi", "furoshiki", "kago", "tansu", "masu", "jubako", "okame", "daruma", "tanuki", "kitsune", "tsuru", "koi", "neko"}
)

func generatedName(tries int) (string, error) {
	a, err := rand.Int(rand.Reader, big.NewInt(int64(len(adjectives))))
	if err != nil {
		return "", err
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(nouns))))
	if err != nil {
		return "", err
	}
	name := adjectives[a.Int64()] + "_" + nouns[n.Int64()]
	if tries > 3 {
		name = fmt.Sprintf("%s%d", name, tries)
	}
	return name, nil
}
