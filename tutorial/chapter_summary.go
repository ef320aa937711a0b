package tutorial

// Chapter 9, まとめ: everything kobako did for a container is written down
// in one file, the OCI runtime spec's config.json, the same file runc,
// crun, podman and containerd read. The learner finds the memory limit in it.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

const specName = Prefix + "spec"

func summarySpec() *Step {
	return &Step{
		ID: "summary.spec",
		Article: shellLines(
			"sudo cgdelete -r -g cpu,memory:$UUID; rm -rf $ROOTFS",
			"sudo ip netns del ns0; sudo ip link del dev br0",
			"runc spec     # «summary.runc»"),
		Code: []CodeRef{{File: "runtime/create.go", Func: "Runtime.Create"}},
		Setup: func(s *Session) error {
			c, err := s.ensure(specName, "--memory", "10m", "busybox", "sleep", "3600")
			if err != nil {
				return err
			}
			s.vars["name"], s.vars["bundle"] = specName, c.Bundle
			return nil
		},
		Task: Task{Kind: Answer},
		Perform: func(s *Session) error {
			limit, err := specMemoryLimit(s.vars["bundle"])
			s.answer = strconv.FormatInt(limit, 10)
			s.ui.dim(fmt.Sprintf("$ sudo jq .linux.resources.memory.limit %s/config.json   → %s", s.vars["bundle"], s.answer))
			return err
		},
		Check: func(s *Session) Result {
			limit, err := specMemoryLimit(s.vars["bundle"])
			if err != nil {
				return s.broken(err)
			}
			evidence := fmt.Sprintf("%s/config.json: .linux.resources.memory.limit = %d", s.vars["bundle"], limit)
			if s.answer != strconv.FormatInt(limit, 10) {
				return fail(s.msg.get("check.summary.wrong", s.answer)) // the evidence would give it away
			}
			return pass(s.msg.get("check.summary.ok"), evidence)
		},
	}
}

// specMemoryLimit reads linux.resources.memory.limit from a bundle's
// config.json.
func specMemoryLimit(bundle string) (int64, error) {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return 0, err
	}
	var spec struct {
		Linux struct {
			Resources struct {
				Memory struct {
					Limit *int64 `json:"limit"`
				} `json:"memory"`
			} `json:"resources"`
		} `json:"linux"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return 0, fmt.Errorf("read %s/config.json: %w", bundle, err)
	}
	if spec.Linux.Resources.Memory.Limit == nil {
		return 0, fmt.Errorf("%s/config.json has no memory limit", bundle)
	}
	return *spec.Linux.Resources.Memory.Limit, nil
}
