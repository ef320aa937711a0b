// Prune: remove every stopped container at once.
//
// Shell twin: for c in $(kobako ps -aq -f status=exited); do kobako rm $c; done
package container

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Prune removes every container that is not running — its state, layers,
// cgroups and name — and returns the ones it removed: the stopped ones,
// and the dead ones that a killed kobako left half made. Running ones are
// left alone; one that fails to go does not stop the others.
func (s *Store) Prune() ([]*Container, error) {
	list, err := s.List()
	if err != nil {
		return nil, err
	}
	var removed []*Container
	var errs []error
	for _, c := range list {
		// Stopped, or dead: made and never to be started (status.go).
		if st, err := s.Status(c); err != nil || st.State != specs.StateStopped && !st.Dead {
			continue
		}
		if err := s.Remove(c, false); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, c)
	}
	return removed, errors.Join(errs...)
}
