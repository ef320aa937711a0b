//go:build faultinject

package fault

// The test build: faults chosen by KOBAKO_FAULTS, or, in the init, by the
// list its parent sent in the config. The state below is this process's
// only, and exists only in the test build.

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

// envVar names the faults to inject, in the parent.
const envVar = "KOBAKO_FAULTS"

var (
	mu        sync.Mutex
	inherited string         // the list the init received in its config
	hits      map[string]int // how often each point was reached
)

// Check returns an error if point is one of the faults asked for, at
// this reaching of it; nil otherwise.
func Check(point string) error {
	mu.Lock()
	defer mu.Unlock()
	if hits == nil {
		hits = map[string]int{}
	}
	hits[point]++
	if r, ok := parse(list()).find(point, hits[point]); ok {
		return &Error{Fault: r.String()}
	}
	return nil
}

// list is the faults asked of this process: from its environment, or,
// in the init, from its config. (mu is held.)
func list() string {
	if l := os.Getenv(envVar); l != "" {
		return l
	}
	return inherited
}

// Error is an injected failure; its text names the fault.
type Error struct {
	Fault string // as KOBAKO_FAULTS names it: cgroup-mkdir:5
}

func (e *Error) Error() string { return "injected fault " + e.Fault + " (" + envVar + ")" }

// Inherit carries the list from the parent into the init's config.
type Inherit struct{}

// IsZero says there is nothing to carry, so the config leaves it out.
func (Inherit) IsZero() bool {
	mu.Lock()
	defer mu.Unlock()
	return list() == ""
}

// MarshalJSON writes the list of the process that encodes the config.
func (Inherit) MarshalJSON() ([]byte, error) {
	mu.Lock()
	defer mu.Unlock()
	return json.Marshal(list())
}

// UnmarshalJSON makes the received list this process's own.
func (*Inherit) UnmarshalJSON(data []byte) error {
	var l string
	if err := json.Unmarshal(data, &l); err != nil {
		return fmt.Errorf("decode %s: %w", envVar, err)
	}
	mu.Lock()
	defer mu.Unlock()
	inherited = l
	return nil
}
