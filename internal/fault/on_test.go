//go:build faultinject

package fault

import (
	"encoding/json"
	"errors"
	"testing"
)

// The test build fails where KOBAKO_FAULTS says, and hands the list on
// through a config: the parent marshals it, the init (here: the same
// process, its environment emptied) takes it from the config.
func TestInjectAndInherit(t *testing.T) {
	t.Setenv(envVar, "point-a:2")
	if err := Check("point-a"); err != nil {
		t.Errorf("first reaching: %v", err)
	}
	var fe *Error
	if err := Check("point-a"); !errors.As(err, &fe) || fe.Fault != "point-a:2" {
		t.Errorf("second reaching: %v, want the injected fault point-a:2", err)
	}
	type config struct {
		F Inherit `json:"faults,omitzero"`
	}
	data, err := json.Marshal(config{})
	if err != nil || string(data) != `{"faults":"point-a:2"}` {
		t.Fatalf("marshal: %s, %v", data, err)
	}
	t.Setenv(envVar, "")
	var cfg config
	if err := json.Unmarshal([]byte(`{"faults":"point-b"}`), &cfg); err != nil {
		t.Fatal(err)
	}
	defer func() { inherited = "" }()
	if err := Check("point-b"); err == nil {
		t.Error("the inherited fault point-b did not fire")
	}
}
