package runtime

// `runc list`: every container under --root, one directory each.
//
//	ls /run/kobako && cat /run/kobako/*/state.json

import (
	"errors"
	"fmt"
	"os"
)

// List returns the state of every container under Root, by id. As runc's
// list does, it skips what is not a container: files, directories without
// a valid id, and directories without state.json (a create under way, or
// one that died before it wrote it — delete removes those). A state that
// cannot be read does not hide the others: List returns every state it
// read, and an error naming the rest, which runc prints as a warning. A
// Root that does not exist yet holds no containers.
func (r *Runtime) List() ([]*State, error) {
	entries, err := os.ReadDir(r.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var states []*State
	var unreadable []error
	for _, e := range entries {
		if !e.IsDir() || checkID(e.Name()) != nil {
			continue
		}
		st, err := r.loadState(e.Name())
		switch {
		case errors.Is(err, ErrNotExist):
			continue // no state.json (yet), or deleted meanwhile
		case err != nil:
			unreadable = append(unreadable, fmt.Errorf("load container %s: %w", e.Name(), err))
		default:
			states = append(states, st)
		}
	}
	return states, errors.Join(unreadable...)
}
