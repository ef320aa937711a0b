//go:build !faultinject

package fault

import (
	"encoding/json"
	"testing"
)

// The shipped build injects nothing, whatever the environment says, and
// an init config neither carries a list nor chokes on one.
func TestShippedBuildInjectsNothing(t *testing.T) {
	t.Setenv("KOBAKO_FAULTS", "cgroup-mkdir,init:pivot_root")
	if err := Check("cgroup-mkdir"); err != nil {
		t.Errorf("Check: %v", err)
	}
	var cfg struct {
		F Inherit `json:"faults,omitzero"`
	}
	data, err := json.Marshal(cfg)
	if err != nil || string(data) != "{}" {
		t.Errorf("marshal: %s, %v; want {}", data, err)
	}
	if err := json.Unmarshal([]byte(`{"faults":"init:pivot_root"}`), &cfg); err != nil {
		t.Errorf("unmarshal: %v", err)
	}
}
