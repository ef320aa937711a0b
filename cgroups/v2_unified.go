package cgroups

// linux.resources.unified: cgroup v2 files by name, for what the OCI
// fields do not cover (memory.high, io.weight, cpu.uclamp.min …), written
// as given into the container's cgroup. Shell twin:
//
//	echo 50M > /sys/fs/cgroup/kobako/$ID/memory.high
//
// Written after the other limits, as runc does, so that a file named here
// has the last word. cgroup v1 has no such map: runc refuses it there,
// and so does kobako.

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// setUnified writes each file of u, in the order of their names.
func (m *v2) setUnified(u map[string]string) error {
	if err := checkUnified(V2, u); err != nil {
		return err
	}
	files := make([]string, 0, len(u))
	for file := range u {
		files = append(files, file)
	}
	slices.Sort(files)
	for _, file := range files {
		// echo $VALUE > $FILE
		err := writeFile(m.tr, m.dir(), file, u[file])
		if errors.Is(err, os.ErrNotExist) {
			controller, _, _ := strings.Cut(file, ".")
			return fmt.Errorf("linux.resources.unified %q: %s has no such file: is the %s controller available there (cgroup.controllers)?", file, m.dir(), controller)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkUnified refuses the map on v1, and any name that is not a file of
// the cgroup's own directory ("memory.high", never "../x").
func checkUnified(mode Mode, u map[string]string) error {
	if len(u) == 0 {
		return nil
	}
	if mode == V1 {
		return errors.New("linux.resources.unified names cgroup v2 files, and this host is cgroup v1: use the other linux.resources fields")
	}
	for file := range u {
		controller, name, ok := strings.Cut(file, ".")
		if !ok || controller == "" || name == "" || strings.Contains(file, "/") {
			return fmt.Errorf("linux.resources.unified %q: a key is a file of the cgroup, like memory.high", file)
		}
	}
	return nil
}
