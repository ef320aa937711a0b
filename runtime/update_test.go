package runtime

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestChangesOnly reads update requests the way runc does: 0 is "keep".
func TestChangesOnly(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{}`, `{}`},
		// containerd/docker send every field, unset ones as 0.
		{`{"memory":{"limit":0,"reservation":0,"swap":0},"cpu":{"shares":0,"quota":0,"period":0,"realtimeRuntime":0,"realtimePeriod":0,"cpus":"","mems":""},"pids":{"limit":0},"blockIO":{"weight":0}}`, `{}`},
		{`{"memory":{"limit":20971520,"swap":0},"cpu":{"quota":50000,"period":0}}`,
			`{"memory":{"limit":20971520},"cpu":{"quota":50000}}`},
		// -1 is "no limit": the swap limit goes with the memory limit.
		{`{"memory":{"limit":-1}}`, `{"memory":{"limit":-1,"swap":-1}}`},
		{`{"pids":{"limit":-1},"cpu":{"cpus":"0-1"}}`, `{"cpu":{"cpus":"0-1"},"pids":{"limit":-1}}`},
		// Devices are not updated (runc's update has no rules for them).
		{`{"devices":[{"allow":true,"access":"rwm"}],"memory":{"swappiness":10}}`, `{}`},
		{`{"unified":{"memory.high":"1000000"}}`, `{"unified":{"memory.high":"1000000"}}`},
	} {
		var in specs.LinuxResources
		if err := json.Unmarshal([]byte(tc.in), &in); err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(changesOnly(&in))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("changesOnly(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestCheckBeforeUpdate(t *testing.T) {
	limit := int64(1000)
	if err := checkBeforeUpdate(&specs.LinuxMemory{Limit: &limit}, 2000); err == nil {
		t.Error("a limit below the usage must be refused")
	}
	if err := checkBeforeUpdate(&specs.LinuxMemory{Limit: &limit}, 500); err != nil {
		t.Errorf("a limit above the usage: %v", err)
	}
	unlimited := int64(-1)
	if err := checkBeforeUpdate(&specs.LinuxMemory{Limit: &unlimited}, 500); err != nil {
		t.Errorf("no limit: %v", err)
	}
}
