package initproc

import (
	"fmt"
	"os"
	"strings"

	"github.com/kobako/kobako/internal/trace"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// becomeNamespaceRoot makes the init uid 0 and gid 0 of its user namespace
// (step 3 above). Until now it ran as its creator's host ids, which the
// namespace does not map, with its capabilities ambient. It runs right
// after "continue": the maps are written by then.
func becomeNamespaceRoot(linux *specs.Linux, tr *trace.Tracer) error {
	if !HasNamespace(linux, specs.UserNamespace) {
		return nil
	}
	// setpriv --regid=0
	err := unix.Setresgid(0, 0, 0)
	tr.Step("become root of the user namespace", "setpriv --regid=0", "unix.Setresgid(0, 0, 0)", err)
	if err != nil {
		return fmt.Errorf("setresgid 0 in the user namespace: %w", err)
	}
	// The host's supplementary groups are unmapped here: drop them, where
	// the namespace allows setgroups(2) at all. setpriv --clear-groups
	if setgroupsAllowed() {
		err = unix.Setgroups(nil)
		tr.Step("drop the host's groups", "setpriv --clear-groups", "unix.Setgroups(nil)", err)
		if err != nil {
			return fmt.Errorf("setgroups in the user namespace: %w", err)
		}
	}
	// setpriv --reuid=0
	err = unix.Setresuid(0, 0, 0)
	tr.Step("become root of the user namespace", "setpriv --reuid=0", "unix.Setresuid(0, 0, 0)", err)
	if err != nil {
		return fmt.Errorf("setresuid 0 in the user namespace: %w", err)
	}
	return nil
}

// setgroupsAllowed reads /proc/self/setgroups: "deny" in a user namespace
// whose gid map a user wrote for itself (see writeIDMaps), "allow" anywhere
// else.
func setgroupsAllowed() bool {
	// cat /proc/self/setgroups
	data, err := os.ReadFile("/proc/self/setgroups")
	return err != nil || strings.TrimSpace(string(data)) != "deny"
}
